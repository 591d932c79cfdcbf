"""Twilio adapter against httpx.MockTransport: the form POST, the answers, signed webhooks."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest

from runner.providers import twilio
from runner.providers.base import (
    Accepted,
    Capabilities,
    Forged,
    Inbound,
    InDoubt,
    NotSent,
    OutgoingMessage,
    ProviderConfigError,
    Puller,
    Refused,
    Report,
    SendError,
    StatusPuller,
    WebhookCall,
)
from tests.providers import wire

SID, TOKEN = "ACexample0000000000000000000000000", "EXAMPLE-auth-token"
ENV = {"SMSOPS_TWILIO_ACCOUNT_SID": SID, "SMSOPS_TWILIO_AUTH_TOKEN": TOKEN,
       "SMSOPS_WEBHOOK_TOKEN": "tok-123"}
DLR_URL = "https://smsops.example/-/smsops/dlr/twilio"
CONFIG = {"dlr_url": DLR_URL, "price_eur_per_part": 0.07, "rate_per_second": 5}
MESSAGES = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
TEXT = "Maison Lila : -20% samedi. STOP au 36111"
CREATED = {"sid": "SMexample1", "status": "queued", "to": "+33639980001", "from": "MAISONLILA",
           "num_segments": "1", "error_code": None}
RECEIVED_AT = datetime(2026, 11, 25, 8, 1, tzinfo=UTC)


def message(text: str = TEXT) -> OutgoingMessage:
    return wire.outgoing(text)


def send(answer: httpx.Response | type[httpx.TransportError], outgoing: OutgoingMessage | None = None,
         **config: Any) -> tuple[Accepted, list[httpx.Request]]:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if isinstance(answer, type):
            raise answer("boom", request=request)
        return answer

    accepted: Accepted = wire.call_on(
        lambda transport: twilio.create(CONFIG | config, ENV, transport=transport), handler,
        lambda provider: provider.send(outgoing or message()))
    return accepted, requests


def captured(outgoing: OutgoingMessage | None = None, **config: Any) -> httpx.Request:
    _, requests = send(httpx.Response(201, json=CREATED), outgoing, **config)
    assert len(requests) == 1
    return requests[0]


# --- the request ----------------------------------------------------------------------------------

def test_send_is_one_basic_auth_form_post_with_our_reference_in_the_status_callback() -> None:
    request = captured()
    assert (request.method, str(request.url)) == ("POST", MESSAGES)
    assert request.headers["authorization"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["accept"] == "application/json"
    assert request.content == (
        b"To=%2B33639980001&From=MAISONLILA&Body=Maison+Lila+%3A+-20%25+samedi.+STOP+au+36111"
        b"&StatusCallback=https%3A%2F%2Fsmsops.example%2F-%2Fsmsops%2Fdlr%2Ftwilio%3Fmid%3Dm-42%26token%3Dtok-123")


def test_ucs2_text_goes_as_utf8_without_any_encoding_flag() -> None:
    request = captured(message("Soldes d’hiver, crème brûlée 🎉 STOP au 36111"))
    form = dict(parse_qsl(request.content.decode()))
    assert form["Body"] == "Soldes d’hiver, crème brûlée 🎉 STOP au 36111"
    assert set(form) == {"To", "From", "Body", "StatusCallback"}


@pytest.mark.parametrize(("config", "sender"), [
    ({"messaging_service_sid": "MGexample"}, {"MessagingServiceSid": "MGexample"}),
    ({"from": "+33639980100"}, {"From": "+33639980100"}),
    ({"messaging_service_sid": "MGexample", "from": "MAISONLILA"},
     {"MessagingServiceSid": "MGexample", "From": "MAISONLILA"}),
])
def test_sender_settings_replace_the_campaign_sender(config: dict[str, str], sender: dict[str, str]) -> None:
    form = dict(parse_qsl(captured(None, **config).content.decode()))
    assert {key: form[key] for key in ("From", "MessagingServiceSid") if key in form} == sender


def test_without_dlr_url_no_status_callback_is_asked() -> None:
    form = dict(parse_qsl(captured(dlr_url=None).content.decode()))
    assert "StatusCallback" not in form


def test_secrets_never_reach_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    captured()
    assert "HTTP Request: POST" in caplog.text
    assert TOKEN not in caplog.text and "tok-123" not in caplog.text


# --- the answer (providers.md §4.4) ---------------------------------------------------------------

def test_created_message_gives_its_sid_and_a_masked_answer() -> None:
    accepted, _ = send(httpx.Response(201, json=CREATED))
    assert accepted.provider_id == "SMexample1"
    assert "+33639980001" not in accepted.raw and "+33 6 39 98 ** 01" in accepted.raw


def problem(status: int, code: int, text: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "message": text, "status": status,
                                        "more_info": f"https://www.twilio.com/docs/errors/{code}"},
                          headers=headers)


@pytest.mark.parametrize(("answer", "text"), [
    (problem(401, 20003, "Authenticate"), "Twilio refused the credentials (401, code 20003: Authenticate); "
                                          "check SMSOPS_TWILIO_ACCOUNT_SID and SMSOPS_TWILIO_AUTH_TOKEN"),
    (problem(403, 20003, "Permission Denied"),
     "Twilio refused the credentials (403, code 20003: Permission Denied); "
     "check SMSOPS_TWILIO_ACCOUNT_SID and SMSOPS_TWILIO_AUTH_TOKEN"),
    (problem(404, 20404, "The requested resource was not found"),
     "Twilio answered 404, code 20404: The requested resource was not found; "
     "check SMSOPS_TWILIO_ACCOUNT_SID and providers.twilio.base_url"),
    (problem(400, 21606, "The From phone number is not a valid, SMS-capable inbound phone number"),
     "Twilio refused the sender settings (400, code 21606: The From phone number is not a valid, "
     "SMS-capable inbound phone number); check providers.twilio.from or messaging_service_sid and "
     "the account's geographic permissions"),
])
def test_credential_and_sender_errors_stop_the_run_with_one_line(answer: httpx.Response, text: str) -> None:
    with pytest.raises(ProviderConfigError) as raised:
        send(answer)
    assert str(raised.value) == text
    assert TOKEN not in str(raised.value)


@pytest.mark.parametrize("code", [21408, 21608, 21212])
def test_other_sender_and_region_codes_are_config_errors(code: int) -> None:
    with pytest.raises(ProviderConfigError, match=f"code {code}"):
        send(problem(400, code, "not allowed"))


@pytest.mark.parametrize(("code", "reason"), [(21211, "invalid To number"),
                                              (21614, "To number is not a mobile"),
                                              (21612, "To number not reachable from this sender"),
                                              (21602, "refused")])
def test_invalid_numbers_are_refused_permanently(code: int, reason: str) -> None:
    with pytest.raises(Refused) as raised:
        send(problem(400, code, "Invalid 'To' Phone Number: +33639980001"))
    assert type(raised.value) is Refused
    assert raised.value.failure == "permanent"
    assert str(raised.value).startswith(f"Twilio refused the message: {reason} (400, code {code}")
    assert "+33639980001" not in raised.value.raw


def test_21610_is_a_permanent_refusal_that_says_the_recipient_replied_stop() -> None:
    with pytest.raises(twilio.OptedOut) as raised:
        send(problem(400, 21610, "Attempt to send to unsubscribed recipient"))
    assert isinstance(raised.value, Refused) and raised.value.failure == "permanent"
    assert raised.value.to == "+33639980001"
    assert str(raised.value) == ("the recipient replied STOP to this sender at Twilio (400, code 21610: "
                                 "Attempt to send to unsubscribed recipient): permanent, Twilio blocks "
                                 "every later message to this number")


@pytest.mark.parametrize(("answer", "kind", "retry_after"), [
    (problem(429, 20429, "Too Many Requests", {"Retry-After": "3"}), NotSent, 3.0),
    (problem(429, 20429, "Too Many Requests"), NotSent, None),
    (problem(500, 20500, "Internal Server Error"), InDoubt, None),
    (httpx.Response(503, text="Service Unavailable"), InDoubt, None),
])
def test_rate_limit_and_server_errors(answer: httpx.Response, kind: type[SendError],
                                      retry_after: float | None) -> None:
    with pytest.raises(kind) as raised:
        send(answer)
    assert type(raised.value) is kind
    if isinstance(raised.value, NotSent):
        assert raised.value.retry_after == retry_after


@pytest.mark.parametrize(("exception", "kind"), [
    (httpx.ConnectError, NotSent), (httpx.ConnectTimeout, NotSent), (httpx.PoolTimeout, NotSent),
    (httpx.ReadTimeout, InDoubt), (httpx.WriteTimeout, InDoubt), (httpx.ReadError, InDoubt),
])
def test_transport_errors(exception: type[httpx.TransportError], kind: type[SendError]) -> None:
    with pytest.raises(kind) as raised:
        send(exception)
    assert type(raised.value) is kind


# --- the status tables (providers.md §4.2) --------------------------------------------------------

def test_status_tables_are_the_providers_md_tables() -> None:
    assert twilio.STATUS == {
        "accepted": "pending", "scheduled": "pending", "queued": "pending", "sending": "pending",
        "sent": "pending", "delivered": "delivered", "read": "delivered", "undelivered": "failed",
        "failed": "failed", "canceled": "failed", "partially_delivered": "unknown"}
    assert twilio.ERROR_CODES == {21211: "failed", 21610: "failed", 21612: "failed", 21614: "failed",
                                  30003: "unknown", 30004: "failed", 30005: "failed", 30006: "failed",
                                  30007: "failed", 30008: "unknown"}


FAILURE = {"failed": "permanent", "unknown": "temporary"}


@pytest.mark.parametrize(("status", "state"), sorted(twilio.STATUS.items()) + [("receiving", "unknown")])
def test_message_status_maps_to_our_state(status: str, state: str) -> None:
    assert twilio.state_of(status, None) == (state, FAILURE.get(state))


@pytest.mark.parametrize(("code", "state"), sorted(twilio.ERROR_CODES.items()))
@pytest.mark.parametrize("status", ["failed", "undelivered"])
def test_error_code_decides_failed_or_unknown(status: str, code: int, state: str) -> None:
    assert twilio.state_of(status, str(code)) == (state, FAILURE[state])
    assert twilio.state_of("delivered", str(code)) == ("delivered", None)


# --- pulled statuses (GET the Message resource, providers.md §4.1) --------------------------------

PULLED_AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
UPDATED = "Wed, 25 Nov 2026 08:03:00 +0000"


def resource(sid: str, status: str, error_code: int | None = None,
             date_updated: str = UPDATED) -> httpx.Response:
    return httpx.Response(200, json={"sid": sid, "status": status, "error_code": error_code,
                                     "to": "+33639980001", "from": "MAISONLILA", "body": TEXT,
                                     "date_updated": date_updated})


def pull(answers: dict[str, httpx.Response | type[httpx.TransportError]],
         sids: list[str] | None = None) -> tuple[list[Report], list[httpx.Request]]:
    """`statuses` of `sids` (default: every sid answered), each GET answered by its sid."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        answer = answers[request.url.path.rsplit("/", 1)[1].removesuffix(".json")]
        if isinstance(answer, type):
            raise answer("boom", request=request)
        return answer

    reports: list[Report] = wire.call_on(
        lambda transport: twilio.create(CONFIG, ENV, transport=transport, clock=lambda: PULLED_AT),
        handler, lambda provider: provider.statuses(list(answers) if sids is None else sids))
    return reports, requests


