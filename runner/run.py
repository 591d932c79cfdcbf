"""`smsops run` and `smsops test` as library calls: lock, ledger, reconcile, send, record."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from runner.audience import contacts_db
from runner.audience.selection import Audience
from runner.diagnostics import Diagnostic, SmsopsError
from runner.dispatch import Dispatcher, Outcome, Sleep
from runner.lock import RunLock
from runner.personalize import campaign_link
from runner.phones import Phone
from runner.project import Campaign, Project
from runner.providers import make_provider
from runner.providers.base import Provider, ProviderConfigError
from runner.store import iso, open_store, transaction
from runner.validate import validate

Clock = Callable[[], datetime]
T = TypeVar("T")


@dataclass
class RunReport:
    reconciled: dict[str, int] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # campaigns not sent: validate fails


@dataclass(frozen=True)
class Options:
    env: Mapping[str, str]
    hash_key: str
    sleep: Sleep = asyncio.sleep
    lock_wait: float = 0.0
    providers: Callable[[str], Provider] | None = None  # tests inject their own
    progress: Callable[[str, int], None] | None = None  # (campaign id, sent so far)


def commit_sha(root: Path, env: Mapping[str, str]) -> str | None:
    """The commit whose files approved the texts: GitHub's, else the checkout's."""
    if env.get("GITHUB_SHA"):
        return env["GITHUB_SHA"]
    found = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True)
    return (found.stdout.strip() or None) if found.returncode == 0 else None


def run_campaigns(project: Project, campaigns: list[Campaign], clock: Clock,
                  options: Options) -> RunReport:
    report = RunReport()
    invalid = invalid_campaigns(project, clock())

    async def work(dispatcher: Dispatcher, conn: sqlite3.Connection) -> RunReport:
        report.reconciled = await dispatcher.reconcile()
        for campaign in campaigns:
            if campaign.id in invalid:
                report.invalid.append(campaign.id)
                continue
            _record_campaign(conn, campaign, dispatcher.commit_sha, clock())
            report.outcomes.append(await dispatcher.run_campaign(campaign))
        return report

    return _session(project, clock, options, work)


def send_tests(project: Project, campaign: Campaign, phones: list[Phone], clock: Clock,
               options: Options) -> Outcome:
    async def work(dispatcher: Dispatcher, conn: sqlite3.Connection) -> Outcome:
        await dispatcher.reconcile()
        return await dispatcher.send_tests(campaign, phones, f"test:{iso(clock())}")

    return _session(project, clock, options, work)


def invalid_campaigns(project: Project, now: datetime) -> set[str]:
    """Campaigns whose files have an error: never sent, whatever their schedule says."""
    found = [d for d in validate(project, now) if d.severity == "error"]
    if any(not d.path.startswith("campaigns/") for d in found):
        return set(project.campaigns)  # a broken audience or setting can affect any campaign
    paths = {d.path for d in found}
    return {c.id for c in project.campaigns.values() if c.doc.path in paths}


def _session(project: Project, clock: Clock, options: Options,
             work: Callable[[Dispatcher, sqlite3.Connection], Awaitable[T]]) -> T:
    database = project.root / project.settings.database
    with RunLock(database, options.lock_wait):
        conn = open_store(database).conn
        sha = commit_sha(project.root, options.env)
        run_id = _start(conn, clock(), sha)
        opened: dict[str, Provider] = {}
        factory = options.providers or (lambda n: make_provider(project, n, options.env, clock))

        def provider(name: str) -> Provider:
            if name not in opened:
                opened[name] = factory(name)
            return opened[name]

        audience = Audience(project, contacts_db.connect(project.root /
                                                         project.settings.contacts_database))
        dispatcher = Dispatcher(project, conn, audience, provider, clock, sleep=options.sleep,
                                run_id=run_id, commit_sha=sha, hash_key=options.hash_key,
                                progress=options.progress)

        async def main() -> T:
            try:
                return await work(dispatcher, conn)
            finally:
                for each in opened.values():
                    await each.aclose()

        result: T | None = None
        try:
            result = asyncio.run(main())
            return result
        except ProviderConfigError as err:  # nothing was accepted; the message is queued again
            raise SmsopsError(Diagnostic.at(project.settings.doc.at("providers"), "schema",
                                            str(err))) from None
        finally:
            _finish(conn, run_id, result)


def _start(conn: sqlite3.Connection, now: datetime, sha: str | None) -> int:
    with transaction(conn):
        cursor = conn.execute("INSERT INTO runs (started_at, at, commit_sha, dry_run) "
                              "VALUES (?, ?, ?, 0)",
                              (iso(datetime.now().astimezone()), iso(now), sha))
    return int(cursor.lastrowid or 0)


def _record_campaign(conn: sqlite3.Connection, campaign: Campaign, sha: str | None,
                     now: datetime) -> None:
    with transaction(conn):
        conn.execute("INSERT OR REPLACE INTO campaigns (id, name, objective, file_path, commit_sha, "
                     "provider, updated_at, link) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (
                         campaign.id, campaign.name, campaign.objective, campaign.doc.path, sha,
                         campaign.provider, iso(now), campaign_link(campaign)))


def _finish(conn: sqlite3.Connection, run_id: int, result: object) -> None:
    outcomes = result.outcomes if isinstance(result, RunReport) else [result] if result else []
    with transaction(conn):
        conn.execute("UPDATE runs SET finished_at = ?, summary = ? WHERE id = ?", (
            iso(datetime.now().astimezone()),
            json.dumps([asdict(o) for o in outcomes if isinstance(o, Outcome)],
                       ensure_ascii=False), run_id))
