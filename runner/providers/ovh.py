"""OVHcloud SMS adapter (providers.md §2): signed JSON calls, one receiver per job, our reference in `tag`.

Every call but `GET /auth/time` is signed: `$1$` + SHA-1 over secret, consumer key, method, the exact
URL and the exact body bytes sent, and a timestamp on OVH's clock: the machine's real clock plus a
delta fetched once (and again once when OVH says the time is off), never the business clock that
`--at` freezes. The
delivery callback is an account setting (`callBack`) that carries OVH's SMS id, not our tag: its
reports come with an empty reference and the `provider_id` to join on. `smsops sync` pulls the same
reports by tag (`/outgoing`) and the replies (`/incoming`)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from runner.phones import mask
from runner.providers import hosted
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
    env_names,
)
from runner.providers.hosted import request

DEFAULT_BASE_URL = "https://eu.api.ovh.com/1.0"
ENV_DEFAULTS = {"application_key_env": "SMSOPS_OVH_APPLICATION_KEY",
                "application_secret_env": "SMSOPS_OVH_APPLICATION_SECRET",
                "consumer_key_env": "SMSOPS_OVH_CONSUMER_KEY"}
STOP_CLAUSE = "\nSTOP 36111"  # what OVH appends without noStopClause; the number may vary (§2.2, §7)
STATUS: dict[int, State] = {0: "pending", 1: "delivered", 2: "failed", 4: "pending", 8: "pending",
                            16: "failed"}  # DLR id (`description`/`dlr`, `deliveryReceipt`), §2.3
PTT_STATUS: dict[int, State] = {  # the reason behind DLR id 2, §2.3
    1: "pending", 2: "pending", 3: "pending", 4: "delivered", 5: "failed", 6: "unknown", 8: "unknown",
    20: "failed", 21: "unknown", 23: "failed", 24: "unknown", 25: "unknown", 26: "unknown", 27: "failed",
    28: "failed", 29: "failed", 33: "failed", 39: "unknown", 73: "unknown", 74: "unknown", 76: "failed",
    202: "failed"}
FAILURE: dict[State, Failure] = {"failed": "permanent", "unknown": "temporary"}
CLOCK_FAULTS = ("query out of time", "timestamp")  # how OVH words a signed time it refuses


class ClockSkew(ProviderConfigError):
    """OVH refused the signed timestamp: resynchronised once, then it stops the run."""


def state_of(dlr: int | None, ptt: int | None) -> tuple[State, Failure | None]:
    """The DLR id decides; for a failure (2) the ptt code tells failed from unknown."""
    state: State = STATUS.get(dlr, "unknown") if dlr is not None else "unknown"
    if dlr == 2 and ptt is not None and PTT_STATUS.get(ptt) in ("failed", "unknown"):
        state = PTT_STATUS[ptt]
    return state, FAILURE.get(state)


def signature(secret: str, consumer_key: str, method: str, url: str, body: str, timestamp: str) -> str:
    return "$1$" + hashlib.sha1("+".join([secret, consumer_key, method, url, body, timestamp])
                                .encode()).hexdigest()


class OvhProvider:
    name = "ovh"

    def __init__(self, *, base_url: str, service: str, keys: tuple[str, str, str],
                 env_names: tuple[str, str, str], sender_for_response: bool, no_stop_clause: bool,
                 pull_hours: float, capabilities: Capabilities, client: httpx.AsyncClient,
                 clock: Callable[[], datetime], wall_clock: Callable[[], float]) -> None:
        self.capabilities = capabilities
        self._base, self._service, self._keys, self._env_names = base_url, service, keys, env_names
        self._sender_for_response, self._no_stop_clause = sender_for_response, no_stop_clause
        self._pull_window = timedelta(hours=pull_hours)
        self._client, self._clock, self._wall_clock = client, clock, wall_clock
        self._delta: int | None = None
        self._delta_lock = asyncio.Lock()

    def body(self, message: OutgoingMessage) -> dict[str, Any]:
        coding = {"coding": "7bit"} if message.encoding == "GSM-7" else {}  # UCS-2: deduced by OVH
        sender = {"senderForResponse": True} if self._sender_for_response else {"sender": message.sender}
        return {"charset": "UTF-8", **coding, "message": message.text, "noStopClause": self._no_stop_clause,
                "receivers": [message.to], **sender, "tag": message.reference}

    async def send(self, message: OutgoingMessage) -> Accepted:
        response = await self._call("POST", f"/sms/{self._service}/jobs", payload=self.body(message))
        raw = masked(response.text, message.to)
        try:
            answer = response.json()
        except ValueError as err:
            raise InDoubt("OVH accepted the job with an unreadable answer", raw=raw) from err
        if message.to in answer.get("invalidReceivers", []) or not answer.get("ids"):
            raise Refused("OVH listed the receiver as invalid (invalidReceivers)", raw=raw)
        return Accepted(provider_id=str(answer["ids"][0]), raw=raw)

    async def lookup(self, reference: str) -> Report | None:
        """By tag in /outgoing, then among the jobs OVH still holds (deferred). Only a job naming our
        tag is ours; another pending job may or may not be ours (the schema's sms.Job has no tag), so
        while one exists the answer is "cannot tell": in doubt, never re-sent."""
        ids = (await self._call("GET", f"/sms/{self._service}/outgoing", params={"tag": reference})).json()
        if ids:
            return await self._outgoing(max(ids))
        jobs = await self._details("jobs", (await self._call("GET", f"/sms/{self._service}/jobs")).json())
        ours = [job for job in jobs if job.get("tag") == reference]
        if ours:
            return Report(reference=reference, state="pending", provider_id=str(ours[0]["id"]),
                          raw={"job": str(ours[0]["id"])})
        if jobs:
            raise InDoubt(f"OVH holds {len(jobs)} pending job(s) without our tag {reference}: "
                          "ours may be one of them")
        return None

    async def pull(self) -> tuple[list[Report], list[Inbound]]:
        since = {"creationDatetime.from": (self._clock() - self._pull_window).astimezone(UTC).isoformat()}
        outgoing = (await self._call("GET", f"/sms/{self._service}/outgoing", params=since)).json()
        incoming = (await self._call("GET", f"/sms/{self._service}/incoming", params=since)).json()
        sent = await self._details("outgoing", outgoing)
        replies = await self._details("incoming", incoming)
        return ([outgoing_report(s) for s in sent if s.get("tag")],
                [Inbound(sender=e164(r["sender"]), text=r["message"],
                         at=_when(r.get("creationDatetime")) or self._clock(),
                         reference=r.get("tag") or None) for r in replies])

    async def stop_list(self) -> list[str]:
        return [e164(number) for number in
                (await self._call("GET", f"/sms/{self._service}/blacklists")).json()]

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _details(self, kind: str, ids: list[int]) -> list[dict[str, Any]]:
        """`GET /sms/{sn}/{kind}/{id}` for each id, `concurrency` at a time."""
        limit = asyncio.Semaphore(self.capabilities.concurrency)

        async def one(sms_id: int) -> dict[str, Any]:
            async with limit:
                found: dict[str, Any] = (await self._call(
                    "GET", f"/sms/{self._service}/{kind}/{sms_id}")).json()
                return found

        return list(await asyncio.gather(*(one(i) for i in ids)))

    async def _outgoing(self, sms_id: int) -> Report:
        return outgoing_report((await self._call("GET", f"/sms/{self._service}/outgoing/{sms_id}")).json())

    async def _server_delta(self, stale: int | None = None) -> int:
        """OVH's clock minus the machine's; asked again when `stale` is the one OVH refused."""
        async with self._delta_lock:
            if self._delta is None or self._delta == stale:
                try:
                    response = await self._request("GET", self._base + "/auth/time", "",
                                                   {"X-Ovh-Application": self._keys[0]})
                except (InDoubt, Refused) as err:  # only the clock was asked: nothing was sent
                    raise NotSent(f"OVH clock unavailable: {err}", raw=err.raw) from err
                self._delta = int(response.json()) - int(self._wall_clock())
            return self._delta

    async def _call(self, method: str, path: str, *, payload: Any = None,
                    params: Mapping[str, str] | None = None) -> httpx.Response:
        url = self._base + path + (f"?{urlencode(params)}" if params else "")
        body = json.dumps(payload, separators=(",", ":")) if payload is not None else ""
        delta = await self._server_delta()
        try:
            return await self._signed(method, url, body, delta)
        except ClockSkew:  # refused before anything was done: safe to sign again on a fresh delta
            return await self._signed(method, url, body, await self._server_delta(stale=delta))

    async def _signed(self, method: str, url: str, body: str, delta: int) -> httpx.Response:
        app_key, secret, consumer_key = self._keys
        timestamp = str(int(self._wall_clock()) + delta)
        headers = {"X-Ovh-Application": app_key, "X-Ovh-Consumer": consumer_key,
                   "X-Ovh-Timestamp": timestamp,
                   "X-Ovh-Signature": signature(secret, consumer_key, method, url, body, timestamp)}
        return await self._request(method, url, body, headers | (
            {"Content-Type": "application/json"} if body else {}))

    async def _request(self, method: str, url: str, body: str, headers: dict[str, str]) -> httpx.Response:
        response = await request(self._client, "ovh", "OVH", method, url,
                                 content=body.encode() if body else None,
                                 headers=headers | {"Accept": "application/json"})
        if not response.is_success:
            raise self._error(response)
        return response

    def _error(self, response: httpx.Response) -> Exception:
        """providers.md §2.5, one branch per row; X-OVH-QUERYID identifies the call for OVH support."""
        text, status = response.text, response.status_code
        where = f"{status} {_message(response)} (query id {response.headers.get('x-ovh-queryid', '-')})"
        if status in (400, 401, 403) and any(fault in text.lower() for fault in CLOCK_FAULTS):
            return ClockSkew(f"OVH refused the request time ({where}) even after reading its clock "
                             "again (/auth/time); check this machine's clock", raw=text)
        if status in (401, 403) or (status == 400 and "INVALID_SIGNATURE" in text):
            return ProviderConfigError(f"OVH refused the credentials ({where}); check "
                                       + ", ".join(self._env_names) + " and the key's access rules",
                                       raw=text)
        if status in (404, 460):
            return ProviderConfigError(f"OVH answered {where}; check providers.ovh.service_name "
                                       f"({self._service}) and base_url", raw=text)
        if status == 429:
            return hosted.rate_limited(f"OVH is rate limiting ({where})", text,
                                       hosted.retry_after(response.headers), self.capabilities)
        if status == 400 and "sender" in text.lower():  # the same for every message: fail none
            return ProviderConfigError(f"OVH refused the sender ({where}); use a sender declared and "
                                       f"validated on {self._service} (GET /sms/{self._service}/senders) "
                                       "or set sender_for_response", raw=text)
        if 400 <= status < 500:
            return Refused(f"OVH refused the message ({where})", raw=text)
        return InDoubt(f"OVH answered {where}; the message may have been taken", raw=text)


def masked(text: str, to: str) -> str:
    """The answer kept in the ledger, with the receiver masked in each way OVH may write it."""
    for written in ("00" + to[1:], to, to[1:]):
        text = text.replace(written, mask(to))
    return text


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message", ""))
    except (ValueError, AttributeError):
        return response.reason_phrase


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    try:
        return datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        return None


def e164(number: str) -> str:
    """OVH writes numbers as +33..., 0033... or 33...: ours are E.164."""
    return number if number.startswith("+") else "+" + number.removeprefix("00")


def _code(value: Any) -> int | None:
    return int(value) if str(value).lstrip("-").isdigit() else None


def outgoing_report(sms: Mapping[str, Any]) -> Report:
    """An `sms.Outgoing` (pull and lookup): `deliveryReceipt` read on the DLR id scale (§2.3)."""
    state, failure = state_of(_code(sms.get("deliveryReceipt")), _code(sms.get("ptt")))
    return Report(reference=str(sms.get("tag") or ""), state=state, failure=failure,
                  at=_when(sms.get("deliveredAt") or sms.get("sentAt")), provider_id=str(sms["id"]),
                  raw={key: str(sms[key]) for key in ("id", "deliveryReceipt", "ptt", "tag") if key in sms})


def parse_webhook(call: WebhookCall, config: Mapping[str, Any], env: Mapping[str, str]) -> Received:
    """The account `callBack` (query: id, ptt, date, description or dlr, descriptionDlr). It is not
    signed (our route checks the URL token) and names no tag: join the report on `provider_id`."""
    if call.kind == "mo":
        raise ValueError("OVH replies are pulled by smsops sync (/incoming); the smsResponse cgiUrl "
                         "payload is not documented (providers.md §2.4)")
    params = call.params
    dlr = _code(params.get("description")) if _code(params.get("description")) is not None \
        else _code(params.get("dlr"))
    if not params.get("id") or dlr is None:
        raise ValueError("an OVH delivery callback needs id and a numeric description (or dlr)")
    state, failure = state_of(dlr, _code(params.get("ptt")))
    raw = {key: value for key, value in params.items() if key != "token"}
    return Received(reports=[Report(reference=params.get("tag", ""), state=state, failure=failure,
                                    at=_when(params.get("date")) or call.received_at,
                                    provider_id=params["id"], raw=raw)])


def appended_stop(config: Mapping[str, Any]) -> str | None:
    """What OVH adds to every message unless `no_stop_clause` (non-advertising messages only)."""
    return None if config.get("no_stop_clause", False) else str(config.get("stop_clause", STOP_CLAUSE))


def create(config: Mapping[str, Any], env: Mapping[str, str], *,
           transport: httpx.AsyncBaseTransport | None = None,
           clock: Callable[[], datetime] | None = None,
           wall_clock: Callable[[], float] = time.time) -> OvhProvider:
    """Build the adapter from the `providers.ovh` mapping of smsops.yaml and the environment.
    `clock` is the business "now" (`--at`); `wall_clock` the real time that signatures need."""
    names = env_names(config, ENV_DEFAULTS)
    missing = [name for name in names if not env.get(name)]
    problems = ([] if config.get("service_name") else
                ["providers.ovh needs service_name (e.g. sms-ab12345-1) in smsops.yaml"]) + (
        ["OVH credentials missing: set the environment variable(s) " + ", ".join(missing)] if missing else [])
    if problems:  # all at once: fixing one should not reveal the next
        raise ProviderConfigError("; ".join(problems))
    no_stop_clause = bool(config.get("no_stop_clause", False))
    capabilities = hosted.capabilities(config, lookup=True, appends_stop=appended_stop(config))
    client = httpx.AsyncClient(transport=transport, timeout=float(config.get("timeout_seconds", 15)))
    key, secret, consumer = (env[name] for name in names)
    return OvhProvider(base_url=str(config.get("base_url", DEFAULT_BASE_URL)).rstrip("/"),
                       service=str(config["service_name"]), keys=(key, secret, consumer),
                       env_names=(names[0], names[1], names[2]),
                       sender_for_response=bool(config.get("sender_for_response", False)),
                       no_stop_clause=no_stop_clause, pull_hours=float(config.get("pull_hours", 72)),
                       capabilities=capabilities, client=client, clock=clock or (lambda: datetime.now(UTC)),
                       wall_clock=wall_clock)
