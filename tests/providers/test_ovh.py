"""OVH adapter against httpx.MockTransport: the signed request, the answers, reports, pull, STOP list."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from runner.providers import ovh
from runner.providers.base import (
    Accepted,
    Capabilities,
    Inbound,
    InDoubt,
    NotSent,
    OutgoingMessage,
    ProviderConfigError,
    Puller,
    Refused,
    Report,
    SendError,
    WebhookCall,
)
from tests.providers import wire

BASE = "https://eu.api.ovh.com/1.0"
JOBS = BASE + "/sms/sms-ab12345-1/jobs"
CONFIG = {"service_name": "sms-ab12345-1", "price_eur_per_part": 0.05, "rate_per_second": 20}
AK, AS, CK = "EXAMPLE-application-key", "EXAMPLE-application-secret", "EXAMPLE-consumer-key"
ENV = {"SMSOPS_OVH_APPLICATION_KEY": AK, "SMSOPS_OVH_APPLICATION_SECRET": AS, "SMSOPS_OVH_CONSUMER_KEY": CK}
LOCAL = datetime.fromtimestamp(1795588000, UTC)
SERVER_TIME = 1795588184  # OVH's clock is 184 s ahead of ours
TEXT = "Maison Lila : -20% samedi. STOP au 36111"
BODY = ('{"charset":"UTF-8","coding":"7bit","message":"Maison Lila : -20% samedi. STOP au 36111",'
        '"noStopClause":false,"receivers":["+33639980001"],"sender":"MAISONLILA","tag":"m-42"}')
SIGNATURE = "$1$1ebe3a0db893d5a5bf1bcb08424b6689cfcfcb7b"  # of BODY, POST JOBS, at SERVER_TIME
SENT = {"ids": [123456789], "validReceivers": ["+33639980001"], "invalidReceivers": [],
        "totalCreditsRemoved": 1, "creditsLeft": 99, "tag": "m-42"}
Routes = dict[tuple[str, str], Any]  # (method, url) -> JSON answer, or an httpx.Response


def message(text: str = TEXT, reference: str = "m-42") -> OutgoingMessage:
    return wire.outgoing(text, reference=reference)


class Fails:
    """A route whose call breaks on the wire."""

    def __init__(self, exception: type[httpx.TransportError]) -> None:
        self.exception = exception


class InTurn:
    """A route that gives its answers one after the other."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)


class Ovh:
    """A fake OVH API: answers by (method, URL), records every request."""

    def __init__(self, routes: Routes) -> None:
        self.routes = {("GET", BASE + "/auth/time"): SERVER_TIME} | routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.routes[(request.method, str(request.url))]
        if isinstance(answer, InTurn):
            answer = answer.answers.pop(0)
        if isinstance(answer, Fails):
            raise answer.exception("boom", request=request)
        return answer if isinstance(answer, httpx.Response) else httpx.Response(200, json=answer)

    def run(self, action: Callable[[ovh.OvhProvider], Any], *, wall: Callable[[], float] = LOCAL.timestamp,
            business: datetime = LOCAL, **config: Any) -> Any:
        return wire.call_on(lambda transport: ovh.create(CONFIG | config, ENV, transport=transport,
                                                    clock=lambda: business, wall_clock=wall), self, action)


def send(answer: Any, outgoing: OutgoingMessage | None = None, **config: Any) -> Accepted:
    accepted: Accepted = Ovh({("POST", JOBS): answer}).run(lambda p: p.send(outgoing or message()), **config)
    return accepted


def expected_signature(request: httpx.Request) -> str:
    """Computed here from what went on the wire, independently of the module."""
    signed = "+".join([AS, CK, request.method, str(request.url), request.content.decode(),
                       request.headers["x-ovh-timestamp"]])
    return "$1$" + hashlib.sha1(signed.encode()).hexdigest()


# --- the request ----------------------------------------------------------------------------------

