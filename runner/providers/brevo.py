"""Brevo transactional SMS adapter (providers.md §1): one JSON POST per message, our reference in `tag`.

Reports join back on our reference three ways: the per-message `webUrl` (our dlr route with
`mid=<reference>`), an account webhook (the event's `tag`), and `smsops sync` polling the events
API filtered by date. Phone numbers never go into `Report.raw`: it is stored as is."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from runner.providers import hosted
from runner.providers.base import (
    Accepted,
    Capabilities,
    Failure,
    Inbound,
    InDoubt,
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

STATUS: dict[str, tuple[State, Failure | None]] = {  # providers.md §1.4: webhook and polling names
    "delivered": ("delivered", None),
    "sent": ("pending", None), "accepted": ("pending", None),
    "hard_bounce": ("failed", "permanent"), "hardBounce": ("failed", "permanent"),
    "hardBounces": ("failed", "permanent"),
    "blacklisted": ("failed", "permanent"), "blocked": ("failed", "permanent"),
    "rejected": ("failed", "permanent"),
    "skip": ("failed", "permanent"), "skipped": ("failed", "permanent"),
    "soft_bounce": ("unknown", "temporary"), "softBounce": ("unknown", "temporary"),
    "softBounces": ("unknown", "temporary"),
}
UNSUBSCRIBE = frozenset({"unsubscribe", "unsubscription", "unsubscribed"})  # -> an Inbound "STOP"
REPLY = frozenset({"reply", "replies", "replied"})
DEFAULT_BASE_URL = "https://api.brevo.com/v3"
ENV_DEFAULTS = {"api_key_env": "SMSOPS_BREVO_API_KEY"}
SMS_TYPES = ("marketing", "transactional")
AUTH_CODES = frozenset({"unauthorized", "permission_denied", "account_under_validation"})
PAGE = 100  # events per request
CONTACTS_PAGE = 1000
LOOKUP_DAYS = 30  # a crashed run is reconciled within this many days
WEBHOOK_ZONE = ZoneInfo("Europe/Paris")  # the webhook `date` is CET/CEST; ts_event is UTC
RATE_HEADERS = ("x-sib-ratelimit-reset", "retry-after")  # seconds; per third parties no Retry-After
PHONE_KEYS = frozenset({"to", "from", "phoneNumber", "recipient"})
Clock = Callable[[], datetime]


class BrevoProvider:
    name = "brevo"

    def __init__(self, client: httpx.AsyncClient, *, api_key_env: str, sms_type: str, dlr_url: str | None,
                 env: Mapping[str, str], clock: Clock, pull_days: int, capabilities: Capabilities) -> None:
        self.capabilities = capabilities
        self._client, self._api_key_env, self._sms_type = client, api_key_env, sms_type
        self._dlr_url, self._env, self._clock, self._pull_days = dlr_url, env, clock, pull_days

    def body(self, message: OutgoingMessage) -> dict[str, Any]:
        body: dict[str, Any] = {
            "sender": message.sender, "recipient": message.to.removeprefix("+"), "content": message.text,
            "type": self._sms_type, "unicodeEnabled": message.encoding == "UCS-2", "tag": message.reference}
        if self._dlr_url:
            body["webUrl"] = callback_url(self._dlr_url, self._env, mid=message.reference)
        return body

    async def send(self, message: OutgoingMessage) -> Accepted:
        response = await self._request("POST", "/transactionalSMS/send", json=self.body(message))
        if response.is_success:
            message_id = _json(response).get("messageId")
            return Accepted(provider_id=None if message_id is None else str(message_id), raw=response.text)
        raise self._error(response)

    def _error(self, response: httpx.Response) -> Exception:
        """providers.md §1.6 and §0, one branch per row."""
        status, raw = response.status_code, response.text
        said, code = f"{status} {_describe(response)}", _json(response).get("code")
        if status in (401, 403) or code in AUTH_CODES:
            return ProviderConfigError(f"Brevo refused the API key ({said}); check {self._api_key_env}",
                                       raw=raw)
        if status == 402 or code == "not_enough_credits":
            return ProviderConfigError(f"Brevo has not enough SMS credits ({said}); recharge the account",
                                       raw=raw)
        if status == 429:
            return hosted.rate_limited(f"Brevo rate limit reached ({said})", raw, hosted.retry_after(
                response.headers, RATE_HEADERS), self.capabilities)
        if status >= 500:
            return InDoubt(f"Brevo answered {said}; the message may have been accepted", raw=raw)
        if status in (404, 405) or 300 <= status < 400:
            return ProviderConfigError(f"Brevo answered {said}; check providers.brevo.base_url", raw=raw)
        if "sender" in said.lower():  # the same for every message: fix the setting, fail nothing
            return ProviderConfigError(f"Brevo refused the sender ({said}); check the sender setting",
                                       raw=raw)
        return Refused(f"Brevo refused the message ({said})", raw=raw, failure="permanent")

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await request(self._client, "brevo", "Brevo", method, path, **kwargs)

    async def _get(self, path: str, params: Mapping[str, str | int]) -> dict[str, Any]:
        """A read; any answer but a JSON object raises, so a lookup never mistakes it for "not found"."""
        response = await self._request("GET", path, params=params)
        if not response.is_success:
            raise self._error(response)
        try:
            payload = response.json() if response.content.strip() else {}
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise InDoubt(f"Brevo answered {response.status_code} without a JSON object", raw=response.text)
        return payload

    async def _events(self, since: datetime, extra: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Every SMS event from `since`'s day to the clock's day (UTC), page by page."""
        today = self._clock().astimezone(UTC).date()
        params: dict[str, str | int] = {"startDate": since.astimezone(UTC).date().isoformat(),
                                        "endDate": today.isoformat(), "limit": PAGE, **(extra or {})}
        found: list[dict[str, Any]] = []
        while True:
            page = (await self._get("/transactionalSMS/statistics/events",
                                    params | {"offset": len(found)})).get("events") or []
            found += [event for event in page if isinstance(event, dict)]
            if len(page) < PAGE:
                return found

    async def lookup(self, reference: str) -> Report | None:
        """Our message's latest report, found by its tag; raises (never None) when Brevo cannot say."""
        events = await self._events(self._clock() - timedelta(days=LOOKUP_DAYS), {"tags": reference})
        reports = [r for e in events if _tag(e) == reference for r in parse_event(e, reference).reports]
        final = [r for r in reports if r.state != "pending"] or reports
        return max(final, key=lambda r: r.at or datetime.min.replace(tzinfo=UTC)) if final else None

    async def pull(self) -> tuple[list[Report], list[Inbound]]:
        """Events of the last `pull_days` days up to the clock (`--at` never sees later ones)."""
        now = self._clock()
        events = await self._events(now - timedelta(days=self._pull_days))
        received = [parse_event(event, _tag(event)) for event in events]
        reports = [r for got in received for r in got.reports if r.at is None or r.at <= now]
        replies = [r for got in received for r in got.replies if r.at <= now]
        return sorted(reports, key=_when), sorted(replies, key=lambda r: r.at)

    async def stop_list(self) -> list[str]:
        """The account's contacts with `smsBlacklisted`, as E.164 (no endpoint lists only those)."""
        numbers: list[str] = []
        offset = 0
        while True:
            page = await self._get("/contacts", {"limit": CONTACTS_PAGE, "offset": offset})
            contacts = [c for c in page.get("contacts") or [] if isinstance(c, dict)]
            numbers += [e164(str(c["attributes"]["SMS"])) for c in contacts if c.get("smsBlacklisted")
                        and isinstance(c.get("attributes"), dict) and c["attributes"].get("SMS")]
            offset += len(contacts)
            if len(contacts) < CONTACTS_PAGE:
                return sorted(set(numbers))

    async def aclose(self) -> None:
        await self._client.aclose()


