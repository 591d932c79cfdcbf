"""The default provider: local, deterministic, and a record of everything it accepted.

Its outbox is a SQLite file beside the results database, so tests (and crash tests running
`smsops run` in another process) count exactly what reached the far end. Delivery reports and
STOP replies and short-link clicks are drawn from a seeded hash of our reference: the same run
gives the same outcomes, each stamped at its send time plus a simulated delay."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from runner.providers.base import (
    Accepted,
    Capabilities,
    Failure,
    Inbound,
    OutgoingMessage,
    Report,
    State,
)
from runner.store import iso

CRASH_ENV = "SMSOPS_SIMULATOR_CRASH"  # tests only: "before:N" or "after:N" accepted sends
OUTBOX = """CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, reference TEXT, sent_to TEXT,
    sender TEXT, text TEXT, encoding TEXT, parts INTEGER, accepted_at TEXT)"""


@dataclass(frozen=True)
class Behaviour:
    seed: int = 1
    delivered_rate: float = 0.95
    invalid_rate: float = 0.02  # permanent failure: the bounce (NPAI) of the CCI sheet
    delay_seconds: tuple[float, float] = (2.0, 30.0)
    stop_rate: float = 0.01  # recipients who answer STOP
    click_rate: float = 0.0  # delivered recipients who open their short link


class SimulatorProvider:
    name = "simulator"

    def __init__(self, outbox: Path, clock: Callable[[], datetime], behaviour: Behaviour,
                 capabilities: Capabilities, env: Mapping[str, str]) -> None:
        self.clock, self.behaviour, self.capabilities = clock, behaviour, capabilities
        self.db = sqlite3.connect(outbox, isolation_level=None)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute(OUTBOX)
        kind, _, count = env.get(CRASH_ENV, ":").partition(":")
        self.crash = (kind, int(count)) if count else None

    async def send(self, message: OutgoingMessage) -> Accepted:
        self._maybe_crash("before")
        cursor = self.db.execute(
            "INSERT INTO outbox (reference, sent_to, sender, text, encoding, parts, accepted_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", (message.reference, message.to, message.sender,
                                             message.text, message.encoding, message.parts,
                                             iso(self.clock())))
        self._maybe_crash("after")
        return Accepted(provider_id=f"sim-{cursor.lastrowid}", raw="accepted")

    def _maybe_crash(self, moment: str) -> None:
        accepted = self.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        if self.crash == (moment, accepted):
            os.kill(os.getpid(), signal.SIGKILL)  # a crash test: die like a killed runner

    async def lookup(self, reference: str) -> Report | None:
        row = self.db.execute("SELECT id FROM outbox WHERE reference = ? ORDER BY id LIMIT 1",
                              (reference,)).fetchone()
        return Report(reference, "pending", provider_id=f"sim-{row[0]}") if row else None

    def reports(self) -> list[Report]:
        """Every accepted message's final report (available at once, stamped as it would be)."""
        return [self._report(*row) for row in self.db.execute(
            "SELECT id, reference, accepted_at FROM outbox ORDER BY id")]

    def _draw(self, reference: str, salt: str) -> float:
        digest = hashlib.sha256(f"{self.behaviour.seed}:{salt}:{reference}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def _report(self, row_id: int, reference: str, accepted_at: str) -> Report:
        low, high = self.behaviour.delay_seconds
        at = datetime.fromisoformat(accepted_at) + timedelta(
            seconds=low + (high - low) * self._draw(reference, "delay"))
        draw, rates = self._draw(reference, "outcome"), self.behaviour
        if draw < rates.delivered_rate:
            return Report(reference, "delivered", at, provider_id=f"sim-{row_id}")
        permanent = draw < rates.delivered_rate + rates.invalid_rate
        failure: Failure = "permanent" if permanent else "temporary"
        state: State = "failed" if permanent else "unknown"
        return Report(reference, state, at, failure, provider_id=f"sim-{row_id}")

    def replies(self) -> list[Inbound]:
        """STOP answers from a seeded share of the recipients, a little after delivery."""
        rows = self.db.execute("SELECT reference, sent_to, accepted_at FROM outbox ORDER BY id")
        return [Inbound(to, "STOP", datetime.fromisoformat(at) + timedelta(minutes=5), ref)
                for ref, to, at in rows if self._draw(ref, "stop") < self.behaviour.stop_rate]

    def clicks(self) -> list[tuple[str, datetime]]:
        """(reference, when) of the delivered recipients who open their link, within the hour."""
        return [(report.reference, report.at + timedelta(minutes=1 + 59 * self._draw(
                    report.reference, "click-delay")))
                for report in self.reports() if report.state == "delivered" and report.at
                and self._draw(report.reference, "click") < self.behaviour.click_rate]

    async def pull(self) -> tuple[list[Report], list[Inbound]]:
        return self.reports(), self.replies()

    async def aclose(self) -> None:
        self.db.close()


def create(config: Mapping[str, Any], env: Mapping[str, str], *, root: Path,
           clock: Callable[[], datetime]) -> SimulatorProvider:
    behaviour = Behaviour(**{key: config[key] for key in Behaviour.__dataclass_fields__
                             if key in config})
    capabilities = Capabilities(lookup=True, max_parts=10, concurrency=1,
                                price_eur_per_part=float(config.get("price_eur_per_part", 0.0)),
                                rate_per_second=float(config.get("rate_per_second", 100.0)))
    outbox = root / str(config.get("outbox", "simulator.db"))
    return SimulatorProvider(outbox, clock, behaviour, capabilities, env)