def test_signature_matches_the_hand_computed_vector() -> None:
    by_hand = "$1$" + hashlib.sha1(f"{AS}+{CK}+POST+{JOBS}+{BODY}+1795588184".encode()).hexdigest()
    assert by_hand == SIGNATURE
    assert ovh.signature(AS, CK, "POST", JOBS, BODY, "1795588184") == SIGNATURE


def test_send_asks_the_server_time_then_posts_one_signed_job() -> None:
    fake = Ovh({("POST", JOBS): SENT})
    fake.run(lambda p: p.send(message()))
    clock, post = fake.requests
    assert (clock.method, str(clock.url)) == ("GET", BASE + "/auth/time")
    assert "x-ovh-signature" not in clock.headers and "x-ovh-consumer" not in clock.headers
    assert clock.headers["x-ovh-application"] == AK
    assert (post.method, str(post.url)) == ("POST", JOBS)
    assert post.content == BODY.encode()
    assert {name: post.headers[name] for name in ("x-ovh-application", "x-ovh-consumer", "x-ovh-timestamp",
                                                  "x-ovh-signature", "content-type")} == {
        "x-ovh-application": AK, "x-ovh-consumer": CK, "x-ovh-timestamp": "1795588184",
        "x-ovh-signature": SIGNATURE, "content-type": "application/json"}
    assert expected_signature(post) == SIGNATURE


def test_server_time_is_asked_once_for_many_calls() -> None:
    fake = Ovh({("POST", JOBS): SENT})

    async def twice(provider: ovh.OvhProvider) -> None:
        await asyncio.gather(provider.send(message()), provider.send(message(reference="m-43")))

    fake.run(twice)
    assert [str(r.url) for r in fake.requests].count(BASE + "/auth/time") == 1
    assert len(fake.requests) == 3


def test_signature_time_is_the_real_clock_even_when_now_is_frozen_by_at() -> None:
    wall = [LOCAL.timestamp()]
    fake = Ovh({("POST", JOBS): SENT})

    async def twice(provider: ovh.OvhProvider) -> None:
        await provider.send(message())
        wall[0] += 100
        await provider.send(message(reference="m-43"))

    fake.run(twice, wall=lambda: wall[0], business=datetime(2027, 1, 9, 9, 0, tzinfo=UTC))
    assert [r.headers["x-ovh-timestamp"] for r in fake.requests[1:]] == [
        str(SERVER_TIME), str(SERVER_TIME + 100)]


def test_a_refused_timestamp_reads_the_server_time_again_and_retries_once() -> None:
    late = error(400, {"message": "Query out of time"})
    fake = Ovh({("GET", BASE + "/auth/time"): InTurn(SERVER_TIME, SERVER_TIME + 42),
                ("POST", JOBS): InTurn(late, SENT)})
    assert fake.run(lambda p: p.send(message())).provider_id == "123456789"
    assert [(r.method, r.headers.get("x-ovh-timestamp")) for r in fake.requests] == [
        ("GET", None), ("POST", str(SERVER_TIME)), ("GET", None), ("POST", str(SERVER_TIME + 42))]
    assert fake.requests[-1].headers["x-ovh-signature"] == expected_signature(fake.requests[-1])


def test_a_timestamp_still_refused_after_resync_stops_the_run_and_fails_no_message() -> None:
    late = error(400, {"message": "Query out of time"})
    fake = Ovh({("GET", BASE + "/auth/time"): InTurn(SERVER_TIME, SERVER_TIME),
                ("POST", JOBS): InTurn(late, late)})
    with pytest.raises(ProviderConfigError) as raised:
        fake.run(lambda p: p.send(message()))
    assert str(raised.value) == (
        "OVH refused the request time (400 Query out of time (query id EU.ext-1.q1)) even after "
        "reading its clock again (/auth/time); check this machine's clock")
    assert [r.method for r in fake.requests] == ["GET", "POST", "GET", "POST"]


def test_an_undeclared_sender_stops_the_run_instead_of_failing_every_message() -> None:
    with pytest.raises(ProviderConfigError) as raised:
        send(error(400, {"message": "Sender MAISONLILA does not exists"}))
    assert str(raised.value) == (
        "OVH refused the sender (400 Sender MAISONLILA does not exists (query id EU.ext-1.q1)); use a "
        "sender declared and validated on sms-ab12345-1 (GET /sms/sms-ab12345-1/senders) or set "
        "sender_for_response")


