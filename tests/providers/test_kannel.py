"""Kannel adapter: the wire format against a mock transport, then end to end against a real gateway.

The real gateway (tests/kannel_gateway.py) is shared by the session: this module owns the fictional
receivers +33639980091 to +33639980095 (the example contacts stop at 0012) and puts a fresh
reference in every message."""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from runner.providers import kannel
from runner.providers.base import (
    Accepted,
    Capabilities,
    InDoubt,
    NotSent,
    OutgoingMessage,
    ProviderConfigError,
    Refused,
    SendError,
)
from tests.kannel_gateway import KannelGateway, Received
from tests.providers import wire

URL = "http://kannel.test:13013/cgi-bin/sendsms"
DLR_URL = "http://127.0.0.1:8001/-/smsops/dlr/kannel"
CONFIG = {"url": URL, "username_env": "SMSOPS_KANNEL_USER", "password_env": "SMSOPS_KANNEL_PASSWORD",
          "dlr_url": DLR_URL, "rate_per_second": 100, "price_eur_per_part": 0.045}
ENV = {"SMSOPS_KANNEL_USER": "smsops", "SMSOPS_KANNEL_PASSWORD": "s3cr3t-pw"}
SENDER = "MAISONLILA"
DLR_QUERY = "mid={}&type=%d&smsc=%i&ts=%T&reply=%A"
Handler = Callable[[httpx.Request], httpx.Response]


def message(text: str = "Maison Lila : -20% samedi. STOP au 36111", *, reference: str = "m-42",
            to: str = "+33639980001") -> OutgoingMessage:
    return wire.outgoing(text, reference=reference, to=to, sender=SENDER)


def send(handler: Handler, outgoing: OutgoingMessage | None = None, **config: Any) -> Accepted:
    accepted: Accepted = wire.call_on(
        lambda transport: kannel.create(CONFIG | config, ENV, transport=transport), handler,
        lambda provider: provider.send(outgoing or message()))
    return accepted


def captured(outgoing: OutgoingMessage | None = None, **config: Any) -> httpx.Request:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(202, text="0: Accepted for delivery")

    send(handler, outgoing, **config)
    assert len(requests) == 1
    return requests[0]


def answer(status: int, body: str) -> Handler:
    return lambda request: httpx.Response(status, text=body)


# --- the request ---------------------------------------------------------------------------------

def test_send_is_one_get_to_sendsms_with_every_parameter() -> None:
    request = captured()
    assert (request.method, request.url.scheme, request.url.host, request.url.port, request.url.path) == (
        "GET", "http", "kannel.test", 13013, "/cgi-bin/sendsms")
    assert request.url.params.multi_items() == [
        ("username", "smsops"), ("password", "s3cr3t-pw"), ("from", SENDER), ("to", "+33639980001"),
        ("text", "Maison Lila : -20% samedi. STOP au 36111"), ("charset", "UTF-8"), ("coding", "0"),
        ("dlr-mask", "31"), ("dlr-url", DLR_URL + "?" + DLR_QUERY.format("m-42"))]


def test_ucs2_message_is_sent_with_coding_2_and_utf8_text() -> None:
    request = captured(message("Soldes d’hiver, crème brûlée 🎉"))
    assert request.url.params["coding"] == "2"
    assert request.url.params["charset"] == "UTF-8"
    assert request.url.params["text"] == "Soldes d’hiver, crème brûlée 🎉"
    assert "text=Soldes+d%E2%80%99hiver" in str(request.url)


def test_dlr_url_with_a_query_gets_our_reference_after_an_ampersand() -> None:
    request = captured(dlr_url=DLR_URL + "?tok=abc")
    assert request.url.params["dlr-url"] == DLR_URL + "?tok=abc&" + DLR_QUERY.format("m-42")


def test_reference_is_url_quoted_and_its_percent_signs_doubled_for_kannel() -> None:
    """Kannel expands %X codes in the dlr-url and turns %% into % (checked on 1.4.5)."""
    request = captured(message(reference="ab/é 1"))
    assert request.url.params["dlr-url"] == DLR_URL + "?" + DLR_QUERY.format("ab%%2F%%C3%%A9%%201")


def test_smsc_is_sent_only_when_configured() -> None:
    assert "smsc" not in captured().url.params
    assert captured(smsc="operator1").url.params["smsc"] == "operator1"


def test_password_never_reaches_the_httpx_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    request = captured()
    assert "s3cr3t-pw" in str(request.url)
    assert "HTTP Request: GET" in caplog.text
    assert "s3cr3t-pw" not in caplog.text