def test_a_status_is_one_basic_auth_get_of_the_message_resource() -> None:
    _, [request] = pull({"SMexample1": resource("SMexample1", "delivered")})
    assert (request.method, str(request.url)) == (
        "GET", f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages/SMexample1.json")
    assert request.headers["authorization"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request.headers["accept"] == "application/json"
    assert request.content == b""


def test_a_pulled_status_is_a_report_joined_on_the_sid_without_the_phone_number() -> None:
    [report], _ = pull({"SMexample1": resource("SMexample1", "undelivered", 30005)})
    assert report == Report(reference="", state="failed", failure="permanent",
                            at=datetime(2026, 11, 25, 8, 3, tzinfo=UTC), provider_id="SMexample1",
                            raw={"MessageSid": "SMexample1", "MessageStatus": "undelivered",
                                 "ErrorCode": "30005"})


@pytest.mark.parametrize(("status", "state"), sorted(twilio.STATUS.items()))
def test_every_message_status_is_mapped_through_the_pull(status: str, state: str) -> None:
    reports, _ = pull({"SM1": resource("SM1", status)})
    if state == "pending":  # still in transit: nothing to apply, asked again next sync
        assert reports == []
    else:
        assert [(r.state, r.failure) for r in reports] == [(state, FAILURE.get(state))]


@pytest.mark.parametrize(("code", "state"), sorted(twilio.ERROR_CODES.items()))
def test_the_error_code_of_a_pulled_status_decides_failed_or_unknown(code: int, state: str) -> None:
    reports, _ = pull({"SM1": resource("SM1", "undelivered", code)})
    assert [(r.state, r.failure, r.raw["ErrorCode"]) for r in reports] == [
        (state, FAILURE[state], str(code))]


def test_a_sid_twilio_does_not_know_is_skipped_and_the_others_are_pulled() -> None:
    reports, requests = pull({"SMgone": httpx.Response(404, json={"code": 20404, "message": "not found"}),
                              "SMbad": httpx.Response(400, json={"code": 21000, "message": "bad"}),
                              "SMok": resource("SMok", "delivered")})
    assert [r.provider_id for r in reports] == ["SMok"] and len(requests) == 3


def test_an_unreadable_answer_skips_that_sid() -> None:
    reports, _ = pull({"SMx": httpx.Response(200, text="<html>"), "SMok": resource("SMok", "read")})
    assert [r.provider_id for r in reports] == ["SMok"]


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_stop_the_pull_naming_the_variables(status: int) -> None:
    with pytest.raises(ProviderConfigError) as raised:
        pull({"SM1": httpx.Response(status, json={"code": 20003, "message": "Authenticate"})})
    assert "check SMSOPS_TWILIO_ACCOUNT_SID and SMSOPS_TWILIO_AUTH_TOKEN" in str(raised.value)
    assert TOKEN not in str(raised.value)


@pytest.mark.parametrize("trouble", [httpx.Response(429, json={"code": 20429, "message": "Too Many"}),
                                     httpx.Response(500, text="oops"), httpx.Response(503),
                                     httpx.ReadTimeout, httpx.ConnectError])
def test_a_rate_limit_outage_or_timeout_ends_the_pull_with_what_it_has(
        trouble: httpx.Response | type[httpx.TransportError]) -> None:
    reports, requests = pull({"SM1": resource("SM1", "delivered"), "SM2": trouble,
                              "SM3": resource("SM3", "delivered")})
    assert [r.provider_id for r in reports] == ["SM1"]
    assert [r.url.path.rsplit("/", 1)[1] for r in requests] == ["SM1.json", "SM2.json"]


def test_a_status_dated_after_the_clock_is_not_seen() -> None:
    later = "Wed, 25 Nov 2026 09:00:01 +0000"  # one second after PULLED_AT (sync --at)
    reports, _ = pull({"SM1": resource("SM1", "delivered", date_updated=later),
                       "SM2": resource("SM2", "delivered", date_updated="")})
    assert [(r.provider_id, r.at) for r in reports] == [("SM2", None)]  # undated: applied as of now


# --- signed webhooks ------------------------------------------------------------------------------

CALLBACK_URL = DLR_URL + "?mid=m-42&token=tok-123"
STATUS_FORM = [("AccountSid", "ACexample"), ("MessageSid", "SMexample1"), ("MessageStatus", "delivered"),
               ("To", "+33639980001")]
STATUS_SIGNATURE = "Myb4I+gH6/3YxOPAYsbNV4VT2Y4="  # of CALLBACK_URL + STATUS_FORM with "EXAMPLE-auth-token"


def signed(form: list[tuple[str, str]], url: str = CALLBACK_URL) -> str:
    """Computed here, independently of the module (Twilio's request_validator scheme)."""
    data = url + "".join(name + value for name, value in sorted(form))
    return base64.b64encode(hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()).decode()


def call(form: list[tuple[str, str]], *, kind: str = "dlr", url: str = CALLBACK_URL,
         signature: str | None = None) -> WebhookCall:
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if signature != "":
        headers["x-twilio-signature"] = signature or signed(form, url)
    query = dict(parse_qsl(url.split("?", 1)[1])) if "?" in url else {}
    return WebhookCall(kind=kind, method="POST", url=url, headers=headers,  # type: ignore[arg-type]
                       params=query | dict(form), body=urlencode(form).encode(), received_at=RECEIVED_AT)


def parse(webhook: WebhookCall, env: dict[str, str] = ENV) -> Any:
    return twilio.parse_webhook(webhook, CONFIG, env)


def test_signature_matches_the_fixed_vector() -> None:
    assert signed(STATUS_FORM) == STATUS_SIGNATURE
    assert twilio.signature(TOKEN, CALLBACK_URL, STATUS_FORM) == STATUS_SIGNATURE


SDK_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"  # twilio-python's request validator tests


def test_signature_matches_twilios_published_vector() -> None:
    form = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"), ("Digits", "1234"),
            ("From", "+14158675309"), ("To", "+18005551212")]
    assert twilio.signature("12345", SDK_URL, form) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert twilio.signature("12345", SDK_URL, form[::-1]) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_a_repeated_field_is_signed_once_per_distinct_value_in_sorted_order() -> None:
    form = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234"),
            ("Digits", "1234")]
    assert twilio.signature("12345", SDK_URL, form) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


