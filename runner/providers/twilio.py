"""Twilio Programmable Messaging adapter (providers.md §4): one form POST per message, Basic auth.

Twilio has no reference field: ours rides in the StatusCallback URL query (`mid`), and every
callback is signed (X-Twilio-Signature). Nothing can be found by our reference afterwards (the
Message resource does not return the callback URL), so `lookup` is off. A status can be fetched by
Twilio's sid, kept at send time: `sync` asks for the messages whose callback never came (serve was
down, no webhook token) and the reports join on that sid.
No STOP list can be read: a STOP reply and error 21610 are the only opt-out signals."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx

from runner.optout import is_stop
from runner.phones import mask
from runner.providers import hosted
from runner.providers.base import (
    WEBHOOK_TOKEN_ENV,
    Accepted,
    Capabilities,
    Failure,
    Forged,
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
from runner.providers.hosted import request

DEFAULT_BASE_URL = "https://api.twilio.com/2010-04-01"
ENV_DEFAULTS = {"account_sid_env": "SMSOPS_TWILIO_ACCOUNT_SID", "auth_token_env": "SMSOPS_TWILIO_AUTH_TOKEN"}
STATUS: dict[str, State] = {  # MessageStatus, providers.md §4.2
    "accepted": "pending", "scheduled": "pending", "queued": "pending", "sending": "pending",
    "sent": "pending", "delivered": "delivered", "read": "delivered", "undelivered": "failed",
    "failed": "failed", "canceled": "failed", "partially_delivered": "unknown"}
ERROR_CODES: dict[int, State] = {  # ErrorCode of a failed/undelivered message, §4.2
    21211: "failed", 21610: "failed", 21612: "failed", 21614: "failed", 30003: "unknown",
    30004: "failed", 30005: "failed", 30006: "failed", 30007: "failed", 30008: "unknown"}
FAILURE: dict[State, Failure] = {"failed": "permanent", "unknown": "temporary"}
REFUSED = {21211: "invalid To number", 21612: "To number not reachable from this sender",
           21614: "To number is not a mobile"}
OPTED_OUT = 21610
SENDER_CODES = {21212, 21408, 21606, 21608}  # From, region or trial settings: stop the run (§4.2)
ACCEPT = {"Accept": "application/json"}
REPORT_KEYS = ("MessageSid", "MessageStatus", "SmsStatus", "ErrorCode", "RawDlrDoneDate", "mid")


class OptedOut(Refused):
    """21610: the recipient replied STOP to this sender at Twilio, which blocks every later send.
    (Not in base.py: a dispatcher may catch it to add the number to the suppression list.)"""

    def __init__(self, message: str, to: str, raw: str = "") -> None:
        super().__init__(message, raw, failure="permanent", opted_out=True)
        self.to = to


def state_of(status: str, error_code: str | None) -> tuple[State, Failure | None]:
    state: State = STATUS.get(status, "unknown")
    if status in ("failed", "undelivered") and error_code and error_code.isdigit():
        state = ERROR_CODES.get(int(error_code), state)
    return state, FAILURE.get(state)


class TwilioProvider:
    name = "twilio"

    def __init__(self, *, base_url: str, account_sid: str, sender: dict[str, str], dlr_url: str | None,
                 env: Mapping[str, str], env_names: tuple[str, str], capabilities: Capabilities,
                 client: httpx.AsyncClient, clock: Callable[[], datetime]) -> None:
        self.capabilities = capabilities
        self._messages = f"{base_url}/Accounts/{account_sid}/Messages"
        self._sender, self._dlr_url, self._env, self._env_names = sender, dlr_url, env, env_names
        self._client, self._clock = client, clock

    def form(self, message: OutgoingMessage) -> dict[str, str]:
        """No encoding flag: Twilio picks GSM-7 or UCS-2 from the text itself (SmartEncoded stays
        off so the text goes out as counted)."""
        callback = {"StatusCallback": callback_url(self._dlr_url, self._env, mid=message.reference)} \
            if self._dlr_url else {}
        return {"To": message.to, **(self._sender or {"From": message.sender}), "Body": message.text,
                **callback}

    async def send(self, message: OutgoingMessage) -> Accepted:
        response = await request(self._client, "twilio", "Twilio", "POST", f"{self._messages}.json",
                                 data=self.form(message), headers=ACCEPT)
        raw = response.text.replace(message.to, mask(message.to))
        if response.status_code in (200, 201):
            try:
                return Accepted(provider_id=str(response.json()["sid"]), raw=raw)
            except (ValueError, KeyError) as err:
                raise InDoubt("Twilio accepted the message with an unreadable answer", raw=raw) from err
        raise self._error(response, raw, message.to)

    def _error(self, response: httpx.Response, raw: str, to: str) -> Exception:
        """providers.md §4.4, one branch per row."""
        status, code, text = response.status_code, *_code_and_message(response)
        where = f"{status}, code {code}: {text}" if code else f"{status}: {text}"
        if status in (401, 403):
            return ProviderConfigError(f"Twilio refused the credentials ({where}); check "
                                       + " and ".join(self._env_names), raw=raw)
        if status == 404:
            return ProviderConfigError(f"Twilio answered {where}; check {self._env_names[0]} and "
                                       "providers.twilio.base_url", raw=raw)
        if status == 429:
            return hosted.rate_limited(f"Twilio is rate limiting ({where}); never processed", raw,
                                       hosted.retry_after(response.headers), self.capabilities)
        if code == OPTED_OUT:
            return OptedOut(f"the recipient replied STOP to this sender at Twilio ({where}): permanent, "
                            "Twilio blocks every later message to this number", to=to, raw=raw)
        if code in SENDER_CODES:
            return ProviderConfigError(f"Twilio refused the sender settings ({where}); check "
                                       "providers.twilio.from or messaging_service_sid and the "
                                       "account's geographic permissions", raw=raw)
        if 400 <= status < 500:
            reason = REFUSED.get(code or 0, "refused")
            return Refused(f"Twilio refused the message: {reason} ({where})", raw=raw)
        return InDoubt(f"Twilio answered {where}; the message may have been taken", raw=raw)

    async def statuses(self, provider_ids: Sequence[str]) -> list[Report]:
        """The final status of each message, by its sid. A sid Twilio does not know (404) or will
        not look up (another 4xx) is skipped; a rate limit, an outage or a timeout ends this pull
        with what it has (the rest waits for the next sync); refused credentials stop it."""
        now, reports = self._clock(), []
        for sid in provider_ids:
            try:
                found = await self._fetch(sid)
            except Refused:
                continue
            except (NotSent, InDoubt):
                break
            if found and found.state != "pending" and (found.at is None or found.at <= now):
                reports.append(found)
        return reports

    async def _fetch(self, sid: str) -> Report | None:
        """GET the Message resource (providers.md §4.1), in the words of a status callback."""
        response = await request(self._client, "twilio", "Twilio", "GET",
                                 f"{self._messages}/{quote(sid, safe='')}.json", headers=ACCEPT)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._error(response, response.text, to="")
        try:
            answer = response.json()
            status, code = str(answer["status"]), answer.get("error_code")
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        error = str(code) if code is not None else None
        state, failure = state_of(status, error)
        raw = {"MessageSid": sid, "MessageStatus": status, **({"ErrorCode": error} if error else {})}
        # date_updated: the resource's last change, which for a final message is its status change
        return Report("", state, _rfc2822(answer.get("date_updated")), failure, provider_id=sid,
                      raw=raw)

    async def lookup(self, reference: str) -> Report | None:
        raise NotImplementedError("Twilio cannot find a message by our reference: "
                                  "capabilities.lookup is False")

    async def aclose(self) -> None:
        await self._client.aclose()


def _code_and_message(response: httpx.Response) -> tuple[int | None, str]:
    try:
        answer = response.json()
        code = answer.get("code")
        return (int(code) if code is not None else None), str(answer.get("message") or answer.get("title"))
    except (ValueError, AttributeError, TypeError):
        return None, response.reason_phrase


def _rfc2822(value: object) -> datetime | None:
    try:
        return parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError):
        return None


def signature(auth_token: str, url: str, form: list[tuple[str, str]]) -> str:
    """base64(HMAC-SHA1(token, URL + for each field name, sorted: the name + each of its distinct
    values, sorted)), as twilio-python's request_validator.py computes it."""
    values: dict[str, set[str]] = {}
    for name, value in form:
        values.setdefault(name, set()).add(value)
    signed = url + "".join(name + value for name in sorted(values) for value in sorted(values[name]))
    return base64.b64encode(hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def _same(ours: str, given: str) -> bool:
    """In constant time, on bytes: a header with non-ASCII characters is merely a wrong one."""
    return hmac.compare_digest(ours.encode(), given.encode("utf-8", "replace"))


def _with_and_without_port(url: str) -> list[str]:
    """Twilio may sign https://host/... or https://host:443/...: the SDK accepts both."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    if parts.port is None and default and parts.hostname:
        return [url, parts._replace(netloc=f"{parts.netloc}:{default}").geturl()]
    if parts.port == default and parts.hostname:
        return [url, parts._replace(netloc=parts.netloc.rsplit(":", 1)[0]).geturl()]
    return [url]


def verify(call: WebhookCall, auth_token: str) -> None:
    given = call.headers.get("x-twilio-signature", "")
    query = dict(parse_qsl(urlsplit(call.url).query))
    if "bodySHA256" in query:  # JSON body: the body's hash is in the signed URL instead of fields
        form: list[tuple[str, str]] = []
        if not _same(hashlib.sha256(call.body).hexdigest(), query["bodySHA256"]):
            raise Forged("Twilio bodySHA256 does not match the body")
    else:
        form = parse_qsl(call.body.decode("utf-8", "replace"), keep_blank_values=True)
    if not any(_same(signature(auth_token, url, form), given) for url in _with_and_without_port(call.url)):
        raise Forged("missing or wrong X-Twilio-Signature")


def parse_webhook(call: WebhookCall, config: Mapping[str, Any], env: Mapping[str, str]) -> Received:
    """A status callback (dlr route) or an inbound message (mo route), both signed form POSTs."""
    token_env = str(config.get("auth_token_env", ENV_DEFAULTS["auth_token_env"]))
    if not env.get(token_env):
        raise ProviderConfigError(f"cannot check Twilio signatures: set the environment variable {token_env}")
    verify(call, env[token_env])
    params = call.params
    if call.kind == "dlr":
        status = params.get("MessageStatus") or params.get("SmsStatus")
        if not params.get("mid") or not status:
            raise ValueError("a Twilio status callback needs mid (our StatusCallback query) "
                             "and MessageStatus")
        state, failure = state_of(status, params.get("ErrorCode"))
        report = Report(reference=params["mid"], state=state, failure=failure, at=call.received_at,
                        provider_id=params.get("MessageSid"),
                        raw={key: params[key] for key in REPORT_KEYS if key in params})
        opted_out = params.get("ErrorCode") == str(OPTED_OUT) and params.get("To")
        replies = [Inbound(sender=params["To"], text="STOP", at=call.received_at,
                           reference=params["mid"])] if opted_out else []
        return Received(reports=[report], replies=replies)
    if not params.get("From") or "Body" not in params:
        raise ValueError("a Twilio inbound message needs From and Body")
    body = params["Body"]
    # Advanced Opt-Out may use keywords of its own: Twilio's verdict counts, the text is kept raw
    text = "STOP" if params.get("OptOutType", "").upper() == "STOP" and not is_stop(body) else body
    return Received(replies=[Inbound(sender=params["From"], text=text, at=call.received_at)])


def setting_warnings(config: Mapping[str, Any]) -> list[str]:
    """What `smsops providers check` warns about: settings that work but lose something."""
    if config.get("dlr_url"):
        return []
    return ["no dlr_url: Twilio reports a status only to the StatusCallback URL of each message, so "
            "reports come only when smsops sync asks, one request per message; set dlr_url to the "
            "/-/smsops/dlr/twilio URL of smsops serve"]


def create(config: Mapping[str, Any], env: Mapping[str, str], *,
           transport: httpx.AsyncBaseTransport | None = None,
           clock: Callable[[], datetime] | None = None) -> TwilioProvider:
    """Build the adapter from the `providers.twilio` mapping of smsops.yaml and the environment
    (`clock`: a pulled status dated after it is not seen, as `--at` asks)."""
    sid_env, token_env = env_names(config, ENV_DEFAULTS)
    missing = [name for name in (sid_env, token_env) if not env.get(name)]
    if missing:
        raise ProviderConfigError("Twilio credentials missing: set the environment variable(s) "
                                  + " and ".join(missing))
    sender = {"MessagingServiceSid": str(config["messaging_service_sid"])} \
        if config.get("messaging_service_sid") else {}
    if config.get("from"):
        sender["From"] = str(config["from"])
    capabilities = hosted.capabilities(config, lookup=False)
    account_sid, auth_token = env[sid_env], env[token_env]
    client = httpx.AsyncClient(transport=transport, timeout=float(config.get("timeout_seconds", 15)),
                               auth=httpx.BasicAuth(account_sid, auth_token))
    dlr_url = config.get("dlr_url")
    return TwilioProvider(base_url=str(config.get("base_url", DEFAULT_BASE_URL)).rstrip("/"),
                          account_sid=account_sid, sender=sender, dlr_url=str(dlr_url) if dlr_url else None,
                          env={k: v for k, v in env.items() if k == WEBHOOK_TOKEN_ENV},
                          env_names=(sid_env, token_env), capabilities=capabilities, client=client,
                          clock=clock or (lambda: datetime.now(UTC)))
