"""The send loop: the window per recipient, expiry, opt-outs, budget, concurrency, rate, retries.

It knows the ledger's states and the provider's four error classes, never a wire format."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from runner import ledger, optout
from runner.audience.segments import quote
from runner.audience.selection import Audience
from runner.i18n import _
from runner.occurrence import Occurrence, occurrence
from runner.personalize import Extras, contact_fields, new_extras, personalize
from runner.phones import Phone, mask, phone_hash
from runner.project import Campaign, Project
from runner.providers.base import (
    InDoubt,
    NotSent,
    OutgoingMessage,
    Provider,
    ProviderConfigError,
    Refused,
    Report,
    SendError,
)
from runner.text import sms_parts
from runner.window import is_allowed

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]
RETRY_DELAYS = (1.0, 4.0, 15.0)  # only for requests that provably never reached the provider


@dataclass
class Outcome:
    campaign_id: str
    occurrence: str | None = None
    enqueued: int = 0
    sent: int = 0
    failed: int = 0
    waiting: int = 0  # outside their own window now: a later run sends them
    held: int = 0  # still queued because this run stopped the campaign early (notes say why)
    expired: int = 0
    in_doubt: int = 0
    cost_eur: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Recipient:
    pending: ledger.Pending
    phone: str
    fields: dict[str, str]


async def _lookup(provider: Provider, reference: str) -> tuple[Report | None, bool]:
    """The provider's view of a message, and whether it could answer at all: an error while
    looking proves nothing, so the message stays in doubt, never re-sent."""
    if not provider.capabilities.lookup:
        return None, False
    try:
        return await provider.lookup(reference), True
    except SendError:
        return None, False


class RateLimiter:
    def __init__(self, rate: float, sleep: Sleep, monotonic: Callable[[], float]) -> None:
        self.interval, self.sleep, self.monotonic = 1.0 / rate, sleep, monotonic
        self.next_slot = 0.0

    async def wait(self) -> None:
        now = self.monotonic()
        slot, self.next_slot = max(now, self.next_slot), max(now, self.next_slot) + self.interval
        if slot > now:
            await self.sleep(slot - now)


class Dispatcher:
    def __init__(self, project: Project, store: sqlite3.Connection, audience: Audience,
                 providers: Callable[[str], Provider], clock: Clock, *,
                 sleep: Sleep = asyncio.sleep, monotonic: Callable[[], float] = time.monotonic,
                 run_id: int | None = None,
                 commit_sha: str | None = None, hash_key: str = "",
                 progress: Callable[[str, int], None] | None = None) -> None:
        self.project, self.store, self.audience, self.providers = project, store, audience, providers
        self.clock, self.sleep, self.monotonic = clock, sleep, monotonic
        self.run_id, self.commit_sha = run_id, commit_sha
        self.hash_key, self.progress = hash_key, progress
        self.limiters: dict[str, RateLimiter] = {}

    async def reconcile(self) -> dict[str, int]:
        """Rows a crashed run left `sending`: found at the provider -> sent; provably never
        received -> queued again; otherwise in_doubt, never re-sent blindly."""
        counts = {"sent": 0, "queued": 0, "in_doubt": 0}
        for message, provider_name in ledger.stuck(self.store):
            provider = self.providers(provider_name)
            found, answered = await _lookup(provider, message)
            if found is not None:
                status = "sent"
                ledger.settle(self.store, message, self.clock(), "sent",
                              detail="reconciled", provider_id=found.provider_id)
            elif answered:
                status = "queued"
                ledger.settle(self.store, message, self.clock(), "queued",
                              detail="reconciled: the provider never received it")
            else:
                status = "in_doubt"
                ledger.settle(self.store, message, self.clock(), "in_doubt",
                              detail="left sending by an interrupted run")
            counts[status] += 1
        return counts

    async def run_campaign(self, campaign: Campaign) -> Outcome:
        settings = self.project.settings
        now = self.clock()
        current = occurrence(campaign, now, settings)
        due_key = current.key if current and current.due else None
        outcome = Outcome(campaign.id, due_key)
        outcome.expired += ledger.expire(self.store, campaign.id, now, _("occurrence over"),
                                         keep_occurrence=due_key)
        if current is None or not current.due:
            outcome.notes.append(_("next: {at:%Y-%m-%d %H:%M}").format(at=current.at)
                                 if current else _("nothing left to send"))
            return outcome
        provider_name = campaign.provider or settings.provider
        if not ledger.is_enqueued(self.store, campaign.id, current.key):
            outcome.enqueued = self._enqueue(campaign, current, provider_name, now)
        recipients = self._recipients(campaign, current)
        provider = self.providers(provider_name)
        await _Send(self, campaign, current, provider, outcome).all(recipients)
        return outcome

    async def send_tests(self, campaign: Campaign, phones: list[Phone], key: str) -> Outcome:
        """The rendering with every fallback, now, to test numbers; marked as tests (no KPI)."""
        now = self.clock()
        current = Occurrence(now, now + timedelta(hours=1), due=True)
        provider_name = campaign.provider or self.project.settings.provider
        hashes = [phone_hash(phone.e164, self.hash_key) for phone in phones]
        ledger.enqueue(self.store, ((h, mask(p.e164), p.region) for h, p in zip(hashes, phones,
                                                                               strict=True)),
                       campaign_id=campaign.id, occurrence=key, starts=now, ends=current.ends,
                       now=now, provider=provider_name, commit_sha=self.commit_sha,
                       file_path=campaign.doc.path, test=True)
        waiting = {p.phone_hash: p for p in ledger.pending(self.store, campaign.id, key)}
        recipients = [_Recipient(waiting[h], phone.e164, {}) for h, phone in zip(hashes, phones,
                                                                                strict=True)
                      if h in waiting]
        outcome = Outcome(campaign.id, key)
        await _Send(self, campaign, current, self.providers(provider_name), outcome).all(recipients)
        return outcome

    def _enqueue(self, campaign: Campaign, current: Occurrence, provider: str,
                 now: datetime) -> int:
        selection = self.audience.select(campaign, current.at.astimezone(
            self.project.settings.zone).date())
        rows = self.audience.db.execute(
            f"SELECT _hash, _phone, _region FROM contacts WHERE {selection.scope} "
            f"AND {self.audience.recipient} ORDER BY _line", selection.params)
        return ledger.enqueue(
            self.store, ((h, mask(phone), region) for h, phone, region in rows),
            campaign_id=campaign.id, occurrence=current.key, starts=current.at, ends=current.ends,
            now=now, provider=provider, commit_sha=self.commit_sha, file_path=campaign.doc.path)

    def _recipients(self, campaign: Campaign, current: Occurrence) -> list[_Recipient]:
        """The queued rows with what rendering needs, read from the private contacts database."""
        waiting = {p.phone_hash: p for p in ledger.pending(self.store, campaign.id, current.key)}
        if not waiting:
            return []
        segment = self.project.segments[campaign.segment]
        fields = contact_fields(campaign)
        columns = "".join(f", {quote(f)}" for f in fields)
        rows = self.audience.db.execute(
            f"SELECT _hash, _phone{columns} FROM contacts WHERE _list = ? AND _bucket = 'ok'",
            (segment.contacts,))
        found = [_Recipient(waiting[h], phone, dict(zip(fields, values, strict=True)))
                 for h, phone, *values in rows if h in waiting]
        return sorted(found, key=lambda r: r.pending.id)

    def limiter(self, provider: Provider) -> RateLimiter:
        if provider.name not in self.limiters:
            self.limiters[provider.name] = RateLimiter(provider.capabilities.rate_per_second,
                                                       self.sleep, self.monotonic)
        return self.limiters[provider.name]


class _Send:
    """One campaign occurrence's sends, `concurrency` at a time."""

    def __init__(self, dispatcher: Dispatcher, campaign: Campaign, current: Occurrence,
                 provider: Provider, outcome: Outcome) -> None:
        self.d, self.campaign, self.current = dispatcher, campaign, current
        self.provider, self.outcome = provider, outcome
        self.spent = ledger.spent(dispatcher.store, campaign.id)
        self.stopped = False

    async def all(self, recipients: list[_Recipient]) -> None:
        queue = iter(recipients)

        async def worker() -> None:
            for recipient in queue:
                if self.stopped:
                    return
                await self.one(recipient)

        await asyncio.gather(*(worker() for _ in range(self.provider.capabilities.concurrency)))
        queued = len(ledger.pending(self.d.store, self.campaign.id, self.current.key))
        if self.stopped:
            self.outcome.held = queued
        else:
            self.outcome.waiting = queued

    async def one(self, recipient: _Recipient) -> None:
        """Wait for the rate, check, claim, send; the row is `sending` only while in flight."""
        d = self.d
        for attempt, delay in enumerate((*RETRY_DELAYS, None)):
            await d.limiter(self.provider).wait()
            prepared = self._prepare(recipient)
            if prepared is None:
                return
            message, cost, extras = prepared
            try:
                claimed = ledger.claim(d.store, message.reference, d.clock(), d.run_id,
                                       encoding=message.encoding, parts=message.parts, cost_eur=cost,
                                       link_token=extras.link_token, promo_code=extras.promo_code)
            except ledger.Collision:
                self.spent -= cost
                continue  # another message drew the same token or code: draw again
            if not claimed:
                self.spent -= cost
                return
            try:
                accepted = await self.provider.send(message)
            except NotSent as err:
                ledger.settle(d.store, message.reference, d.clock(), "queued", detail=str(err),
                              last_error=str(err), cost_eur=None)
                self.spent -= cost
                if err.later or delay is None:  # the provider wants more time than this run has
                    self._stop(_("rate-limited or busy, the rest stays queued for the next run: "
                                 "{reason}").format(reason=err))
                if self.stopped or delay is None:
                    return
                await d.sleep(err.retry_after or delay * (1 + attempt / 10))
                continue
            except Refused as err:
                ledger.settle(d.store, message.reference, d.clock(), "failed", detail=err.raw,
                              failure=err.failure, last_error=str(err), cost_eur=0.0)
                if err.opted_out:  # said STOP at the provider: suppressed for every provider
                    optout.add(d.store, recipient.pending.phone_hash, d.clock(), source="provider",
                               channel="sms", campaign_id=self.campaign.id)
                self.spent -= cost
                self.outcome.failed += 1
                return
            except InDoubt as err:
                await self._in_doubt(message, err)
                return
            except ProviderConfigError as err:
                ledger.settle(d.store, message.reference, d.clock(), "queued", detail=str(err),
                              last_error=str(err), cost_eur=None)
                self._stop(str(err))
                raise
            ledger.settle(d.store, message.reference, d.clock(), "sent", detail=accepted.raw,
                          provider_id=accepted.provider_id)
            self.outcome.sent += 1
            self.outcome.cost_eur += cost
            if d.progress:
                d.progress(self.campaign.id, self.outcome.sent)
            return

    def _prepare(self, recipient: _Recipient) -> tuple[OutgoingMessage, float, Extras] | None:
        """The message and its cost, if it may go out at this very moment; else None."""
        d, pending, now = self.d, recipient.pending, self.d.clock()
        if self.stopped:
            return None
        if now >= self.current.ends:
            self._stop(_("past its end ({at:%Y-%m-%d %H:%M}): the rest expires").format(
                at=self.current.ends))
            self.outcome.expired += ledger.expire(d.store, self.campaign.id, now,
                                                  _("occurrence over"))
            return None
        if ledger.opted_out(d.store, pending.phone_hash):
            self.outcome.expired += ledger.expire(d.store, self.campaign.id, now,
                                                  _("opted out before sending"), message=pending.id)
            return None
        if not is_allowed(now, pending.region, d.project.settings.window, margin=True):
            return None  # stays queued for a run inside the recipient's own window
        extras = new_extras(self.campaign, d.project.settings)
        text = personalize(self.campaign, d.project.settings, recipient.fields, extras)
        encoding, parts = sms_parts(text + (self.provider.capabilities.appends_stop or ""))
        cost = round(parts * self.provider.capabilities.price_eur_per_part, 4)
        budget = self.campaign.max_cost_eur
        if budget is not None and self.spent + cost > budget + 1e-9:
            self._stop(_("budget of {budget:.2f} € reached").format(budget=budget))
            return None
        self.spent += cost  # booked before any await, so concurrent sends cannot overshoot
        sender = self.campaign.sender or d.project.settings.sender
        return OutgoingMessage(pending.id, recipient.phone, sender, text, encoding, parts), cost, extras

    async def _in_doubt(self, message: OutgoingMessage, err: InDoubt) -> None:
        d = self.d
        found, _answered = await _lookup(self.provider, message.reference)
        status = "sent" if found else "in_doubt"
        ledger.settle(d.store, message.reference, d.clock(), status, detail=str(err),
                      last_error=str(err), provider_id=found.provider_id if found else None)
        if found:
            self.outcome.sent += 1
        else:
            self.outcome.in_doubt += 1

    def _stop(self, note: str) -> None:
        if not self.stopped:
            self.stopped = True
            self.outcome.notes.append(note)
