"""Kannel smsbox `sendsms` adapter (providers.md §5): one GET per message, our reference in the dlr-url.

Kannel returns no message id, so nothing can be looked up: a report joins back through `mid`, the
reference we put in the dlr-url query. Credentials travel in the query string (GET), so the httpx
request log gets them redacted (see `_RedactPassword`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import httpx

from runner.providers.base import (
    Accepted,
    Capabilities,
    Failure,
    Inbound,
    InDoubt,
    NotSent,
    OutgoingMessage,
    ProviderConfigError,
    Received,
    Refused,
    Report,
    State,
    WebhookCall,
    callback_url,
    env_names,
)
from runner.providers.http11 import BrokenAnswer, KeepAlivePool, Unreachable

STATUS: dict[int, State] = {1: "delivered", 2: "failed", 4: "pending", 8: "pending", 16: "failed",
                            32: "pending"}  # providers.md §5.2, the one table
ENV_DEFAULTS = {"username_env": "SMSOPS_KANNEL_USER", "password_env": "SMSOPS_KANNEL_PASSWORD"}
DLR_MASK = "31"  # 1+2+4+8+16: every step (providers.md §5.2)
DLR_QUERY = "mid={reference}&type=%d&smsc=%i&ts=%T&reply=%A"
NOT_FINAL = re.compile(r"stat:(EXPIRED|UNKNOWN)\b", re.IGNORECASE)  # type 2 that proves nothing


class _RedactPassword(logging.Filter):
    """httpx logs every request URL at INFO; ours carries `password=`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) if isinstance(arg, httpx.URL) else arg for arg in record.args)
        return True


def _redacted(url: httpx.URL) -> httpx.URL:
    return url.copy_set_param("password", "***") if "password" in url.params else url


logging.getLogger("httpx").addFilter(_RedactPassword())


class Getter(Protocol):
    async def get(self, url: str) -> tuple[int, str]: ...

    async def aclose(self) -> None: ...


class HttpxGetter:
    """The same GET through httpx: lets the wire tests inject an httpx.MockTransport."""

    def __init__(self, transport: httpx.AsyncBaseTransport, timeout: float) -> None:
        self.client = httpx.AsyncClient(transport=transport, timeout=timeout)

    async def get(self, url: str) -> tuple[int, str]:
        response = await self.client.get(url)
        return response.status_code, response.text

    async def aclose(self) -> None:
        await self.client.aclose()


