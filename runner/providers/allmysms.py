"""AllMySMS adapter (providers.md §3, every wire detail third-party [T]): the REST `POST /sms/send/`
with Basic auth and our reference in `uniqueIdentifier`; replies and the STOP list through the
legacy HTTP 9.0 methods (`getPulls`, `getBlacklist`, credentials as form fields, never in a URL).

AllMySMS takes no callback URL per message: its account webhooks send `smsId` (kept as the
provider id at send time) and, when they carry it, our `uniqueIdentifier`. No call finds a message
by our reference, so `lookup` is not offered and a timeout stays in_doubt.

No status is pulled by smsId either (no `statuses`): `getAckBySmsId` is known only from
third-party clients (providers.md §3.3), which do not say what it answers for a message not yet
acknowledged or unknown to AllMySMS. Guessing wrong would fail delivered messages (an empty
status reads as `unknown`); reports come by the account webhook until a test account settles it."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
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
    env_names,
)
from runner.providers.hosted import request

STATUS: dict[str, tuple[State, Failure | None]] = {  # providers.md §3.3, `status` / `statut`
    "1": ("delivered", None),
    "2": ("unknown", "temporary"),  # not delivered, reason not given
    "3": ("pending", None),
    "4": ("failed", "permanent"),
    "5": ("failed", "permanent"),  # probably unknown number (may hide a temporary absence)
}
DEFAULT_BASE_URL = "https://api.allmysms.com"
LEGACY = "/http/9.0"
ENV_DEFAULTS = {"login_env": "SMSOPS_ALLMYSMS_LOGIN", "api_key_env": "SMSOPS_ALLMYSMS_API_KEY"}
SENT_CODES = frozenset({100, 101})  # sent, scheduled
AUTH_CODES = frozenset({102, 118})  # bad login/key, unknown master account
CREDIT_CODES = frozenset({103, 104})
NUMBER_CODES = frozenset({113, 114})
MAX_PARTS = 4  # the legacy API refuses more than 640 characters (code 111)
STOP_SHORT_CODE = "36180"  # its opt-out number; the text must name it ("STOP au 36180")
PROVIDER_ZONE = ZoneInfo("Europe/Paris")  # receptionDate has no offset [?]
PRIVATE_KEYS = frozenset({"phoneNumber", "token"})
Clock = Callable[[], datetime]


class AllMySmsProvider:
    name = "allmysms"

    def __init__(self, client: httpx.AsyncClient, *, login: str, api_key: str, env_names: tuple[str, str],
                 clock: Clock, pull_limit: int, capabilities: Capabilities) -> None:
        self.capabilities = capabilities
        self._client, self._login, self._api_key, self._env_names = client, login, api_key, env_names
        self._clock, self._pull_limit = clock, pull_limit

    @staticmethod
    def body(message: OutgoingMessage) -> dict[str, str]:
        """No unicode flag is known: the text goes as UTF-8 JSON and AllMySMS picks the coding [?]."""
        return {"from": message.sender, "to": message.to.removeprefix("+"), "text": message.text,
                "uniqueIdentifier": message.reference}

    async def send(self, message: OutgoingMessage) -> Accepted:
        response = await self._request("POST", "/sms/send/", json=self.body(message),
                                       auth=httpx.BasicAuth(self._login, self._api_key))
        payload = _json(response)
        code = _code(payload)
        if response.is_success and (code in SENT_CODES or (code is None and payload.get("smsId"))):
            sms_id = payload.get("smsId")
            return Accepted(provider_id=str(sms_id) if sms_id else None, raw=response.text)
        raise self._error(response, code)

    def _error(self, response: httpx.Response, code: int | None) -> Exception:
        """providers.md §3.2 and §3.4: the body's code first, then the HTTP status."""
        status, raw = response.status_code, response.text
        said = f"{status} {_describe(response)}"
        if status in (401, 403) or code in AUTH_CODES:
            login_env, key_env = self._env_names
            return ProviderConfigError(f"AllMySMS refused the credentials ({said}); check {login_env} and "
                                       f"{key_env}", raw=raw)
        if code in CREDIT_CODES or status == 402:
            return ProviderConfigError(f"AllMySMS has not enough credit ({said}); recharge the account",
                                       raw=raw)
        if status == 429:
            return hosted.rate_limited(f"AllMySMS rate limit reached ({said})", raw,
                                       hosted.retry_after(response.headers), self.capabilities)
        if status >= 500:
            return InDoubt(f"AllMySMS answered {said}; the message may have been accepted", raw=raw)
        if status in (404, 405) or 300 <= status < 400:
            return ProviderConfigError(f"AllMySMS answered {said}; check providers.allmysms.base_url",
                                       raw=raw)
        if code in NUMBER_CODES:
            return Refused(f"AllMySMS refused the number ({said})", raw=raw, failure="permanent")
        return Refused(f"AllMySMS refused the message ({said})", raw=raw, failure="permanent")

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await request(self._client, "allmysms", "AllMySMS", method, path, **kwargs)

    async def _legacy(self, method: str, **fields: str) -> dict[str, Any]:
        """A legacy HTTP 9.0 call: a form POST, JSON answer; errors come as {"status": code}."""
        form = {"login": self._login, "apiKey": self._api_key, "returnformat": "json", **fields}
        response = await self._request("POST", f"{LEGACY}/{method}/", data=form)
        payload = _json(response)
        code = _code(payload)
        if not response.is_success or (code is not None and code not in SENT_CODES):
            raise self._error(response, code)
        return payload

    async def lookup(self, reference: str) -> Report | None:
        raise NotImplementedError("AllMySMS finds messages by smsId only: capabilities.lookup is False")

    async def pull(self) -> tuple[list[Report], list[Inbound]]:
        """The last replies (`getPulls`) up to the clock; reports only come by webhook (`getAcks`
        needs AllMySMS's campaign id, which the ledger does not keep)."""
        now = self._clock()
        mos = (await self._legacy("getPulls", limit=str(self._pull_limit))).get("mos") or []
        replies = [parse_reply(mo, now) for mo in mos if isinstance(mo, dict) and mo.get("phoneNumber")]
        return [], sorted((r for r in replies if r.at <= now), key=lambda r: r.at)

    async def stop_list(self) -> list[str]:
        """`getBlacklist`: every number AllMySMS will not send to (STOP au 36180, refusals), E.164."""
        entries = (await self._legacy("getBlacklist")).get("blacklist") or []
        return sorted({e164(str(entry["phoneNumber"])) for entry in entries
                       if isinstance(entry, dict) and entry.get("phoneNumber")})

    async def aclose(self) -> None:
        await self._client.aclose()


