"""`smsops purge`: the retention periods of compliance.md §1.7, applied to every store of personal data.

Old messages are anonymised, not deleted, so the KPIs of old campaigns stay exact: their id,
hash, masked number, territory, provider id, short link and unique code go, and so do the order
number and code of their conversions; status, times, parts and cost stay (`forget` anonymises
one person's messages with the same statements). The suppression list (keyed hashes) is never
purged. Deleted rows are overwritten (secure_delete) and the databases compacted, so nothing
survives in free pages or the WAL."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from runner.purge_contacts import purge_contacts, purge_resubscriptions
from runner.store import iso

# Days; compliance.md §1.7. Message logs align with prospect data (3 years); raw provider
# payloads only serve debugging; consent proof covers the 5-year limitation period (Code civil
# art. 2224) after the last message sent on it.
DEFAULTS: dict[str, int] = {"messages_days": 1095, "provider_payloads_days": 90,
                            "conversions_days": 1095, "contacts_days": 1095,
                            "consent_proof_days": 1825, "reports_days": 90}


def retention_days(settings: object, key: str) -> int:
    configured: Mapping[str, int] = getattr(settings, "retention", {}) or {}
    return int(configured.get(key, DEFAULTS[key]))


@dataclass
class Purged:
    counts: dict[str, int] = field(default_factory=dict)  # "table what" -> rows
    files_to_edit: list[str] = field(default_factory=list)  # contacts file lines to remove


# What makes a message anonymous, for `purge` (old messages) and `forget` (one person's): the
# rows in `anonymised` get a new id (kept by their events, clicks and conversions, so the KPIs
# stay exact) and lose everything that leads back to the person, including the order number and
# unique code of their conversions (the shop's order links back to the customer).
ANONYMISE = (
    """UPDATE message_events SET detail = '', message_id = (SELECT new FROM anonymised
       WHERE old = message_id) WHERE message_id IN (SELECT old FROM anonymised)""",
    """UPDATE clicks SET user_agent = NULL, message_id = (SELECT new FROM anonymised
       WHERE old = message_id) WHERE message_id IN (SELECT old FROM anonymised)""",
    """UPDATE conversions SET order_id = NULL, code = NULL, message_id = (SELECT new FROM anonymised
       WHERE old = message_id) WHERE message_id IN (SELECT old FROM anonymised)""",
    """UPDATE messages SET id = (SELECT new FROM anonymised WHERE old = id),
       phone_hash = :label || ':' || (SELECT new FROM anonymised WHERE old = id),
       phone_masked = :label, region = NULL, provider_id = NULL, link_token = NULL,
       promo_code = NULL, last_error = NULL WHERE id IN (SELECT old FROM anonymised)""",
)
NOT_ANONYMOUS = "id NOT LIKE 'purged-%' AND id NOT LIKE 'erased-%'"


@dataclass(frozen=True)
class Anonymised:
    messages: int
    clicks: int
    payloads: int  # provider payloads (message_events.detail) cleared


def anonymise(db: sqlite3.Connection, where: str, params: Mapping[str, str], label: str) -> Anonymised:
    """Anonymise the messages `where` selects (label: 'purged' or 'erased')."""
    db.execute("CREATE TEMP TABLE anonymised (old TEXT PRIMARY KEY, new TEXT)")
    db.execute(f"INSERT INTO anonymised SELECT id, :label || '-' || lower(hex(randomblob(8))) "
               f"FROM messages WHERE {NOT_ANONYMOUS} AND ({where})", {**params, "label": label})
    done = Anonymised(*db.execute(
        "SELECT (SELECT COUNT(*) FROM anonymised), (SELECT COUNT(*) FROM clicks WHERE message_id "
        "IN (SELECT old FROM anonymised)), (SELECT COUNT(*) FROM message_events WHERE detail != '' "
        "AND message_id IN (SELECT old FROM anonymised))").fetchone())
    for statement in ANONYMISE:
        db.execute(statement, {"label": label} if ":label" in statement else {})
    db.execute("DROP TABLE anonymised")
    return done


def _results(db: sqlite3.Connection, cutoff: dict[str, str], purged: Purged) -> None:
    counts = purged.counts
    counts["conversions orders and unique codes removed"] = db.execute(
        "UPDATE conversions SET order_id = NULL, code = CASE WHEN message_id IS NULL THEN code END "
        "WHERE order_id IS NOT NULL AND julianday(at) < julianday(:cutoff)",
        {"cutoff": cutoff["conversions_days"]}).rowcount
    done = anonymise(db, "julianday(COALESCE(sent_at, queued_at)) < julianday(:cutoff)",
                     {"cutoff": cutoff["messages_days"]}, "purged")
    counts["messages anonymised"], counts["clicks anonymised"] = done.messages, done.clicks
    payloads = {"cutoff": cutoff["provider_payloads_days"]}
    counts["message_events payloads cleared"] = db.execute(
        "UPDATE message_events SET detail = '' WHERE detail != '' AND julianday(at) < "
        "julianday(:cutoff)", payloads).rowcount
    counts["messages provider errors cleared"] = db.execute(
        "UPDATE messages SET last_error = NULL WHERE last_error IS NOT NULL AND "
        "julianday(updated_at) < julianday(:cutoff)", payloads).rowcount
    counts["webhook_calls deleted"] = db.execute(
        "DELETE FROM webhook_calls WHERE julianday(received_at) < julianday(:cutoff)",
        payloads).rowcount


def _simulator(outbox: Path | None, cutoff: str, dry_run: bool) -> int:
    if outbox is None or not outbox.is_file():
        return 0
    db = begin_erasure(outbox)
    try:
        count = db.execute("DELETE FROM outbox WHERE julianday(accepted_at) < julianday(?)",
                           (cutoff,)).rowcount
        end_erasure(db, dry_run)
        return int(count)
    finally:
        db.close()


def _reports(folder: Path, cutoff: datetime, dry_run: bool) -> int:
    old = [p for p in sorted(folder.glob("*.csv")) if p.stat().st_mtime < cutoff.timestamp()]
    for report in old if not dry_run else ():
        report.unlink()
    return len(old)


def begin_erasure(path: Path) -> sqlite3.Connection:
    """A connection whose deletions overwrite the data (whatever SQLite's build default), in a
    write transaction; end it with end_erasure."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA busy_timeout = 5000")
    db.execute("PRAGMA secure_delete = ON")
    db.execute("BEGIN IMMEDIATE")
    return db