def create(config: Mapping[str, Any], env: Mapping[str, str], *,
           transport: httpx.AsyncBaseTransport | None = None, clock: Clock | None = None) -> BrevoProvider:
    """Build the adapter from the `providers.brevo` mapping of smsops.yaml and the environment."""
    (api_key_env,) = env_names(config, ENV_DEFAULTS)
    if not env.get(api_key_env):
        raise ProviderConfigError(f"Brevo credentials missing: set the environment variable {api_key_env}")
    sms_type = str(config.get("sms_type", "marketing"))
    if sms_type not in SMS_TYPES:
        raise ProviderConfigError(f"providers.brevo.sms_type must be one of {', '.join(SMS_TYPES)}")
    capabilities = hosted.capabilities(config, lookup=True)
    client = httpx.AsyncClient(
        base_url=str(config.get("base_url", DEFAULT_BASE_URL)), transport=transport,
        timeout=float(config.get("timeout_seconds", 10)),
        headers={"api-key": env[api_key_env], "accept": "application/json"})
    dlr_url = config.get("dlr_url")
    return BrevoProvider(client, api_key_env=api_key_env, sms_type=sms_type,
                         dlr_url=str(dlr_url) if dlr_url else None, env=env,
                         clock=clock or (lambda: datetime.now(UTC)),
                         pull_days=int(config.get("pull_days", 2)), capabilities=capabilities)