def test_ucs2_text_is_sent_escaped_without_coding_and_signed_over_the_exact_bytes() -> None:
    fake = Ovh({("POST", JOBS): SENT})
    fake.run(lambda p: p.send(message("Soldes d’hiver, crème brûlée 🎉 STOP au 36111")))
    post = fake.requests[-1]
    body = json.loads(post.content)
    assert "coding" not in body and body["charset"] == "UTF-8"
    assert body["message"] == "Soldes d’hiver, crème brûlée 🎉 STOP au 36111"
    assert b"d\\u2019hiver" in post.content and post.content.isascii()
    assert post.headers["x-ovh-signature"] == expected_signature(post)


def test_sender_for_response_replaces_the_sender_and_no_stop_clause_is_passed_on() -> None:
    fake = Ovh({("POST", JOBS): SENT})
    fake.run(lambda p: p.send(message()), sender_for_response=True, no_stop_clause=True)
    body = json.loads(fake.requests[-1].content)
    assert "sender" not in body
    assert (body["senderForResponse"], body["noStopClause"]) == (True, True)


def test_base_url_is_configurable() -> None:
    fake = Ovh({("POST", "https://ovh.test/1.0/sms/sms-ab12345-1/jobs"): SENT,
                ("GET", "https://ovh.test/1.0/auth/time"): SERVER_TIME})
    fake.run(lambda p: p.send(message()), base_url="https://ovh.test/1.0/")
    assert [str(r.url) for r in fake.requests] == ["https://ovh.test/1.0/auth/time",
                                                   "https://ovh.test/1.0/sms/sms-ab12345-1/jobs"]


# --- the answer (providers.md §2.2, §2.5) ---------------------------------------------------------

def test_accepted_job_gives_the_sms_id_and_a_masked_answer() -> None:
    accepted = send(SENT)
    assert accepted.provider_id == "123456789"
    assert "+33639980001" not in accepted.raw and "+33 6 39 98 ** 01" in accepted.raw


@pytest.mark.parametrize("invalid", ["+33639980001", "0033639980001"])
def test_invalid_receiver_is_refused_permanently(invalid: str) -> None:
    with pytest.raises(Refused) as raised:
        send({"ids": [], "validReceivers": [], "invalidReceivers": [invalid], "totalCreditsRemoved": 0})
    assert raised.value.failure == "permanent"
    assert "invalidReceivers" in str(raised.value)
    assert "39980001" not in raised.value.raw


def error(status: int, body: dict[str, str], headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers={"X-OVH-QUERYID": "EU.ext-1.q1"} | (headers or {}))


CHECK_KEYS = ("SMSOPS_OVH_APPLICATION_KEY, SMSOPS_OVH_APPLICATION_SECRET, SMSOPS_OVH_CONSUMER_KEY "
              "and the key's access rules")


@pytest.mark.parametrize(("answer", "text"), [
    (error(400, {"errorCode": "INVALID_SIGNATURE", "message": "Invalid signature"}),
     f"OVH refused the credentials (400 Invalid signature (query id EU.ext-1.q1)); check {CHECK_KEYS}"),
    (error(403, {"errorCode": "NOT_CREDENTIAL", "message": "This credential does not exist"}),
     "OVH refused the credentials (403 This credential does not exist (query id EU.ext-1.q1)); "
     f"check {CHECK_KEYS}"),
    (error(401, {"message": "You must login first"}),
     f"OVH refused the credentials (401 You must login first (query id EU.ext-1.q1)); check {CHECK_KEYS}"),
    (error(404, {"message": "This service does not exist"}),
     "OVH answered 404 This service does not exist (query id EU.ext-1.q1); check "
     "providers.ovh.service_name (sms-ab12345-1) and base_url"),
])
def test_credential_and_service_errors_stop_the_run_with_one_line(answer: httpx.Response, text: str) -> None:
    with pytest.raises(ProviderConfigError) as raised:
        send(answer)
    assert str(raised.value) == text
    assert AS not in str(raised.value) and CK not in str(raised.value) and AK not in str(raised.value)