def test_a_signature_header_with_non_ascii_characters_is_forged_not_a_crash() -> None:
    with pytest.raises(Forged):
        parse(call(STATUS_FORM, signature="é" + STATUS_SIGNATURE[1:]))


def test_a_body_hash_with_non_ascii_characters_is_forged_not_a_crash() -> None:
    url = CALLBACK_URL + "&bodySHA256=é"
    with pytest.raises(Forged):
        parse(WebhookCall(kind="dlr", method="POST", url=url, headers={"x-twilio-signature": signed([], url)},
                          params={"mid": "m-42", "MessageStatus": "delivered"}, body=b"{}"))


def test_status_callback_becomes_a_report_on_our_reference() -> None:
    received = parse(call(STATUS_FORM, signature=STATUS_SIGNATURE))
    assert received.replies == []
    assert received.reports == [Report(reference="m-42", state="delivered", at=RECEIVED_AT,
                                       provider_id="SMexample1",
                                       raw={"MessageSid": "SMexample1", "MessageStatus": "delivered",
                                            "mid": "m-42"})]


def test_undelivered_callback_keeps_the_error_code() -> None:
    form = [("MessageSid", "SMexample1"), ("MessageStatus", "undelivered"), ("ErrorCode", "30003"),
            ("To", "+33639980001"), ("RawDlrDoneDate", "2611250900")]
    report, = parse(call(form)).reports
    assert (report.state, report.failure) == ("unknown", "temporary")
    assert report.raw == {"MessageSid": "SMexample1", "MessageStatus": "undelivered", "ErrorCode": "30003",
                          "RawDlrDoneDate": "2611250900", "mid": "m-42"}