def parse_event(event: Mapping[str, Any], reference: str | None) -> Received:
    """One Brevo event (webhook or polling) in our words; unknown events bring nothing."""
    name = str(event.get("msg_status") or event.get("event") or "")
    phone = next((str(event[key]) for key in ("phoneNumber", "from", "to") if event.get(key)), "")
    at = _event_time(event)
    if name in STATUS:
        if not reference:
            return Received()
        state, failure = STATUS[name]
        message_id = event.get("messageId")
        raw = {k: str(v) for k, v in event.items() if k not in PHONE_KEYS and v is not None}
        return Received(reports=[Report(reference, state, at, failure, provider_id=str(message_id)
                                        if message_id is not None else None, raw=raw)])
    if name in UNSUBSCRIBE | REPLY and phone and at:
        text = "STOP" if name in UNSUBSCRIBE else str(
            next((event[key] for key in ("reply", "text", "content", "message") if event.get(key)), ""))
        return Received(replies=[Inbound(e164(phone), text, at, reference or None)])
    return Received()


def parse_webhook(call: WebhookCall, config: Mapping[str, Any], env: Mapping[str, str]) -> Received:
    """A JSON webhook call (one event, or a list when the webhook is batched). Brevo does not sign its
    calls; our reference is `mid` in the webUrl, else the event's `tag`."""
    try:
        payload = json.loads(call.body)
    except ValueError as err:
        raise ValueError(f"Brevo webhook body is not JSON: {err}") from None
    events = payload if isinstance(payload, list) else [payload]
    if not events or not all(isinstance(e, dict) and (e.get("msg_status") or e.get("event")) for e in events):
        raise ValueError("Brevo webhook event without msg_status or event")
    reports: list[Report] = []
    replies: list[Inbound] = []
    for event in events:
        name = str(event.get("msg_status") or event.get("event"))
        reference = call.params.get("mid") or _tag(event)
        if name in STATUS and not reference:
            raise ValueError(f"Brevo '{name}' report without our reference (mid in the webUrl, or a tag)")
        got = parse_event({"date": call.received_at.isoformat()} | event, reference)
        if name in UNSUBSCRIBE | REPLY and not got.replies:  # kept as malformed, never dropped
            raise ValueError(f"Brevo '{name}' event without the recipient's number "
                             "(phoneNumber, from or to)")
        reports += got.reports
        replies += got.replies
    return Received(reports, replies)


def e164(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    return "+" + digits.removeprefix("00")


def _tag(event: Mapping[str, Any]) -> str | None:
    tag = event.get("tag") or event.get("tags")
    if isinstance(tag, list):
        tag = next((t for t in tag if isinstance(t, str) and t), None)
    return tag if isinstance(tag, str) and tag else None


def _event_time(event: Mapping[str, Any]) -> datetime | None:
    """Polling `date` is ISO UTC; webhooks carry `ts_event` (UTC seconds) and a CET/CEST `date`."""
    if isinstance(event.get("ts_event"), int | float):
        return datetime.fromtimestamp(event["ts_event"], UTC)
    try:
        at = datetime.fromisoformat(str(event.get("date", "")))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=WEBHOOK_ZONE)


def _when(report: Report) -> datetime:
    return report.at or datetime.min.replace(tzinfo=UTC)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _describe(response: httpx.Response) -> str:
    """Brevo's error body is {"code", "message"}; it never echoes the key."""
    payload = _json(response)
    code, text = payload.get("code"), payload.get("message")
    return ": ".join(str(part) for part in (code, text) if part) or response.reason_phrase


