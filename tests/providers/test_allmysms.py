"""AllMySMS adapter: the wire format against httpx.MockTransport (providers.md §3), no network."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import httpx
import pytest

from runner.providers import allmysms
from runner.providers.base import (
    Accepted,
    Capabilities,
    Inbound,
    InDoubt,
    NotSent,
    OutgoingMessage,
    ProviderConfigError,
    Received,
    Refused,
    Report,
    SendError,
    WebhookCall,
)
from tests.providers import wire

BASE = "https://api.allmysms.test"
CONFIG = {"base_url": BASE, "price_eur_per_part": 0.05, "rate_per_second": 20}
LOGIN, SECRET = "maisonlila", "k3y-s3cr3t"
ENV = {"SMSOPS_ALLMYSMS_LOGIN": LOGIN, "SMSOPS_ALLMYSMS_API_KEY": SECRET}
NOW = datetime(2027, 1, 9, 10, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
SENDER = "MAISONLILA"
SENT = {"code": 100, "description": "Your messages have been sent", "smsId": "330792bd-8e0b-11e5",
        "nbSms": 1, "balance": 340, "cost": 0.05}
Handler = Callable[[httpx.Request], httpx.Response]
T = TypeVar("T")


def message(text: str = "Maison Lila : -20% samedi. STOP au 36180", *, reference: str = "m-42",
            to: str = "+33639980001") -> OutgoingMessage:
    return wire.outgoing(text, reference=reference, to=to, sender=SENDER)


def run(handler: Handler, call: Callable[[allmysms.AllMySmsProvider], Awaitable[T]], **config: Any) -> T:
    return wire.call_on(lambda transport: allmysms.create(CONFIG | config, ENV, transport=transport,
                                                     clock=lambda: NOW), handler, call)


def send(handler: Handler, outgoing: OutgoingMessage | None = None, **config: Any) -> Accepted:
    return run(handler, lambda provider: provider.send(outgoing or message()), **config)


def captured(outgoing: OutgoingMessage | None = None, **config: Any) -> httpx.Request:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(201, json=SENT)

    send(handler, outgoing, **config)
    assert len(requests) == 1
    return requests[0]


def answer(status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Handler:
    return lambda request: httpx.Response(status, json=body, headers=headers)


BASIC = "Basic " + base64.b64encode(f"{LOGIN}:{SECRET}".encode()).decode()


# --- the request ---------------------------------------------------------------------------------

def test_send_is_one_json_post_with_basic_auth_and_our_reference_as_unique_identifier() -> None:
    request = captured()
    assert (request.method, str(request.url)) == ("POST", BASE + "/sms/send/")
    assert request.headers["authorization"] == BASIC
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert json.loads(request.content) == {"from": SENDER, "to": "33639980001",
                                           "text": "Maison Lila : -20% samedi. STOP au 36180",
                                           "uniqueIdentifier": "m-42"}


def test_base_url_defaults_to_the_real_api() -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(201, json=SENT)

    async def go() -> None:
        provider = allmysms.create({}, ENV, transport=httpx.MockTransport(handler))
        await provider.send(message())
        await provider.aclose()

    asyncio.run(go())
    assert str(requests[0].url) == "https://api.allmysms.com/sms/send/"


def test_ucs2_text_goes_as_utf8_json_unchanged() -> None:
    request = captured(message("Soldes d’hiver, crème brûlée 🎉 STOP au 36180"))
    assert json.loads(request.content)["text"] == "Soldes d’hiver, crème brûlée 🎉 STOP au 36180"
    assert "crème brûlée 🎉".encode() in request.content


def test_credentials_never_reach_a_url_or_the_httpx_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    request = captured()
    assert "HTTP Request: POST" in caplog.text
    assert SECRET not in caplog.text
    assert SECRET not in str(request.url)


# --- the answer (providers.md §3.2, §3.4) ----------------------------------------------------------

def test_accepted_message_keeps_the_sms_id() -> None:
    accepted = send(answer(201, SENT))
    assert accepted == Accepted(provider_id="330792bd-8e0b-11e5", raw=json.dumps(SENT, separators=(",", ":")))


def test_scheduled_code_101_is_accepted_too() -> None:
    assert send(answer(201, SENT | {"code": 101})).provider_id == "330792bd-8e0b-11e5"


@pytest.mark.parametrize(("status", "body", "error"), [
    (400, {"code": 114, "description": "No valid phone number"}, Refused),
    (400, {"code": 113, "description": "Some numbers are invalid"}, Refused),
    (400, {"code": 110, "description": "Empty message"}, Refused),
    (400, {"code": 111, "description": "Message over 640 characters"}, Refused),
    (201, {"code": 114, "description": "No valid phone number"}, Refused),
    (400, {"code": 103, "description": "No credit left"}, ProviderConfigError),
    (402, {"code": 104, "description": "Not enough credit"}, ProviderConfigError),
    (400, {"code": 118, "description": "Unknown master account"}, ProviderConfigError),
    (404, None, ProviderConfigError),
    (500, None, InDoubt),
    (502, {"code": 500, "description": "Bad gateway"}, InDoubt),
    (503, None, InDoubt),
    (429, None, NotSent),
])
def test_error_answers_map_to_one_error_class_and_keep_the_body(
        status: int, body: dict[str, Any] | None, error: type[SendError]) -> None:
    with pytest.raises(error) as raised:
        send(answer(status, body))
    assert type(raised.value) is error
    assert raised.value.raw == (json.dumps(body, separators=(",", ":")) if body else "")
    if isinstance(raised.value, Refused):
        assert raised.value.failure == "permanent"


def test_invalid_number_is_a_permanent_refusal_naming_the_reason() -> None:
    with pytest.raises(Refused) as raised:
        send(answer(400, {"code": 114, "description": "No valid phone number"}))
    assert str(raised.value) == "AllMySMS refused the number (400 114: No valid phone number)"


@pytest.mark.parametrize(("status", "body"), [
    (401, {"code": 102, "description": "Bad login or API key"}),
    (403, {"description": "Forbidden"}),
    (400, {"code": 102, "description": "Bad login or API key"}),
])
def test_auth_failure_is_a_config_error_naming_both_variables(status: int, body: dict[str, Any]) -> None:
    with pytest.raises(ProviderConfigError) as raised:
        send(answer(status, body))
    assert str(raised.value).endswith("; check SMSOPS_ALLMYSMS_LOGIN and SMSOPS_ALLMYSMS_API_KEY")
    assert str(raised.value).startswith(f"AllMySMS refused the credentials ({status} ")
    assert SECRET not in str(raised.value) + raised.value.raw


@pytest.mark.parametrize(("headers", "retry_after"), [({"retry-after": "30"}, 30.0), ({}, None)])
def test_429_is_not_sent_and_honours_retry_after(headers: dict[str, str], retry_after: float | None) -> None:
    with pytest.raises(NotSent) as raised:
        send(answer(429, None, headers))
    assert raised.value.retry_after == retry_after


@pytest.mark.parametrize(("exception", "error"), [
    (httpx.ConnectError, NotSent),
    (httpx.ConnectTimeout, NotSent),
    (httpx.PoolTimeout, NotSent),
    (httpx.ReadTimeout, InDoubt),
    (httpx.WriteTimeout, InDoubt),
    (httpx.RemoteProtocolError, InDoubt),
    (httpx.ReadError, InDoubt),
])
def test_transport_errors_are_not_sent_only_when_the_request_provably_never_left(
        exception: type[httpx.TransportError], error: type[SendError]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exception("boom", request=request)

    with pytest.raises(error) as raised:
        send(handler)
    assert type(raised.value) is error
    assert SECRET not in str(raised.value)


# --- configuration --------------------------------------------------------------------------------

def test_capabilities_come_from_config_and_lookup_is_not_offered() -> None:
    provider = allmysms.create(CONFIG, ENV)
    with pytest.raises(NotImplementedError):
        asyncio.run(provider.lookup("m-42"))
    asyncio.run(provider.aclose())
    assert provider.name == "allmysms"
    assert provider.capabilities == Capabilities(lookup=False, appends_stop=None, max_parts=4,
                                                 price_eur_per_part=0.05, rate_per_second=20.0,
                                                 concurrency=8)
    assert allmysms.create(CONFIG | {"max_parts": 2}, ENV).capabilities.max_parts == 2


def test_missing_environment_variables_are_named_without_values() -> None:
    with pytest.raises(ProviderConfigError) as raised:
        allmysms.create(CONFIG, {"SMSOPS_ALLMYSMS_LOGIN": LOGIN})
    assert str(raised.value) == ("AllMySMS credentials missing: set the environment variable(s) "
                                 "SMSOPS_ALLMYSMS_API_KEY")
    with pytest.raises(ProviderConfigError, match="SMSOPS_ALLMYSMS_LOGIN and SMSOPS_ALLMYSMS_API_KEY$"):
        allmysms.create(CONFIG, {})


def test_variable_names_can_be_renamed() -> None:
    with pytest.raises(ProviderConfigError, match="set the environment variable\\(s\\) AMS_KEY$"):
        allmysms.create(CONFIG | {"api_key_env": "AMS_KEY"}, ENV)


# --- delivery states (providers.md §3.3) ---------------------------------------------------------

STATUS_ROWS = [
    ("1", "delivered", None),
    ("2", "unknown", "temporary"),
    ("3", "pending", None),
    ("4", "failed", "permanent"),
    ("5", "failed", "permanent"),
]


def test_status_table_is_the_providers_md_table() -> None:
    assert {code: (state, failure) for code, state, failure in STATUS_ROWS} == allmysms.STATUS


RECEIVED_AT = datetime(2027, 1, 9, 9, 30, tzinfo=UTC)
ACK = {"smsId": "330792bd-8e0b-11e5", "campaignId": "ap_28423", "phoneNumber": "33639980001",
       "receptionDate": "2027-01-09 10:01:00", "status": "1", "statusText": "Delivered"}


def call(params: dict[str, str], body: bytes = b"", *, kind: str = "dlr") -> WebhookCall:
    return WebhookCall(kind=kind, method="POST", url="https://smsops.example/-/smsops/dlr/allmysms?token=t",  # type: ignore[arg-type]
                       headers={}, params=params, body=body, received_at=RECEIVED_AT)


@pytest.mark.parametrize(("code", "state", "failure"), STATUS_ROWS)
def test_every_status_maps_to_our_state_and_keeps_the_raw_fields(code: str, state: str,
                                                                 failure: str | None) -> None:
    fields = ACK | {"status": code, "uniqueIdentifier": "m-42", "token": "t"}
    assert allmysms.parse_webhook(call(fields), {}, {}) == Received(reports=[Report(
        "m-42", state, datetime(2027, 1, 9, 10, 1, tzinfo=PARIS), failure,  # type: ignore[arg-type]
        provider_id="330792bd-8e0b-11e5",
        raw={k: v for k, v in fields.items() if k not in ("phoneNumber", "token")})])


def test_unknown_status_is_unknown() -> None:
    [report] = allmysms.parse_webhook(call(ACK | {"status": "9"}), {}, {}).reports
    assert (report.state, report.failure) == ("unknown", None)


def test_report_without_our_reference_joins_by_sms_id() -> None:
    [report] = allmysms.parse_webhook(call(ACK), {}, {}).reports
    assert (report.reference, report.provider_id) == ("", "330792bd-8e0b-11e5")


def test_json_report_is_read_like_a_form() -> None:
    body = json.dumps(ACK | {"status": 4, "cliMsgId": "m-7"}).encode()
    [report] = allmysms.parse_webhook(call({"token": "t"}, body), {}, {}).reports
    assert (report.reference, report.state, report.failure) == ("m-7", "failed", "permanent")


def test_reply_webhook_is_an_inbound_in_e164() -> None:
    fields = {"smsId": "330792bd", "smsMoId": "32154", "campaignId": "ap_28423", "phoneNumber": "33639980001",
              "message": "STOP", "receptionDate": "2027-01-09 11:15:00"}
    assert allmysms.parse_webhook(call(fields, kind="mo"), {}, {}) == Received(replies=[Inbound(
        "+33639980001", "STOP", datetime(2027, 1, 9, 11, 15, tzinfo=PARIS))])


def test_undated_call_is_stamped_when_received() -> None:
    fields = {"phoneNumber": "33639980001", "message": "Oui"}
    assert allmysms.parse_webhook(call(fields, kind="mo"), {}, {}).replies[0].at == RECEIVED_AT


def test_same_call_twice_parses_the_same_duplicates_are_the_ledgers_job() -> None:
    assert allmysms.parse_webhook(call(ACK), {}, {}) == allmysms.parse_webhook(call(ACK), {}, {})


@pytest.mark.parametrize(("params", "body", "reason"), [
    ({"token": "t"}, b"", "webhook without status or message"),
    ({"smsId": "1"}, b"", "webhook without status or message"),
    ({}, b"{not json", "not JSON"),
    ({"status": "1", "phoneNumber": "33639980001"}, b"", "without smsId or uniqueIdentifier"),
    ({"message": "Oui"}, b"", "reply without phoneNumber"),
])
def test_malformed_webhook_is_a_value_error(params: dict[str, str], body: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        allmysms.parse_webhook(call(params, body), {}, {})


# --- pull and STOP list (legacy HTTP 9.0) -----------------------------------------------------------

def legacy(payload: dict[str, Any], requests: list[httpx.Request]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json=payload)
    return handler


def form(request: httpx.Request) -> dict[str, str]:
    return {key: value for key, [value] in parse_qs(request.content.decode()).items()}


def test_pull_reads_replies_up_to_the_clock_and_no_reports() -> None:
    mos = [{"phoneNumber": "33639980001", "id": "32154", "campaignId": "ap_1", "message": "STOP",
            "receptionDate": "2027-01-09 10:30:00"},
           {"phoneNumber": "33639980002", "id": "32157", "campaignId": "ap_1", "message": "Merci",
            "receptionDate": "2027-01-09 11:00:01"},  # 10:00:01 UTC: after the clock
           {"phoneNumber": "33639980003", "id": "32158", "campaignId": "ap_1", "message": "Oui",
            "receptionDate": "2027-01-09 09:00:00"}]
    requests: list[httpx.Request] = []
    reports, replies = run(legacy({"mos": mos}, requests), lambda p: p.pull())
    assert reports == []
    assert replies == [Inbound("+33639980003", "Oui", datetime(2027, 1, 9, 9, tzinfo=PARIS)),
                       Inbound("+33639980001", "STOP", datetime(2027, 1, 9, 10, 30, tzinfo=PARIS))]
    [request] = requests
    assert (request.method, str(request.url)) == ("POST", BASE + "/http/9.0/getPulls/")
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form(request) == {"login": LOGIN, "apiKey": SECRET, "returnformat": "json", "limit": "1000"}


def test_pull_with_bad_credentials_is_a_config_error() -> None:
    with pytest.raises(ProviderConfigError, match="check SMSOPS_ALLMYSMS_LOGIN and SMSOPS_ALLMYSMS_API_KEY"):
        run(legacy({"status": 102, "statusText": "Bad login"}, []), lambda p: p.pull())


def test_stop_list_is_the_blacklist_in_e164() -> None:
    blacklist = [{"phoneNumber": "33639980001", "comment": "stop", "receptionDate": "2027-01-02 12:10:23"},
                 {"phoneNumber": "0033639980002", "comment": "manual unsubscribe"},
                 {"phoneNumber": "33639980001", "comment": "Refused"},
                 {"comment": "no number"}]
    requests: list[httpx.Request] = []
    assert run(legacy({"blacklist": blacklist}, requests), lambda p: p.stop_list()) == [
        "+33639980001", "+33639980002"]
    [request] = requests
    assert (request.method, str(request.url)) == ("POST", BASE + "/http/9.0/getBlacklist/")
    assert form(request) == {"login": LOGIN, "apiKey": SECRET, "returnformat": "json"}
    assert "authorization" not in request.headers