def end_erasure(db: sqlite3.Connection, dry_run: bool = False) -> None:
    db.execute("ROLLBACK" if dry_run else "COMMIT")
    if not dry_run:  # nothing of the purged rows may survive in free pages or the WAL
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def purge(now: datetime, retention: object, *, results: Path, contacts: Path, root: Path,
          simulator: Path | None, dry_run: bool = False) -> Purged:
    cutoffs = {key: now - timedelta(days=retention_days(retention, key)) for key in DEFAULTS}
    cutoff = {key: iso(moment) for key, moment in cutoffs.items()}
    purged = Purged()
    db = begin_erasure(results)
    try:
        _results(db, cutoff, purged)
        recent = {h for (h,) in db.execute("SELECT DISTINCT phone_hash FROM messages WHERE "
                                           "julianday(sent_at) >= julianday(?)",
                                           (cutoff["consent_proof_days"],))}
        private = begin_erasure(contacts)
        try:
            purged.files_to_edit = purge_contacts(private, db, cutoffs["contacts_days"], purged.counts)
            purged.counts["resubscriptions deleted"] = purge_resubscriptions(
                private, cutoff["consent_proof_days"], recent)
            end_erasure(private, dry_run)
        finally:
            private.close()
        end_erasure(db, dry_run)
    finally:
        db.close()
    purged.counts["simulator outbox rows deleted"] = _simulator(simulator, cutoff["messages_days"], dry_run)
    purged.counts["rejected-rows reports deleted"] = _reports(root / "rejected",
                                                               cutoffs["reports_days"], dry_run)
    return purged
