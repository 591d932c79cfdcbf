"""Brevo adapter: the wire format against httpx.MockTransport (providers.md §1), no network."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import pytest

from runner.providers import brevo
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

BASE = "https://api.brevo.test/v3"
DLR_URL = "https://smsops.example/-/smsops/dlr/brevo"
CONFIG = {"base_url": BASE, "dlr_url": DLR_URL, "price_eur_per_part": 0.045, "rate_per_second": 50}
SECRET = "xkeysib-s3cr3t"
ENV = {"SMSOPS_BREVO_API_KEY": SECRET, "SMSOPS_WEBHOOK_TOKEN": "tok3n"}
NOW = datetime(2027, 1, 9, 10, 0, tzinfo=UTC)
SENDER = "MAISONLILA"
Handler = Callable[[httpx.Request], httpx.Response]
T = TypeVar("T")


def message(text: str = "Maison Lila : -20% samedi. STOP au 36111", *, reference: str = "m-42",
            to: str = "+33639980001") -> OutgoingMessage:
    return wire.outgoing(text, reference=reference, to=to, sender=SENDER)


def run(handler: Handler, call: Callable[[brevo.BrevoProvider], Awaitable[T]], **config: Any) -> T:
    return wire.call_on(lambda transport: brevo.create(CONFIG | config, ENV, transport=transport,
                                                     clock=lambda: NOW), handler, call)


def send(handler: Handler, outgoing: OutgoingMessage | None = None, **config: Any) -> Accepted:
    return run(handler, lambda provider: provider.send(outgoing or message()), **config)


def captured(outgoing: OutgoingMessage | None = None, **config: Any) -> httpx.Request:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(201, json={"messageId": 1511882900176220})

    send(handler, outgoing, **config)
    assert len(requests) == 1
    return requests[0]


def answer(status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Handler:
    return lambda request: httpx.Response(status, json=body, headers=headers)


# --- the request ---------------------------------------------------------------------------------

def test_send_is_one_json_post_with_the_api_key_and_our_reference_as_tag() -> None:
    request = captured()
    assert (request.method, str(request.url)) == ("POST", BASE + "/transactionalSMS/send")
    assert request.headers["api-key"] == SECRET
    assert request.headers["accept"] == "application/json"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "sender": SENDER, "recipient": "33639980001", "content": "Maison Lila : -20% samedi. STOP au 36111",
        "type": "marketing", "unicodeEnabled": False, "tag": "m-42",
        "webUrl": DLR_URL + "?mid=m-42&token=tok3n"}


def test_base_url_defaults_to_the_real_api() -> None:
    config = {key: value for key, value in CONFIG.items() if key != "base_url"}
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(201, json={"messageId": 1})

    async def go() -> None:
        provider = brevo.create(config, ENV, transport=httpx.MockTransport(handler))
        await provider.send(message())
        await provider.aclose()

    asyncio.run(go())
    assert str(requests[0].url) == "https://api.brevo.com/v3/transactionalSMS/send"


def test_ucs2_message_sets_unicode_enabled_and_keeps_the_text() -> None:
    body = json.loads(captured(message("Soldes d’hiver, crème brûlée 🎉")).content)
    assert body["unicodeEnabled"] is True
    assert body["content"] == "Soldes d’hiver, crème brûlée 🎉"


def test_without_dlr_url_no_web_url_is_sent_and_sms_type_is_configurable() -> None:
    body = json.loads(captured(dlr_url="", sms_type="transactional").content)
    assert "webUrl" not in body
    assert body["type"] == "transactional"


def test_web_url_keeps_an_existing_query_and_quotes_the_reference() -> None:
    body = json.loads(captured(message(reference="a/b é"), dlr_url=DLR_URL + "?x=1").content)
    assert body["webUrl"] == DLR_URL + "?x=1&mid=a%2Fb+%C3%A9&token=tok3n"


def test_api_key_never_reaches_the_httpx_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    captured()
    assert "HTTP Request: POST" in caplog.text
    assert SECRET not in caplog.text


# --- the answer (providers.md §1.2, §1.6) ----------------------------------------------------------

def test_accepted_message_keeps_brevo_message_id() -> None:
    accepted = send(answer(201, {"messageId": 1511882900176220}))
    assert accepted == Accepted(provider_id="1511882900176220", raw='{"messageId":1511882900176220}')


@pytest.mark.parametrize(("status", "body", "error"), [
    (400, {"code": "invalid_parameter", "message": "Invalid phone number"}, Refused),
    (422, {"code": "unprocessable_entity", "message": "content refused"}, Refused),
    (402, {"code": "not_enough_credits", "message": "Not enough credits"}, ProviderConfigError),
    (404, {"code": "document_not_found", "message": "not found"}, ProviderConfigError),
    (500, {"code": "internal", "message": "oops"}, InDoubt),
    (502, None, InDoubt),
    (503, None, InDoubt),
    (429, {"code": "too_many_requests", "message": "slow down"}, NotSent),
])
def test_error_answers_map_to_one_error_class_and_keep_the_body(
        status: int, body: dict[str, Any] | None, error: type[SendError]) -> None:
    with pytest.raises(error) as raised:
        send(answer(status, body))
    assert type(raised.value) is error
    assert raised.value.raw == (json.dumps(body, separators=(",", ":")) if body else "")


@pytest.mark.parametrize(("body", "start"), [
    ({"code": "permission_denied", "message": "IP not allowed"}, "Brevo refused the API key (400 "),
    ({"code": "account_under_validation", "message": "wait"}, "Brevo refused the API key (400 "),
    ({"code": "not_enough_credits", "message": "recharge"}, "Brevo has not enough SMS credits (400 "),
    ({"code": "invalid_parameter", "message": "Invalid sender name"}, "Brevo refused the sender (400 "),
])
def test_account_and_sender_problems_stop_the_run_instead_of_failing_every_message(
        body: dict[str, str], start: str) -> None:
    with pytest.raises(ProviderConfigError) as raised:
        send(answer(400, body))
    assert str(raised.value).startswith(start)


def test_invalid_number_is_a_permanent_refusal_naming_brevo_reason() -> None:
    with pytest.raises(Refused) as raised:
        send(answer(400, {"code": "invalid_parameter", "message": "Invalid phone number"}))
    assert str(raised.value) == "Brevo refused the message (400 invalid_parameter: Invalid phone number)"
    assert raised.value.failure == "permanent"


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failure_is_a_config_error_naming_the_variable(status: int) -> None:
    with pytest.raises(ProviderConfigError) as raised:
        send(answer(status, {"code": "unauthorized", "message": "Key not found"}))
    assert str(raised.value) == (f"Brevo refused the API key ({status} unauthorized: Key not found); "
                                 "check SMSOPS_BREVO_API_KEY")
    assert SECRET not in str(raised.value) + raised.value.raw


def test_auth_failure_names_a_renamed_variable() -> None:
    env = {"BREVO_PROD_KEY": SECRET}

    async def go() -> None:
        provider = brevo.create(CONFIG | {"api_key_env": "BREVO_PROD_KEY"}, env,
                                transport=httpx.MockTransport(answer(401, {"code": "unauthorized"})))
        try:
            await provider.send(message())
        finally:
            await provider.aclose()

    with pytest.raises(ProviderConfigError, match="check BREVO_PROD_KEY$"):
        asyncio.run(go())


@pytest.mark.parametrize(("headers", "retry_after"), [
    ({"x-sib-ratelimit-limit": "150", "x-sib-ratelimit-remaining": "0", "x-sib-ratelimit-reset": "7"}, 7.0),
    ({"x-sib-ratelimit-reset": "0.5"}, 0.5),
    ({"retry-after": "12"}, 12.0),
    ({}, None),
])
def test_429_is_not_sent_and_honours_the_rate_limit_reset(headers: dict[str, str],
                                                          retry_after: float | None) -> None:
    with pytest.raises(NotSent) as raised:
        send(answer(429, {"code": "too_many_requests"}, headers))
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

def test_capabilities_come_from_config() -> None:
    provider = brevo.create(CONFIG | {"max_parts": 4, "concurrency": 3}, ENV)
    asyncio.run(provider.aclose())
    assert provider.name == "brevo"
    assert provider.capabilities == Capabilities(lookup=True, appends_stop=None, max_parts=4,
                                                 price_eur_per_part=0.045, rate_per_second=50.0,
                                                 concurrency=3)


def test_missing_api_key_is_named_without_a_value() -> None:
    with pytest.raises(ProviderConfigError) as raised:
        brevo.create(CONFIG, {"SMSOPS_BREVO_API_KEY": ""})
    assert str(raised.value) == "Brevo credentials missing: set the environment variable SMSOPS_BREVO_API_KEY"


def test_unknown_sms_type_is_a_config_error() -> None:
    with pytest.raises(ProviderConfigError, match="^providers.brevo.sms_type must be one of marketing, "):
        brevo.create(CONFIG | {"sms_type": "promo"}, ENV)


# --- delivery states (providers.md §1.4) ---------------------------------------------------------

STATUS_ROWS = [
    ("delivered", "delivered", None),
    ("sent", "pending", None), ("accepted", "pending", None),
    ("hard_bounce", "failed", "permanent"), ("hardBounce", "failed", "permanent"),
    ("hardBounces", "failed", "permanent"),
    ("blacklisted", "failed", "permanent"), ("blocked", "failed", "permanent"),
    ("rejected", "failed", "permanent"),
    ("skip", "failed", "permanent"), ("skipped", "failed", "permanent"),
    ("soft_bounce", "unknown", "temporary"), ("softBounce", "unknown", "temporary"),
    ("softBounces", "unknown", "temporary"),
]


def test_status_table_is_the_providers_md_table() -> None:
    assert {name: (state, failure) for name, state, failure in STATUS_ROWS} == brevo.STATUS


@pytest.mark.parametrize(("name", "state", "failure"), STATUS_ROWS)
def test_every_brevo_event_maps_to_our_state_and_keeps_the_raw_event(name: str, state: str,
                                                                      failure: str | None) -> None:
    event = {"phoneNumber": "33639980001", "date": "2027-01-09T09:01:02+00:00", "messageId": "77",
             "event": name, "reason": "why", "tag": "m-42"}
    assert brevo.parse_event(event, "m-42") == Received(reports=[Report(
        "m-42", state, datetime(2027, 1, 9, 9, 1, 2, tzinfo=UTC), failure, provider_id="77",  # type: ignore[arg-type]
        raw={"date": "2027-01-09T09:01:02+00:00", "messageId": "77", "event": name, "reason": "why",
             "tag": "m-42"})])


# --- webhooks (providers.md §1.4, §1.5) ------------------------------------------------------------

RECEIVED_AT = datetime(2027, 1, 9, 9, 30, tzinfo=UTC)


def call(body: Any, *, kind: str = "dlr", params: dict[str, str] | None = None) -> WebhookCall:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return WebhookCall(kind=kind, method="POST", url=DLR_URL + "?mid=m-42&token=tok3n",  # type: ignore[arg-type]
                       headers={"content-type": "application/json"},
                       params={"token": "tok3n"} if params is None else params, body=raw,
                       received_at=RECEIVED_AT)


DELIVERED = {"id": 26570, "to": "33639980001", "sms_count": 1, "credits_used": 1.5, "messageId": 123,
             "remaining_credit": 11488.8, "msg_status": "delivered", "date": "2027-01-09 10:01:00",
             "type": "marketing", "reference": "abc", "ts_event": 1799485260}


def test_delivered_webhook_joins_on_mid_and_keeps_no_phone_number() -> None:
    received = brevo.parse_webhook(call(DELIVERED, params={"mid": "m-42", "token": "tok3n"}), {}, ENV)
    assert received == Received(reports=[Report(
        "m-42", "delivered", datetime.fromtimestamp(1799485260, UTC), None, provider_id="123",
        raw={k: str(v) for k, v in DELIVERED.items() if k != "to"})])


def test_webhook_without_ts_event_reads_date_as_paris_time() -> None:
    event = {k: v for k, v in DELIVERED.items() if k != "ts_event"}
    [report] = brevo.parse_webhook(call(event, params={"mid": "m-42"}), {}, ENV).reports
    assert report.at == datetime(2027, 1, 9, 10, 1, tzinfo=ZoneInfo("Europe/Paris"))


def test_account_webhook_joins_on_the_tag_and_batched_calls_bring_every_event() -> None:
    events = [DELIVERED | {"tag": "m-1"}, DELIVERED | {"msg_status": "hard_bounce", "tags": ["m-2"]}]
    received = brevo.parse_webhook(call(events), {}, ENV)
    assert [(r.reference, r.state, r.failure) for r in received.reports] == [
        ("m-1", "delivered", None), ("m-2", "failed", "permanent")]


def test_same_call_twice_parses_the_same_duplicates_are_the_ledgers_job() -> None:
    twice = [brevo.parse_webhook(call(DELIVERED, params={"mid": "m-42"}), {}, ENV) for _ in range(2)]
    assert twice[0] == twice[1]
    assert len(twice[0].reports) == 1


def test_unsubscribe_webhook_is_a_stop_reply_from_the_recipient() -> None:
    event = {"to": "33639980001", "msg_status": "unsubscribe", "ts_event": 1799485260, "messageId": 123}
    assert brevo.parse_webhook(call(event, kind="mo", params={"mid": "m-42"}), {}, ENV) == Received(
        replies=[Inbound("+33639980001", "STOP", datetime.fromtimestamp(1799485260, UTC), "m-42")])


def test_reply_webhook_keeps_the_text() -> None:
    event = {"event": "reply", "from": "+33639980002", "reply": "Merci, à samedi",
             "date": "2027-01-09 11:00:00"}
    assert brevo.parse_webhook(call(event, kind="mo", params={}), {}, ENV) == Received(replies=[Inbound(
        "+33639980002", "Merci, à samedi", datetime(2027, 1, 9, 11, 0, tzinfo=ZoneInfo("Europe/Paris")))])


def test_unknown_event_brings_nothing() -> None:
    assert brevo.parse_webhook(call(DELIVERED | {"msg_status": "subscribe"}), {}, ENV) == Received()


@pytest.mark.parametrize(("body", "reason"), [
    (b"msg_status=delivered", "not JSON"),
    (b"", "not JSON"),
    ({"to": "33639980001", "messageId": 1}, "without msg_status or event"),
    ([], "without msg_status or event"),
    (["delivered"], "without msg_status or event"),
    (DELIVERED, "'delivered' report without our reference"),
    ({"msg_status": "unsubscribe", "ts_event": 1799485260, "messageId": 123},
     "'unsubscribe' event without the recipient's number"),
    ({"event": "reply", "phone": "+33639980002", "reply": "STOP"},
     "'reply' event without the recipient's number"),
])
def test_malformed_webhook_is_a_value_error(body: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        brevo.parse_webhook(call(body), {}, ENV)


# --- pull, lookup, STOP list -----------------------------------------------------------------------

def event(name: str, tag: str | None, date: str, **extra: Any) -> dict[str, Any]:
    return {"phoneNumber": "33639980001", "date": date, "messageId": "9", "event": name,
            **({"tag": tag} if tag else {}), **extra}


def events_api(pages: list[list[dict[str, Any]]], requests: list[httpx.Request]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        assert request.url.path == "/v3/transactionalSMS/statistics/events"
        return httpx.Response(200, json={"events": pages[len(requests) - 1]})
    return handler


def test_pull_reads_every_page_of_the_clock_window_and_drops_later_events() -> None:
    full_page = [event("sent", f"m-{n}", "2027-01-09T08:00:00+00:00") for n in range(brevo.PAGE)]
    last_page = [event("delivered", "m-1", "2027-01-09T08:00:30+00:00"),
                 event("delivered", "m-2", "2027-01-09T10:00:01+00:00"),  # after the clock
                 event("delivered", None, "2027-01-09T08:00:00+00:00"),  # not ours
                 event("unsubscription", "m-3", "2027-01-09T09:00:00+00:00"),
                 event("replies", "m-4", "2027-01-09T09:10:00+00:00", reply="Oui")]
    requests: list[httpx.Request] = []
    reports, replies = run(events_api([full_page, last_page], requests), lambda p: p.pull())
    assert [dict(r.url.params) for r in requests] == [
        {"startDate": "2027-01-07", "endDate": "2027-01-09", "limit": "100", "offset": str(offset)}
        for offset in (0, 100)]
    assert requests[0].headers["api-key"] == SECRET
    assert len(reports) == 101
    assert reports[-1] == Report("m-1", "delivered", datetime(2027, 1, 9, 8, 0, 30, tzinfo=UTC),
                                 provider_id="9",
                                 raw={k: v for k, v in last_page[0].items() if k != "phoneNumber"})
    assert replies == [Inbound("+33639980001", "STOP", datetime(2027, 1, 9, 9, tzinfo=UTC), "m-3"),
                       Inbound("+33639980001", "Oui", datetime(2027, 1, 9, 9, 10, tzinfo=UTC), "m-4")]


def test_pull_days_widens_the_window() -> None:
    requests: list[httpx.Request] = []
    run(events_api([[]], requests), lambda p: p.pull(), pull_days=10)
    assert requests[0].url.params["startDate"] == "2026-12-30"


def test_lookup_finds_our_message_by_tag_and_prefers_a_final_state() -> None:
    requests: list[httpx.Request] = []
    found = [event("sent", "m-42", "2027-01-09T08:00:30+00:00"),  # stamped after the delivery
             event("delivered", "m-42", "2027-01-09T08:00:20+00:00"),
             event("delivered", "m-43", "2027-01-09T08:00:40+00:00")]
    report = run(events_api([found], requests), lambda p: p.lookup("m-42"))
    assert requests[0].url.params["tags"] == "m-42"
    assert requests[0].url.params["startDate"] == "2026-12-10"
    assert report is not None
    assert (report.reference, report.state, report.provider_id) == ("m-42", "delivered", "9")


def test_lookup_of_an_unknown_reference_is_none() -> None:
    assert run(events_api([[event("sent", "m-43", "2027-01-09T08:00:00+00:00")]], []),
               lambda p: p.lookup("m-42")) is None


@pytest.mark.parametrize("handler", [
    answer(503),
    lambda request: httpx.Response(200, text="<html>maintenance</html>"),
    lambda request: httpx.Response(200, json=["not", "an", "object"]),
])
def test_lookup_raises_when_brevo_cannot_answer_rather_than_saying_never_received(handler: Handler) -> None:
    with pytest.raises(InDoubt):
        run(handler, lambda p: p.lookup("m-42"))


def test_lookup_with_an_empty_answer_is_none() -> None:
    assert run(lambda request: httpx.Response(200, json={}), lambda p: p.lookup("m-42")) is None
    assert run(lambda request: httpx.Response(200), lambda p: p.lookup("m-42")) is None


def test_stop_list_is_every_sms_blacklisted_contact_in_e164(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(brevo, "CONTACTS_PAGE", 2)
    pages = [[{"attributes": {"SMS": "33639980001"}, "smsBlacklisted": True},
              {"attributes": {"SMS": "+33639980002"}, "smsBlacklisted": False}],
             [{"attributes": {"SMS": "0033639980003"}, "smsBlacklisted": True},
              {"attributes": {}, "smsBlacklisted": True}],
             [{"attributes": {"SMS": "33639980001"}, "smsBlacklisted": True}]]
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"contacts": pages[len(requests) - 1], "count": 5})

    assert run(handler, lambda p: p.stop_list()) == ["+33639980001", "+33639980003"]
    assert [(r.method, r.url.path, dict(r.url.params)) for r in requests] == [
        ("GET", "/v3/contacts", {"limit": "2", "offset": str(offset)}) for offset in (0, 2, 4)]


def test_stop_list_with_a_bad_key_is_a_config_error() -> None:
    with pytest.raises(ProviderConfigError, match="check SMSOPS_BREVO_API_KEY"):
        run(answer(401, {"code": "unauthorized"}), lambda p: p.stop_list())