def test_21610_callback_also_records_the_opt_out() -> None:
    form = [("MessageSid", "SMexample1"), ("MessageStatus", "failed"), ("ErrorCode", "21610"),
            ("To", "+33639980001")]
    received = parse(call(form))
    assert received.reports[0].state == "failed"
    assert received.replies == [Inbound(sender="+33639980001", text="STOP", at=RECEIVED_AT, reference="m-42")]


@pytest.mark.parametrize("signature", ["", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", STATUS_SIGNATURE.lower()])
def test_missing_or_wrong_signature_is_forged(signature: str) -> None:
    with pytest.raises(Forged):
        parse(call(STATUS_FORM, signature=signature))


def test_a_changed_field_breaks_the_signature() -> None:
    form = [*STATUS_FORM[:2], ("MessageStatus", "failed"), STATUS_FORM[3]]
    tampered = call(form, signature=STATUS_SIGNATURE)
    with pytest.raises(Forged):
        parse(tampered)


def test_a_changed_url_breaks_the_signature() -> None:
    with pytest.raises(Forged):
        parse(call(STATUS_FORM, url=DLR_URL + "?mid=m-43&token=tok-123", signature=STATUS_SIGNATURE))


def test_signature_with_or_without_the_default_port_is_accepted() -> None:
    with_port = "https://smsops.example:443/-/smsops/dlr/twilio?mid=m-42&token=tok-123"
    assert parse(call(STATUS_FORM, url=with_port, signature=STATUS_SIGNATURE)).reports[0].reference == "m-42"
    assert parse(call(STATUS_FORM, signature=signed(STATUS_FORM, with_port))).reports[0].state == "delivered"


def test_json_body_is_checked_by_its_sha256_in_the_url() -> None:
    body = b'{"MessageStatus":"delivered"}'
    url = CALLBACK_URL + "&bodySHA256=" + hashlib.sha256(body).hexdigest()
    good = WebhookCall(kind="dlr", method="POST", url=url, headers={"x-twilio-signature": signed([], url)},
                       params={"mid": "m-42", "MessageStatus": "delivered"}, body=body)
    assert parse(good).reports[0].state == "delivered"
    with pytest.raises(Forged, match="bodySHA256"):
        parse(WebhookCall(kind="dlr", method="POST", url=url, headers=good.headers, params=good.params,
                          body=b'{"MessageStatus":"failed"}'))


@pytest.mark.parametrize("form", [[("MessageSid", "SM1")], [("MessageStatus", "")]])
def test_malformed_status_callback_is_a_value_error(form: list[tuple[str, str]]) -> None:
    with pytest.raises(ValueError, match="needs mid"):
        parse(call(form))
    with pytest.raises(ValueError, match="needs mid"):
        parse(call([("MessageStatus", "sent")], url=DLR_URL + "?token=tok-123"))


def test_webhook_without_the_auth_token_cannot_be_checked() -> None:
    with pytest.raises(ProviderConfigError, match="^cannot check Twilio signatures: set the environment "
                                                  "variable SMSOPS_TWILIO_AUTH_TOKEN$"):
        parse(call(STATUS_FORM), env={"SMSOPS_TWILIO_ACCOUNT_SID": SID})


MO_URL = "https://smsops.example/-/smsops/mo/twilio?token=tok-123"


@pytest.mark.parametrize(("form", "text"), [
    ([("MessageSid", "SMin1"), ("From", "+33639980001"), ("To", "+33639980100"), ("Body", "Stop merci")],
     "Stop merci"),
    ([("From", "+33639980001"), ("Body", "Non, plus de messages"), ("OptOutType", "STOP")], "STOP"),
    ([("From", "+33639980001"), ("Body", "Merci, à samedi !")], "Merci, à samedi !"),
])
def test_inbound_message_becomes_a_reply(form: list[tuple[str, str]], text: str) -> None:
    received = parse(call(form, kind="mo", url=MO_URL))
    assert received.reports == []
    assert received.replies == [Inbound(sender="+33639980001", text=text, at=RECEIVED_AT)]


def test_malformed_inbound_message_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="needs From and Body"):
        parse(call([("MessageSid", "SMin1"), ("Body", "STOP")], kind="mo", url=MO_URL))


def test_forged_inbound_message_is_refused() -> None:
    form = [("From", "+33639980001"), ("Body", "STOP")]
    with pytest.raises(Forged):
        parse(call(form, kind="mo", url=MO_URL, signature=signed(form, CALLBACK_URL)))


# --- configuration --------------------------------------------------------------------------------

def built(config: dict[str, Any], env: dict[str, str] = ENV) -> twilio.TwilioProvider:
    provider = twilio.create(config, env)
    asyncio.run(provider.aclose())
    return provider


def test_capabilities_come_from_config_and_statuses_are_pulled_by_sid_only() -> None:
    provider = built(CONFIG | {"max_parts": 6, "concurrency": 4})
    assert provider.name == "twilio"
    assert provider.capabilities == Capabilities(lookup=False, appends_stop=None, max_parts=6,
                                                 price_eur_per_part=0.07, rate_per_second=5.0,
                                                 concurrency=4)
    assert not isinstance(provider, Puller) and isinstance(provider, StatusPuller)
    with pytest.raises(NotImplementedError):
        asyncio.run(provider.lookup("m-42"))


def test_missing_environment_variables_are_named_without_values() -> None:
    with pytest.raises(ProviderConfigError) as raised:
        twilio.create(CONFIG, {"SMSOPS_TWILIO_ACCOUNT_SID": SID})
    assert str(raised.value) == ("Twilio credentials missing: set the environment variable(s) "
                                 "SMSOPS_TWILIO_AUTH_TOKEN")
    with pytest.raises(ProviderConfigError, match="TWILIO_PROD_SID and SMSOPS_TWILIO_AUTH_TOKEN$"):
        twilio.create({"account_sid_env": "TWILIO_PROD_SID"}, {})


def test_base_url_is_configurable() -> None:
    _, requests = send(httpx.Response(201, json=CREATED), base_url="http://twilio.test/2010-04-01/")
    assert str(requests[0].url) == f"http://twilio.test/2010-04-01/Accounts/{SID}/Messages.json"
