"""Retention in the private contacts database (compliance.md §1.7).

A contact's last sign of a relationship is the latest of: consent collected (`_consent_date`),
a purchase (the `last_purchase` field when the list has one, or a conversion of their unique
code) and a click on a link (the last contact initiated by a prospect). A row with none of these
(invalid, no consent, no date) dates from its list's last import. Rows older than the retention
period leave the database; the contacts file is the user's to edit, so its lines are named."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

from runner.order_reader import parse_date

ACTIVITY_FIELDS = ("last_purchase",)
UTC = ZoneInfo("UTC")


def _when(text: object) -> datetime | None:
    try:
        return parse_date(str(text), UTC) if text else None
    except ValueError:
        return None


def _activity(results: sqlite3.Connection) -> dict[str, datetime]:
    """Per phone hash, the latest click or conversion of any of their messages."""
    latest: dict[str, datetime] = {}
    for table in ("clicks", "conversions"):
        for phone_hash, at in results.execute(
                f"SELECT m.phone_hash, MAX(t.at) FROM {table} AS t JOIN messages AS m "
                "ON m.id = t.message_id GROUP BY m.phone_hash"):
            moment = _when(at)
            if moment is not None and moment > latest.get(phone_hash, moment):
                latest[phone_hash] = moment
            elif moment is not None:
                latest.setdefault(phone_hash, moment)
    return latest


def purge_contacts(private: sqlite3.Connection, results: sqlite3.Connection, cutoff: datetime,
                   counts: dict[str, int]) -> list[str]:
    columns = {row[1] for row in private.execute("PRAGMA table_info(contacts)")}
    extra = [f'"{name}"' for name in ACTIVITY_FIELDS if name in columns]
    imported = {lst: _when(at) for lst, at in private.execute("SELECT list, imported_at FROM imports")}
    activity = _activity(results)
    old: list[tuple[str, int]] = []
    for list_id, line, phone_hash, consent_date, *fields in private.execute(
            f"SELECT _list, _line, _hash, _consent_date {''.join(', ' + c for c in extra)} FROM contacts"):
        dates = [d for d in (_when(consent_date), activity.get(phone_hash), *map(_when, fields)) if d]
        latest = max(dates) if dates else imported.get(list_id)
        if latest is not None and latest < cutoff:
            old.append((list_id, line))
    private.executemany("DELETE FROM contacts WHERE _list = ? AND _line = ?", old)
    counts["contacts deleted"] = len(old)
    return [f"{list_id}, line {line}" for list_id, line in old]


def purge_resubscriptions(private: sqlite3.Connection, cutoff: str, recent: set[str]) -> int:
    """New-consent evidence outlives its retention only while messages are still sent on it."""
    if not private.execute("SELECT 1 FROM sqlite_master WHERE name = 'resubscriptions'").fetchone():
        return 0
    old = [(rowid,) for rowid, phone_hash in private.execute(
        "SELECT rowid, phone_hash FROM resubscriptions WHERE julianday(at) < julianday(?)", (cutoff,))
        if phone_hash not in recent]
    private.executemany("DELETE FROM resubscriptions WHERE rowid = ?", old)
    return len(old)