class KannelProvider:
    name = "kannel"

    def __init__(self, *, url: str, username: str, password: str, dlr_url: str, smsc: str | None,
                 capabilities: Capabilities, getter: Getter, env_names: tuple[str, str]) -> None:
        self.capabilities = capabilities
        self._url, self._username, self._password = url, username, password
        self._dlr_url, self._smsc, self._env_names = dlr_url, smsc, env_names
        self._get, self._getter = getter.get, getter

    def dlr_url(self, reference: str) -> str:
        # Kannel expands %X escape codes in the dlr-url and turns %% into %: escape ours.
        query = DLR_QUERY.format(reference=quote(reference, safe="").replace("%", "%%"))
        return self._dlr_url + ("&" if "?" in self._dlr_url else "?") + query

    def params(self, message: OutgoingMessage) -> dict[str, str]:
        params = {"username": self._username, "password": self._password, "from": message.sender,
                  "to": message.to, "text": message.text, "charset": "UTF-8",
                  "coding": "2" if message.encoding == "UCS-2" else "0",
                  "dlr-mask": DLR_MASK, "dlr-url": self.dlr_url(message.reference)}
        return params | ({"smsc": self._smsc} if self._smsc else {})

    async def send(self, message: OutgoingMessage) -> Accepted:
        try:
            status, body = await self._get(f"{self._url}?{urlencode(self.params(message))}")
        except (Unreachable, httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as err:
            raise NotSent(f"Kannel unreachable at {self._url}: {type(err).__name__}: {err}") from err
        except (ValueError, httpx.UnsupportedProtocol) as err:
            raise ProviderConfigError(f"{self._url} is not an http URL; check providers.kannel.url") from err
        except (BrokenAnswer, httpx.TransportError) as err:  # read timeout, connection lost...
            raise InDoubt(f"Kannel may have queued the message: {type(err).__name__}: {err}") from err
        return self._answer(status, body.strip())

    def _answer(self, status: int, body: str) -> Accepted:
        """providers.md §5.1, one branch per row."""
        user_env, password_env = self._env_names
        if 200 <= status < 300:
            if "Denied receivers" in body:
                raise Refused(f"Kannel denied the receiver: {body}", raw=body)
            return Accepted(provider_id=None, raw=body)
        if status == 403 and "Authorization failed" in body:
            raise ProviderConfigError(f"Kannel refused the credentials ({body}); check {user_env} and "
                                      f"{password_env}", raw=body)
        if status in (401, 404) or 300 <= status < 400:
            raise ProviderConfigError(f"Kannel answered {status} at {self._url}; check providers.kannel.url",
                                      raw=body)
        if status in (429, 503):
            raise NotSent(f"Kannel is busy ({status} {body}); try again later", raw=body)
        if 400 <= status < 500:  # 400 bad request, 403 Not routable
            raise Refused(f"Kannel refused the message ({status} {body})", raw=body)
        raise InDoubt(f"Kannel answered {status} {body}; the message may be queued", raw=body)

    async def lookup(self, reference: str) -> Report | None:
        raise NotImplementedError("Kannel returns no message id: capabilities.lookup is False")

    async def aclose(self) -> None:
        await self._getter.aclose()


def create(config: Mapping[str, Any], env: Mapping[str, str], *,
           transport: httpx.AsyncBaseTransport | None = None) -> KannelProvider:
    """Build the adapter from the `providers.kannel` mapping of smsops.yaml and the environment."""
    missing_keys = [key for key in ("url", "dlr_url") if not config.get(key)]
    if missing_keys:
        raise ProviderConfigError("providers.kannel needs " + " and ".join(missing_keys) + " in smsops.yaml")
    user_env, password_env = env_names(config, ENV_DEFAULTS)
    missing_env = [name for name in (user_env, password_env) if not env.get(name)]
    if missing_env:
        raise ProviderConfigError("Kannel credentials missing: set the environment variable(s) "
                                  + " and ".join(missing_env))
    capabilities = Capabilities(
        lookup=False, appends_stop=None, max_parts=int(config.get("max_parts", 10)),
        price_eur_per_part=float(config.get("price_eur_per_part", Capabilities.price_eur_per_part)),
        rate_per_second=float(config.get("rate_per_second", Capabilities.rate_per_second)),
        concurrency=int(config.get("concurrency", 16)))
    timeout = float(config.get("timeout_seconds", 10))
    getter: Getter = HttpxGetter(transport, timeout) if transport else KeepAlivePool(
        read_timeout=timeout)
    smsc = config.get("smsc")
    return KannelProvider(url=str(config["url"]), username=env[user_env], password=env[password_env],
                          dlr_url=callback_url(str(config["dlr_url"]), env).replace("%", "%%"),
                          smsc=str(smsc) if smsc else None,
                          capabilities=capabilities, getter=getter, env_names=(user_env, password_env))


def parse_report(params: Mapping[str, str]) -> Report:
    """The dlr-url callback query (`mid`, `type`, `smsc`, `ts`, `reply`) in our words (providers.md §5.2)."""
    if not params.get("mid"):
        raise ValueError("Kannel report without mid: the dlr-url lost our reference")
    code = int(params["type"]) if params.get("type", "").isdigit() else None
    state: State = STATUS.get(code, "unknown") if code is not None else "unknown"
    failure: Failure | None = "permanent" if state == "failed" else None
    if code == 2 and NOT_FINAL.search(params.get("reply", "")):
        state, failure = "unknown", "temporary"
    ts = params.get("ts", "")
    at = datetime.fromtimestamp(int(ts), UTC) if ts.isdigit() else None
    return Report(reference=params["mid"], state=state, at=at, failure=failure, raw=dict(params))


def parse_webhook(call: WebhookCall, config: Mapping[str, Any], env: Mapping[str, str]) -> Received:
    """The dlr-url callback, or an `sms-service` get-url/post-url reply (providers.md §5.3:
    `from=%p`, `text=%a`, or the text as a post-url body); Kannel does not sign its calls."""
    if call.kind == "dlr":
        return Received(reports=[parse_report(call.params)])
    sender = call.params.get("from", "")
    text = call.params.get("text")
    if text is None and call.method == "POST":
        text = call.body.decode("utf-8", "replace")
    if not sender or text is None:
        raise ValueError("a Kannel reply needs from=%p and text=%a in the sms-service URL")
    return Received(replies=[Inbound(sender=sender, text=text, at=call.received_at)])