def test_sends_reuse_one_keep_alive_connection() -> None:
    clients: list[tuple[str, int]] = []

    class Sendsms(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            clients.append(self.client_address)
            self.wfile.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 24\r\n\r\n0: Accepted for delivery")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sendsms)
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()

    async def go() -> None:
        url = f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/sendsms"
        provider = kannel.create(CONFIG | {"url": url}, ENV)
        try:
            for number in range(5):
                await provider.send(message(reference=f"m-{number}"))
        finally:
            await provider.aclose()

    try:
        asyncio.run(go())
    finally:
        server.shutdown()
        server.server_close()
    assert len(clients) == 5
    assert len(set(clients)) == 1


# --- the answer (providers.md §5.1) ---------------------------------------------------------------

@pytest.mark.parametrize("body", ["0: Accepted for delivery", "3: Queued for later delivery", "Sent."])
def test_202_is_accepted_without_provider_id(body: str) -> None:
    assert send(answer(202, body)) == Accepted(provider_id=None, raw=body)


@pytest.mark.parametrize(("status", "body", "error"), [
    (400, "Missing receiver number, rejected", Refused),
    (400, "Sender missing and no global set, rejected", Refused),
    (403, "Not routable. Do not try again.", Refused),
    (202, "Sent. Denied receivers are: +33639980001", Refused),
    (500, "Sending failed.", InDoubt),
    (502, "Bad Gateway", InDoubt),
    (503, "Temporal failure, try again later.", NotSent),
    (429, "Too Many Requests", NotSent),
    (404, "Not Found", ProviderConfigError),
])
def test_error_answers_map_to_one_error_class_and_keep_the_body(status: int, body: str,
                                                                 error: type[SendError]) -> None:
    with pytest.raises(error) as raised:
        send(answer(status, body))
    assert type(raised.value) is error
    assert raised.value.raw == body
    if isinstance(raised.value, Refused):
        assert raised.value.failure == "permanent"


def test_authorization_failed_is_a_config_error_naming_both_variables() -> None:
    with pytest.raises(ProviderConfigError) as raised:
        send(answer(403, "Authorization failed for sendsms"))
    assert str(raised.value) == ("Kannel refused the credentials (Authorization failed for sendsms); "
                                 "check SMSOPS_KANNEL_USER and SMSOPS_KANNEL_PASSWORD")
    assert raised.value.raw == "Authorization failed for sendsms"


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
    assert "s3cr3t-pw" not in str(raised.value)


# --- configuration --------------------------------------------------------------------------------

def built(config: dict[str, Any], env: dict[str, str]) -> kannel.KannelProvider:
    provider = kannel.create(config, env)
    asyncio.run(provider.aclose())
    return provider


def test_capabilities_come_from_config() -> None:
    provider = built(CONFIG | {"max_parts": 4}, ENV)
    assert provider.name == "kannel"
    assert provider.capabilities == Capabilities(lookup=False, appends_stop=None, max_parts=4,
                                                 price_eur_per_part=0.045, rate_per_second=100.0,
                                                 concurrency=16)
    assert built(CONFIG, ENV).capabilities.max_parts == 10


def test_missing_environment_variables_are_named_without_values() -> None:
    with pytest.raises(ProviderConfigError) as raised:
        kannel.create(CONFIG, {"SMSOPS_KANNEL_USER": "smsops"})
    assert str(raised.value) == ("Kannel credentials missing: set the environment variable(s) "
                                 "SMSOPS_KANNEL_PASSWORD")
    with pytest.raises(ProviderConfigError, match="SMSOPS_KANNEL_USER and SMSOPS_KANNEL_PASSWORD$"):
        kannel.create(CONFIG, {})


def test_variable_names_default_and_can_be_renamed() -> None:
    bare = {"url": URL, "dlr_url": DLR_URL}
    assert built(bare, ENV).capabilities.lookup is False
    with pytest.raises(ProviderConfigError, match="KANNEL_PROD_PASSWORD"):
        kannel.create(bare | {"password_env": "KANNEL_PROD_PASSWORD"}, ENV)


def test_missing_url_or_dlr_url_is_a_config_error() -> None:
    with pytest.raises(ProviderConfigError, match="^providers.kannel needs url and dlr_url in smsops.yaml$"):
        kannel.create({}, ENV)


def test_lookup_is_not_offered() -> None:
    provider = kannel.create(CONFIG, ENV, transport=httpx.MockTransport(answer(202, "")))
    with pytest.raises(NotImplementedError):
        asyncio.run(provider.lookup("m-42"))
    asyncio.run(provider.aclose())


# --- delivery reports (providers.md §5.2) ---------------------------------------------------------

@pytest.mark.parametrize(("type_", "reply", "state", "failure"), [
    ("1", "", "delivered", None),
    ("2", "id:1 sub:001 dlvrd:000 stat:UNDELIV err:001", "failed", "permanent"),
    ("4", "", "pending", None),
    ("8", "ACK/", "pending", None),
    ("16", "NACK/no SMSC", "failed", "permanent"),
    ("32", "", "pending", None),
    ("2", "id:1 sub:001 dlvrd:000 stat:EXPIRED err:000", "unknown", "temporary"),
    ("2", "id:1 sub:001 dlvrd:000 stat:UNKNOWN err:000", "unknown", "temporary"),
    ("64", "", "unknown", None),
    ("%d", "", "unknown", None),
])
def test_dlr_type_maps_to_our_state(type_: str, reply: str, state: str, failure: str | None) -> None:
    params = {"mid": "m-42", "type": type_, "smsc": "fake1", "ts": "1795588184", "reply": reply}
    report = kannel.parse_report(params)
    assert (report.reference, report.state, report.failure) == ("m-42", state, failure)
    assert report.at == datetime.fromtimestamp(1795588184, UTC)
    assert report.provider_id is None
    assert report.raw == params


def test_status_table_is_the_providers_md_table() -> None:
    assert kannel.STATUS == {1: "delivered", 2: "failed", 4: "pending", 8: "pending", 16: "failed",
                             32: "pending"}


def test_report_without_mid_is_refused() -> None:
    with pytest.raises(ValueError, match="mid"):
        kannel.parse_report({"type": "1"})


# --- end to end, real Kannel ----------------------------------------------------------------------

GSM7_LONG = ("Maison Lila : -20% sur tout le rayon hiver ce samedi avec le code HIVER20, en boutique "
             "et sur maisonlila.example/soldes. ") * 3 + "STOP au 36111"
UCS2_LONG = "Soldes d’hiver, crème brûlée 🎉 " * 3 + "STOP au 36111"
E2E = [  # (receiver, text, encoding, parts as Kannel splits them)
    ("+33639980091", "Maison Lila : -20% samedi avec le code HIVER20. STOP au 36111", "GSM-7", 1),
    ("+33639980092", "Soldes d’hiver, crème brûlée 🎉", "UCS-2", 1),
    ("+33639980093", GSM7_LONG, "GSM-7", 3),
    ("+33639980094", UCS2_LONG, "UCS-2", 2),
]


def send_real(gateway: KannelGateway, *messages: OutgoingMessage, env: dict[str, str] | None = None,
              ) -> list[Accepted]:
    async def go() -> list[Accepted]:
        provider = kannel.create(gateway.config(), env or gateway.env)
        try:
            return list(await asyncio.gather(*(provider.send(m) for m in messages)))
        finally:
            await provider.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize(("to", "text", "encoding", "parts"), E2E, ids=["gsm7", "ucs2", "gsm7-3-parts",
                                                                       "ucs2-2-parts"])
def test_message_reaches_the_handset_once_with_its_text_and_reports(
        kannel_gateway: KannelGateway, to: str, text: str, encoding: str, parts: int) -> None:
    # a reference with characters Kannel would otherwise read as its own %-codes comes back intact
    outgoing = message(text, reference=f"e2e/{secrets.token_hex(4)} é%d%A", to=to)
    assert (outgoing.encoding, outgoing.parts) == (encoding, parts)

    assert send_real(kannel_gateway, outgoing) == [Accepted(provider_id=None, raw="0: Accepted for delivery")]

    reports = kannel_gateway.wait_dlrs(2, mid=outgoing.reference)  # 8 then 1: one pair per logical message
    assert sorted(r["type"] for r in reports) == ["1", "8"]
    assert all(r["smsc"] == "fake1" and r["ts"].isdigit() for r in reports)
    assert sorted(kannel.parse_report(r).state for r in reports) == ["delivered", "pending"]
    kannel_gateway.wait_received(1, to=to)
    assert [r for r in kannel_gateway.received() if r.to == to] == [Received(SENDER, to, text)]
    assert len([p for p in kannel_gateway.parts() if p.split(" ")[1] == to]) == parts


def test_wrong_password_on_the_real_gateway_is_a_config_error(kannel_gateway: KannelGateway) -> None:
    with pytest.raises(ProviderConfigError, match="check SMSOPS_KANNEL_USER and SMSOPS_KANNEL_PASSWORD"):
        send_real(kannel_gateway, message(to="+33639980095"),
                  env=kannel_gateway.env | {"SMSOPS_KANNEL_PASSWORD": "wrong"})