def create(config: Mapping[str, Any], env: Mapping[str, str], *,
           transport: httpx.AsyncBaseTransport | None = None, clock: Clock | None = None) -> AllMySmsProvider:
    """Build the adapter from the `providers.allmysms` mapping of smsops.yaml and the environment."""
    login_env, key_env = env_names(config, ENV_DEFAULTS)
    missing = [name for name in (login_env, key_env) if not env.get(name)]
    if missing:
        raise ProviderConfigError("AllMySMS credentials missing: set the environment variable(s) "
                                  + " and ".join(missing))
    capabilities = hosted.capabilities(config, lookup=False, max_parts=MAX_PARTS)
    client = httpx.AsyncClient(base_url=str(config.get("base_url", DEFAULT_BASE_URL)), transport=transport,
                               timeout=float(config.get("timeout_seconds", 10)),
                               headers={"accept": "application/json"})
    return AllMySmsProvider(client, login=env[login_env], api_key=env[key_env],
                            env_names=(login_env, key_env),
                            clock=clock or (lambda: datetime.now(UTC)),
                            pull_limit=int(config.get("pull_limit", 1000)), capabilities=capabilities)


def parse_report(fields: Mapping[str, str], received_at: datetime) -> Report:
    """An acknowledgement (`smsId, campaignId, phoneNumber, receptionDate, status, statusText`).
    Without our uniqueIdentifier in it, the reference is empty and `provider_id` (smsId) joins."""
    reference = fields.get("uniqueIdentifier") or fields.get("cliMsgId") or fields.get("mid") or ""
    if not reference and not fields.get("smsId"):
        raise ValueError("AllMySMS report without smsId or uniqueIdentifier")
    state, failure = STATUS.get(str(fields.get("status", "")).strip(), ("unknown", None))
    raw = {k: v for k, v in fields.items() if k not in PRIVATE_KEYS}
    return Report(reference, state, _time(fields.get("receptionDate"), received_at), failure,
                  provider_id=fields.get("smsId") or None, raw=raw)


def parse_reply(fields: Mapping[str, Any], received_at: datetime) -> Inbound:
    """A reply (`phoneNumber, message, receptionDate`, …), from a webhook or getPulls."""
    if not fields.get("phoneNumber") or fields.get("message") is None:
        raise ValueError("AllMySMS reply without phoneNumber or message")
    return Inbound(e164(str(fields["phoneNumber"])), str(fields["message"]),
                   _time(fields.get("receptionDate"), received_at))


def parse_webhook(call: WebhookCall, config: Mapping[str, Any], env: Mapping[str, str]) -> Received:
    """An account webhook call, form/query fields or a JSON object; AllMySMS does not sign its calls.
    A call with `status` is a report, one with `message` a reply (whichever route it came on)."""
    fields = dict(call.params)
    if call.body.lstrip().startswith(b"{"):
        try:
            payload = json.loads(call.body)
        except ValueError as err:
            raise ValueError(f"AllMySMS webhook body is not JSON: {err}") from None
        if not isinstance(payload, dict):
            raise ValueError("AllMySMS webhook body is not a JSON object")
        fields |= {k: str(v) for k, v in payload.items() if v is not None}
    if "status" in fields:
        return Received(reports=[parse_report(fields, call.received_at)])
    if "message" in fields:
        return Received(replies=[parse_reply(fields, call.received_at)])
    raise ValueError(f"AllMySMS {call.kind} webhook without status or message")


def e164(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    return "+" + digits.removeprefix("00")


def _time(value: Any, default: datetime) -> datetime:
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return default
    return at if at.tzinfo else at.replace(tzinfo=PROVIDER_ZONE)


def _code(payload: Mapping[str, Any]) -> int | None:
    code = payload.get("code", payload.get("status"))
    return int(code) if isinstance(code, int) or (isinstance(code, str) and code.isdigit()) else None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _describe(response: httpx.Response) -> str:
    payload = _json(response)
    code, text = payload.get("code", payload.get("status")), payload.get("description",
                                                                         payload.get("statusText"))
    return ": ".join(str(part) for part in (code, text) if part) or response.reason_phrase