@pytest.mark.parametrize(("answer", "kind", "retry_after"), [
    (error(429, {"message": "Too many requests"}, {"Retry-After": "7"}), NotSent, 7.0),
    (error(429, {"message": "Too many requests"}), NotSent, None),
    (error(400, {"message": "Invalid receivers"}), Refused, None),
    (error(500, {"message": "Internal server error"}), InDoubt, None),
    (error(503, {"message": "Service unavailable"}), InDoubt, None),
    (httpx.Response(502, text="<html>Bad Gateway</html>"), InDoubt, None),
])
def test_error_answers_map_to_one_error_class(answer: httpx.Response, kind: type[SendError],
                                              retry_after: float | None) -> None:
    with pytest.raises(kind) as raised:
        send(answer)
    assert type(raised.value) is kind
    assert raised.value.raw == answer.text
    if isinstance(raised.value, NotSent):
        assert raised.value.retry_after == retry_after


@pytest.mark.parametrize(("exception", "kind"), [
    (httpx.ConnectError, NotSent), (httpx.ConnectTimeout, NotSent), (httpx.PoolTimeout, NotSent),
    (httpx.ReadTimeout, InDoubt), (httpx.WriteTimeout, InDoubt), (httpx.RemoteProtocolError, InDoubt),
])
def test_transport_errors_are_not_sent_only_when_the_job_provably_never_left(
        exception: type[httpx.TransportError], kind: type[SendError]) -> None:
    with pytest.raises(kind) as raised:
        send(Fails(exception))
    assert type(raised.value) is kind


def test_timeout_while_asking_the_time_is_not_sent() -> None:
    fake = Ovh({("GET", BASE + "/auth/time"): Fails(httpx.ReadTimeout)})
    with pytest.raises(NotSent, match="OVH clock unavailable"):
        fake.run(lambda p: p.send(message()))
    assert [r.method for r in fake.requests] == ["GET"]


def test_secrets_never_reach_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    send(SENT)
    assert "HTTP Request: POST" in caplog.text
    assert not any(secret in caplog.text for secret in (AS, CK, AK))


# --- lookup by tag (providers.md §2.3) ------------------------------------------------------------

OUTGOING = BASE + "/sms/sms-ab12345-1/outgoing"
DELIVERED = {"id": 123456789, "receiver": "+33639980001", "tag": "m-42", "deliveryReceipt": 1, "ptt": 4,
             "sentAt": "2026-11-25T09:00:02+01:00", "deliveredAt": "2026-11-25T09:00:07+01:00"}


def test_lookup_finds_the_message_by_tag_with_signed_query() -> None:
    fake = Ovh({("GET", OUTGOING + "?tag=m-42"): [123456789],
                ("GET", OUTGOING + "/123456789"): DELIVERED})
    found = fake.run(lambda p: p.lookup("m-42"))
    assert found == Report(reference="m-42", state="delivered", provider_id="123456789",
                           at=datetime(2026, 11, 25, 8, 0, 7, tzinfo=UTC),
                           raw={"id": "123456789", "deliveryReceipt": "1", "ptt": "4", "tag": "m-42"})
    assert all(r.headers["x-ovh-signature"] == expected_signature(r) for r in fake.requests[1:])


def test_lookup_says_never_received_only_when_nothing_is_pending() -> None:
    fake = Ovh({("GET", OUTGOING + "?tag=m-42"): [], ("GET", JOBS): []})
    assert fake.run(lambda p: p.lookup("m-42")) is None


def test_lookup_finds_our_message_among_the_pending_jobs_by_its_tag() -> None:
    fake = Ovh({("GET", OUTGOING + "?tag=m-42"): [], ("GET", JOBS): [77, 78],
                ("GET", JOBS + "/77"): {"id": 77, "tag": "m-41"},
                ("GET", JOBS + "/78"): {"id": 78, "tag": "m-42"}})
    assert fake.run(lambda p: p.lookup("m-42")) == Report(reference="m-42", state="pending",
                                                          provider_id="78", raw={"job": "78"})


