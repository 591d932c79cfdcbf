"""Provider webhooks (delivery reports and replies) and short-link clicks, independent of the web
framework that carries them: `runner/datasette/` only turns HTTP into these calls and back.

A webhook is accepted only with the secret token (`token` in the query or a Bearer header) and,
where the provider signs, a valid signature; anything else is rejected and stored nowhere.
An accepted call is kept raw in `webhook_calls` with every phone number masked, then applied
exactly as `smsops sync` applies a pull: reports never downgrade a final state."""

from __future__ import annotations

import hmac
import json
import re
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from runner import ledger, store
from runner.phones import InvalidPhone, mask_numbers, parse_phone
from runner.providers import allmysms, brevo, kannel, ovh, twilio
from runner.providers.base import (
    WEBHOOK_TOKEN_ENV,
    Forged,
    Inbound,
    ProviderConfigError,
    Received,
    WebhookCall,
)
from runner.store import transaction
from runner.sync import apply_reply

Parser = Callable[[WebhookCall, Mapping[str, Any], Mapping[str, str]], Received]

PARSERS: dict[str, Parser] = {
    "kannel": kannel.parse_webhook,
    "brevo": brevo.parse_webhook,
    "allmysms": allmysms.parse_webhook,
    "ovh": ovh.parse_webhook,
    "twilio": twilio.parse_webhook,
}


@dataclass(frozen=True)
class Answer:
    status: int
    text: str


def authenticated(call: WebhookCall, env: Mapping[str, str]) -> bool:
    expected = env.get(WEBHOOK_TOKEN_ENV, "")
    bearer = call.headers.get("authorization", "")
    given = call.params.get("token") or (bearer[7:] if bearer.lower().startswith("bearer ") else "")
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def receive(conn: sqlite3.Connection, provider: str, call: WebhookCall, *,
            config: Mapping[str, Any], env: Mapping[str, str], now: datetime, hash_key: str,
            region: str = "FR") -> Answer:
    """Authenticate, keep, apply. The answer is what the provider gets back: 200 when the call
    is taken (even a duplicate: a retry would bring nothing new), 4xx when it never will be."""
    parse = PARSERS.get(provider)
    if parse is None:
        return Answer(404, f"no webhook for provider '{provider}'")
    if not authenticated(call, env):
        return Answer(403, "forbidden: missing or wrong token")
    try:
        received = parse(call, config, env)
    except Forged:
        return Answer(403, "forbidden: bad signature")
    except ProviderConfigError as err:  # e.g. no auth token to check signatures with
        return Answer(503, f"not configured: {err}")
    except ValueError as err:
        _keep(conn, provider, call, now, "malformed", str(err))
        return Answer(400, f"malformed: {err}")
    try:
        replies = [_normalised(reply, region) for reply in received.replies]
    except InvalidPhone as err:
        _keep(conn, provider, call, now, "malformed", str(err))
        return Answer(400, f"malformed: {err}")
    changed = sum(ledger.report(conn, found, now) for found in received.reports)
    stops = sum(apply_reply(conn, reply, hash_key) for reply in replies)
    outcome = "applied" if changed or stops else "no change"
    _keep(conn, provider, call, now, outcome, json.dumps(
        {"reports": len(received.reports), "changed": changed, "replies": len(received.replies),
         "optouts": stops}))
    return Answer(200, "OK")


def _normalised(reply: Inbound, region: str) -> Inbound:
    """Providers write the sender as +33..., 0033... or 33...: the hash needs one E.164. A sender
    that is no phone number (a short code, a name) can opt nobody out: the call is malformed."""
    for candidate in (reply.sender, "+" + reply.sender.lstrip("0")):
        try:
            return replace(reply, sender=parse_phone(candidate, region, allow_fictional=True).e164)
        except InvalidPhone:
            continue
    raise InvalidPhone(f"the reply's sender {reply.sender!r} is not a phone number")


def _keep(conn: sqlite3.Connection, provider: str, call: WebhookCall, now: datetime, outcome: str,
          detail: str) -> None:
    """The call as it came, without the token; the store stars every number in it."""
    params = {k: v for k, v in call.params.items() if k != "token"}
    with transaction(conn):
        store.webhook_call(conn, now, provider, call.kind, call.method, urlsplit(call.url).path,
                           params=json.dumps(params, ensure_ascii=False), body=_body(call),
                           outcome=outcome, detail=detail)


def _body(call: WebhookCall) -> str:
    """A JSON body with every string masked (a JSON escape can spell a digit), others as text."""
    text = call.body.decode("utf-8", "replace")
    if not text.lstrip().startswith(("{", "[")):
        return re.sub(r"(?i)(^|&)token=[^&]*", r"\1token=***", text)
    try:
        return json.dumps(_masked(json.loads(text)), ensure_ascii=False)
    except ValueError:
        return text


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        masked = mask_numbers(str(value))
        return value if masked == str(value) else masked
    return value
