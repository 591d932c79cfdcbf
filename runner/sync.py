"""`smsops sync`: pull delivery reports and replies from providers that have a pull API (and
the status of each message still waiting for its report from those that give one by id), and
apply them as the webhooks would (reports to the ledger, STOP replies to the suppression list)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from runner import ledger, optout, shortlinks
from runner.phones import phone_hash
from runner.providers.base import Inbound, Provider, Puller, StatusPuller, StopLister
from runner.store import event, transaction

# How long a message `sent` without a final report is still asked about: carriers' receipts come
# within hours, a message with none after a week will have none (and no longer takes a place).
STATUS_WINDOW = timedelta(days=7)


@dataclass
class SyncReport:
    provider: str
    pulled: bool = False
    reports: int = 0  # that changed a message
    optouts: int = 0  # new numbers on the suppression list
    replies: int = 0
    clicks: int = 0  # simulated recipients' clicks (the simulator only)


@runtime_checkable
class ClickSimulator(Protocol):
    """The simulator also plays its recipients opening their short link, for demos."""

    def clicks(self) -> list[tuple[str, datetime]]: ...


async def sync(conn: sqlite3.Connection, provider: Provider, now: datetime,
               hash_key: str) -> SyncReport:
    """Replies first: a number both on the provider's STOP list and in a STOP reply keeps the
    campaign its reply answered (the list says nothing of campaigns)."""
    result = SyncReport(provider.name)
    if isinstance(provider, Puller):
        reports, replies = await provider.pull()
        result.pulled = True
        result.reports = sum(ledger.report(conn, found, now) for found in reports)
        for reply in replies:
            result.replies += 1
            result.optouts += apply_reply(conn, reply, hash_key)
    if isinstance(provider, StatusPuller):
        waiting = ledger.awaiting_report(conn, provider.name, now - STATUS_WINDOW)
        result.pulled = True
        result.reports += sum(ledger.report(conn, found, now)
                              for found in await provider.statuses(waiting))
    if isinstance(provider, ClickSimulator):
        result.clicks = sum(shortlinks.record_simulated(conn, reference, at)
                            for reference, at in provider.clicks())
    if isinstance(provider, StopLister):
        for number in await provider.stop_list():
            result.optouts += optout.add(conn, phone_hash(number, hash_key), now,
                                         source="provider", channel="sms")
    return result


def apply_reply(conn: sqlite3.Connection, reply: Inbound, hash_key: str) -> bool:
    """A STOP (in any wording) suppresses the number at once; True when it was new. The message
    it answers keeps a 'stop' event, which the campaign's opt-out rate counts for good."""
    if not optout.is_stop(reply.text):
        return False
    hashed = phone_hash(reply.sender, hash_key)
    answered = optout.last_message(conn, hashed)
    if answered is not None:
        with transaction(conn):
            event(conn, answered[0], reply.at, "stop", "optout")
    return optout.add(conn, hashed, reply.at, source="reply", channel="sms",
                      campaign_id=answered[1] if answered else None)