def test_lookup_with_only_other_pending_jobs_cannot_tell_and_leaves_the_message_in_doubt() -> None:
    fake = Ovh({("GET", OUTGOING + "?tag=m-42"): [], ("GET", JOBS): [77],
                ("GET", JOBS + "/77"): {"id": 77, "receiver": "+33639980002", "tag": "m-41"}})
    with pytest.raises(InDoubt, match="1 pending job"):
        fake.run(lambda p: p.lookup("m-42"))


# --- the status tables (providers.md §2.3) --------------------------------------------------------

def test_status_tables_are_the_providers_md_tables() -> None:
    assert ovh.STATUS == {0: "pending", 1: "delivered", 2: "failed", 4: "pending", 8: "pending", 16: "failed"}
    assert ovh.PTT_STATUS == {
        1: "pending", 2: "pending", 3: "pending", 4: "delivered", 5: "failed", 6: "unknown", 8: "unknown",
        20: "failed", 21: "unknown", 23: "failed", 24: "unknown", 25: "unknown", 26: "unknown",
        27: "failed", 28: "failed", 29: "failed", 33: "failed", 39: "unknown", 73: "unknown",
        74: "unknown", 76: "failed", 202: "failed"}


FAILURE = {"failed": "permanent", "unknown": "temporary"}


@pytest.mark.parametrize(("dlr", "state"), sorted(ovh.STATUS.items()) + [(32, "unknown")])
def test_dlr_id_maps_to_our_state(dlr: int, state: str) -> None:
    assert ovh.state_of(dlr, None) == (state, FAILURE.get(state))


@pytest.mark.parametrize(("ptt", "state"), sorted(ovh.PTT_STATUS.items()))
def test_ptt_tells_failed_from_unknown_for_dlr_2(ptt: int, state: str) -> None:
    expected = state if state in ("failed", "unknown") else "failed"
    assert ovh.state_of(2, ptt) == (expected, FAILURE[expected])
    assert ovh.state_of(1, ptt) == ("delivered", None)  # only a failure is refined


# --- the delivery callback ------------------------------------------------------------------------

def callback(params: dict[str, str], kind: str = "dlr") -> WebhookCall:
    return WebhookCall(kind=kind, method="GET",  # type: ignore[arg-type]
                       url="https://smsops.example/-/smsops/dlr/ovh?token=tok",
                       headers={}, params=params, body=b"",
                       received_at=datetime(2026, 11, 25, 8, 1, tzinfo=UTC))


def test_callback_becomes_a_report_joined_on_the_sms_id() -> None:
    params = {"token": "tok", "id": "123456789", "ptt": "24", "date": "2026-11-25 09:00:30",
              "description": "2", "descriptionDlr": "Failed"}
    received = ovh.parse_webhook(callback(params), CONFIG, ENV)
    assert received.replies == []
    assert received.reports == [Report(reference="", state="unknown", failure="temporary",
                                       at=datetime(2026, 11, 25, 9, 0, 30), provider_id="123456789",
                                       raw={k: v for k, v in params.items() if k != "token"})]


def test_callback_reads_dlr_when_description_is_absent() -> None:
    report, = ovh.parse_webhook(callback({"id": "5", "dlr": "1"}), CONFIG, ENV).reports
    assert (report.state, report.provider_id, report.at) == ("delivered", "5",
                                                              datetime(2026, 11, 25, 8, 1, tzinfo=UTC))


@pytest.mark.parametrize("params", [{"description": "1"}, {"id": "5"}, {"id": "5", "description": "ok"}])
def test_malformed_callback_is_a_value_error(params: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="needs id and a numeric description"):
        ovh.parse_webhook(callback(params), CONFIG, ENV)


def test_reply_push_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="pulled by smsops sync"):
        ovh.parse_webhook(callback({"id": "5"}, kind="mo"), CONFIG, ENV)


# --- pull and STOP list (providers.md §2.3, §2.4) -------------------------------------------------

