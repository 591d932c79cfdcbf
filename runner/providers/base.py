"""What every provider adapter offers the dispatcher: one protocol, one status vocabulary.

Adapters translate; they never touch the database. Every send raises one of four errors when
it does not end in `Accepted`, and the dispatcher decides what the ledger says from the class:
`NotSent` (provably never reached the provider: retry later), `Refused` (the provider said no
for this message: failed), `InDoubt` (may have been sent: reconcile or mark in_doubt, never
re-send blindly), `ProviderConfigError` (credentials or settings: stop the run, requeue)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol, runtime_checkable
from urllib.parse import urlencode

from runner.text import Encoding

State = Literal["delivered", "failed", "pending", "unknown"]  # providers.md, all adapters
Failure = Literal["permanent", "temporary"]


@dataclass(frozen=True)
class Capabilities:
    lookup: bool = False  # can find a message by our reference after a crash or a timeout
    appends_stop: str | None = None  # text the provider adds to every message, counted by length
    max_parts: int = 10
    price_eur_per_part: float = 0.0
    rate_per_second: float = 10.0
    concurrency: int = 8  # requests in flight at once
    max_retry_wait_seconds: float = 60.0  # a rate limit asking longer leaves the rest for the next run


@dataclass(frozen=True)
class OutgoingMessage:
    reference: str  # our message id: in the provider's reference field, joins reports back
    to: str  # E.164
    sender: str
    text: str
    encoding: Encoding
    parts: int


@dataclass(frozen=True)
class Accepted:
    provider_id: str | None
    raw: str = ""


@dataclass(frozen=True)
class Report:
    """A delivery report (pushed or pulled), in our words with the provider's kept."""

    reference: str
    state: State
    at: datetime | None = None
    failure: Failure | None = None
    provider_id: str | None = None
    raw: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Inbound:
    """A reply from a recipient (a STOP, say)."""

    sender: str  # E.164
    text: str
    at: datetime
    reference: str | None = None  # our message it answers, when the provider knows


@dataclass(frozen=True)
class WebhookCall:
    """One HTTP call a provider made to `smsops serve`, already authenticated by its token."""

    kind: Literal["dlr", "mo"]  # delivery report or inbound message (the route it came in on)
    method: str
    url: str  # exactly as the provider called it, query included: signatures cover it
    headers: Mapping[str, str]  # names in lower case
    params: Mapping[str, str]  # the query string, then the form fields of a form body
    body: bytes
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))  # when undated


@dataclass(frozen=True)
class Received:
    """What a webhook call or a pull brought: reports and replies, in our words."""

    reports: list[Report] = field(default_factory=list)
    replies: list[Inbound] = field(default_factory=list)


WEBHOOK_TOKEN_ENV = "SMSOPS_WEBHOOK_TOKEN"  # the secret every webhook URL carries as `token`


def env_names(config: Mapping[str, object], defaults: Mapping[str, str]) -> tuple[str, ...]:
    """The environment variables an adapter reads its secrets from: each `*_env` setting, else
    the default name of product.md (`defaults` maps the setting to that name)."""
    return tuple(str(config.get(key, default)) for key, default in defaults.items())


def callback_url(url: str, env: Mapping[str, str], **params: str) -> str:
    """`url` (a `/-/smsops/dlr/<provider>` or `/mo/` route of `smsops serve`) with our params and
    the webhook token appended, for providers that take a callback URL per message or account."""
    token = env.get(WEBHOOK_TOKEN_ENV)
    query = urlencode({**params, **({"token": token} if token else {})})
    return url + ("&" if "?" in url else "?") + query if query else url


class Forged(Exception):
    """The call does not carry the provider's valid signature: reject it and store nothing."""


@runtime_checkable
class Puller(Protocol):
    """A provider with a pull API (`smsops sync`): its reports and replies so far."""

    async def pull(self) -> tuple[list[Report], list[Inbound]]: ...


@runtime_checkable
class StatusPuller(Protocol):
    """A provider that gives one message's status by its own id (Twilio): `sync` asks it for the
    messages still waiting for a final report, whose callback may have been lost. (Beside
    `Puller`, not in it: its pulls need no ids, and no adapter has to change for this one.)"""

    async def statuses(self, provider_ids: Sequence[str]) -> list[Report]:
        """The final reports among these messages; those still in transit are left out."""
        ...


@runtime_checkable
class StopLister(Protocol):
    """A provider that keeps its own STOP list (Brevo, OVH, AllMySMS): `sync` copies it into
    ours, so a STOP given to one provider holds for all of them."""

    async def stop_list(self) -> list[str]: ...  # E.164 numbers


class SendError(Exception):
    def __init__(self, message: str, raw: str = "") -> None:
        super().__init__(message)
        self.raw = raw


class NotSent(SendError):
    """The request provably did not reach the provider (connect error, 429, 503)."""

    def __init__(self, message: str, raw: str = "", retry_after: float | None = None,
                 later: bool = False) -> None:
        super().__init__(message, raw)
        self.retry_after = retry_after
        self.later = later  # the provider asks to wait longer than we will: try on the next run


class Refused(SendError):
    """The provider refused this message (invalid number, not routable): it will not go out."""

    def __init__(self, message: str, raw: str = "", failure: Failure = "permanent",
                 opted_out: bool = False) -> None:
        super().__init__(message, raw)
        self.failure = failure
        self.opted_out = opted_out  # the provider refuses because the recipient said STOP there


class InDoubt(SendError):
    """The request may have reached the provider (timeout after sending, 5xx)."""


class ProviderConfigError(SendError):
    """Credentials or settings are wrong: nothing was accepted; the run stops."""


class Provider(Protocol):
    name: str
    capabilities: Capabilities

    async def send(self, message: OutgoingMessage) -> Accepted: ...

    async def lookup(self, reference: str) -> Report | None:
        """The provider's view of our message, None when it never received it (only called
        when `capabilities.lookup`)."""
        ...

    async def aclose(self) -> None: ...