SINCE = "?creationDatetime.from=2026-11-22T06%3A26%3A40%2B00%3A00"  # 72 h before LOCAL


def test_pull_reads_tagged_outgoing_and_incoming_since_the_window() -> None:
    incoming = BASE + "/sms/sms-ab12345-1/incoming"
    fake = Ovh({("GET", OUTGOING + SINCE): [123456789, 5],
                ("GET", OUTGOING + "/123456789"): DELIVERED,
                ("GET", OUTGOING + "/5"): {"id": 5, "tag": "", "deliveryReceipt": 1, "ptt": 4},
                ("GET", incoming + SINCE): [9],
                ("GET", incoming + "/9"): {"id": 9, "sender": "0033639980001", "message": "STOP",
                                            "creationDatetime": "2026-11-25T09:05:00+01:00", "tag": ""}})
    reports, replies = fake.run(lambda p: p.pull())
    assert [(r.reference, r.state, r.provider_id) for r in reports] == [("m-42", "delivered", "123456789")]
    assert replies == [Inbound(sender="+33639980001", text="STOP",
                               at=datetime(2026, 11, 25, 8, 5, tzinfo=UTC))]
    assert all(r.headers["x-ovh-signature"] == expected_signature(r) for r in fake.requests
               if "x-ovh-signature" in r.headers)


def test_ovh_is_a_puller() -> None:
    assert isinstance(built(CONFIG), Puller)


def test_stop_list_is_the_blacklist_in_e164() -> None:
    fake = Ovh({("GET", BASE + "/sms/sms-ab12345-1/blacklists"): ["0033639980010", "+33639980011",
                                                                   "33639980012"]})
    assert fake.run(lambda p: p.stop_list()) == ["+33639980010", "+33639980011", "+33639980012"]


# --- configuration --------------------------------------------------------------------------------

def built(config: dict[str, Any], env: dict[str, str] = ENV) -> ovh.OvhProvider:
    provider = ovh.create(config, env)
    asyncio.run(provider.aclose())
    return provider


def test_capabilities_come_from_config_and_count_ovhs_stop_clause() -> None:
    provider = built(CONFIG | {"max_parts": 4, "concurrency": 3})
    assert provider.name == "ovh"
    assert provider.capabilities == Capabilities(lookup=True, appends_stop="\nSTOP 36111", max_parts=4,
                                                 price_eur_per_part=0.05, rate_per_second=20.0,
                                                 concurrency=3)
    assert built(CONFIG | {"no_stop_clause": True}).capabilities.appends_stop is None
    assert built(CONFIG | {"stop_clause": " STOP 36184"}).capabilities.appends_stop == " STOP 36184"


def test_missing_service_name_is_named() -> None:
    with pytest.raises(ProviderConfigError) as raised:
        ovh.create({}, ENV)
    assert str(raised.value) == "providers.ovh needs service_name (e.g. sms-ab12345-1) in smsops.yaml"


def test_missing_service_name_and_variables_are_named_together() -> None:
    with pytest.raises(ProviderConfigError) as raised:
        ovh.create({}, {})
    assert str(raised.value) == (
        "providers.ovh needs service_name (e.g. sms-ab12345-1) in smsops.yaml; OVH credentials missing: "
        "set the environment variable(s) SMSOPS_OVH_APPLICATION_KEY, SMSOPS_OVH_APPLICATION_SECRET, "
        "SMSOPS_OVH_CONSUMER_KEY")


def test_missing_environment_variables_are_named_without_values() -> None:
    with pytest.raises(ProviderConfigError) as raised:
        ovh.create(CONFIG, {"SMSOPS_OVH_APPLICATION_KEY": AK})
    assert str(raised.value) == ("OVH credentials missing: set the environment variable(s) "
                                 "SMSOPS_OVH_APPLICATION_SECRET, SMSOPS_OVH_CONSUMER_KEY")
    with pytest.raises(ProviderConfigError, match="OVH_PROD_CK$"):
        ovh.create(CONFIG | {"consumer_key_env": "OVH_PROD_CK"}, ENV)
