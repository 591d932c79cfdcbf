"""The messages ledger: one row per recipient per campaign occurrence, and its state changes.

A row is claimed (`sending`) and committed before the provider is called, and settled after;
so a crash leaves `sending` rows, which are reconciled or marked `in_doubt`, never re-sent."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from runner.providers.base import Report
from runner.store import event, free_text, iso, transaction


@dataclass(frozen=True)
class Pending:
    id: str
    phone_hash: str
    region: str


def message_id(campaign_id: str, occurrence: str, phone_hash: str) -> str:
    """Deterministic: the same recipient of the same occurrence always has the same id."""
    return hashlib.sha256(f"{campaign_id}|{occurrence}|{phone_hash}".encode()).hexdigest()[:24]


def is_enqueued(conn: sqlite3.Connection, campaign_id: str, occurrence: str) -> bool:
    return conn.execute("SELECT 1 FROM occurrences WHERE campaign_id = ? AND occurrence = ?",
                        (campaign_id, occurrence)).fetchone() is not None


def enqueue(conn: sqlite3.Connection, rows: Iterable[tuple[str, str, str]], *, campaign_id: str,
            occurrence: str, starts: datetime, ends: datetime, now: datetime, provider: str,
            commit_sha: str | None, file_path: str, test: bool = False) -> int:
    """Queue (phone_hash, phone_masked, region) rows once; the audience is frozen from then on."""
    stamp = iso(now)
    with transaction(conn):
        before = conn.total_changes
        conn.executemany(
            "INSERT OR IGNORE INTO messages (id, campaign_id, occurrence, phone_hash, phone_masked,"
            " region, status, provider, test, commit_sha, file_path, queued_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)",
            ((message_id(campaign_id, occurrence, h), campaign_id, occurrence, h, masked, region,
              provider, int(test), commit_sha, file_path, stamp, stamp) for h, masked, region in rows))
        count = conn.total_changes - before
        conn.execute("INSERT OR IGNORE INTO occurrences VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (campaign_id, occurrence, iso(starts), iso(ends), stamp, count, commit_sha,
                      file_path))
    return count


def pending(conn: sqlite3.Connection, campaign_id: str, occurrence: str) -> list[Pending]:
    return [Pending(*row) for row in conn.execute(
        "SELECT id, phone_hash, region FROM messages WHERE campaign_id = ? AND occurrence = ? "
        "AND status = 'queued' ORDER BY id", (campaign_id, occurrence))]


class Collision(Exception):
    """The random short-link token or promo code is already another message's: draw again."""


def claim(conn: sqlite3.Connection, message: str, now: datetime, run_id: int | None, *,
          encoding: str, parts: int, cost_eur: float, link_token: str | None = None,
          promo_code: str | None = None) -> bool:
    """queued -> sending, committed before the provider hears of it; False if already taken.
    The cost is booked now, so that a crash can never let the budget be overspent; the short
    link and promo code too, so that whatever the provider sends is already known here."""
    try:
        with transaction(conn):
            return conn.execute(
                "UPDATE messages SET status = 'sending', sending_at = ?, updated_at = ?, "
                "attempts = attempts + 1, run_id = ?, encoding = ?, parts = ?, cost_eur = ?, "
                "link_token = COALESCE(?, link_token), promo_code = COALESCE(?, promo_code) "
                "WHERE id = ? AND status = 'queued'",
                (iso(now), iso(now), run_id, encoding, parts, cost_eur, link_token, promo_code,
                 message)).rowcount == 1
    except sqlite3.IntegrityError as err:
        raise Collision(str(err)) from err


def settle(conn: sqlite3.Connection, message: str, now: datetime, status: str, *,
           detail: str = "", **columns: object) -> None:
    """sending -> sent | failed | in_doubt | queued (with the given columns set). The row keeps
    the time of each state; an event keeps what the provider said when it was not a plain yes.
    A delivery report may have come first (Kannel reports as soon as the SMSC has the message):
    the row keeps the state the report gave it and only learns the provider's id and send time."""
    stamp_column = {"sent": "sent_at", "failed": "failed_at"}.get(status)
    values = {**columns, "status": status, "updated_at": iso(now)}
    if stamp_column:
        values[stamp_column] = iso(now)
    if isinstance(values.get("last_error"), str):
        values["last_error"] = free_text(str(values["last_error"]))
    assignments = ", ".join(f"{name} = ?" for name in values)
    with transaction(conn):
        settled = conn.execute(f"UPDATE messages SET {assignments} WHERE id = ? AND "
                               f"status = 'sending'", (*values.values(), message)).rowcount
        if not settled and status == "sent":
            conn.execute("UPDATE messages SET provider_id = COALESCE(provider_id, ?), "
                         "sent_at = COALESCE(sent_at, ?), updated_at = ? WHERE id = ? AND "
                         "status IN ('sent', 'delivered', 'failed')",
                         (columns.get("provider_id"), iso(now), iso(now), message))
        if status != "sent":
            event(conn, message, now, "status", status, detail)


def expire(conn: sqlite3.Connection, campaign_id: str, now: datetime, reason: str, *,
           keep_occurrence: str | None = None, message: str | None = None) -> int:
    """Queued rows that must never go out (occurrence over, opted out) become `expired`."""
    where = "campaign_id = ? AND status = 'queued'"
    params: list[object] = [campaign_id]
    if keep_occurrence is not None:
        where, params = where + " AND occurrence != ?", [*params, keep_occurrence]
    if message is not None:
        where, params = where + " AND id = ?", [*params, message]
    with transaction(conn):
        ids = [row[0] for row in conn.execute(f"SELECT id FROM messages WHERE {where}", params)]
        conn.execute(f"UPDATE messages SET status = 'expired', expired_at = ?, updated_at = ?, "
                     f"last_error = ? WHERE {where}", (iso(now), iso(now), free_text(reason), *params))
        for expired in ids:
            event(conn, expired, now, "status", "expired", reason)
    return len(ids)


def stuck(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(message id, provider) of rows a crashed run left `sending`."""
    return list(conn.execute("SELECT id, provider FROM messages WHERE status = 'sending'"))


def spent(conn: sqlite3.Connection, campaign_id: str) -> float:
    """What the campaign may already cost: sent, failed after sending, and in doubt."""
    return float(conn.execute(
        "SELECT COALESCE(SUM(cost_eur), 0) FROM messages WHERE campaign_id = ? AND test = 0 "
        "AND status IN ('sending', 'sent', 'delivered', 'failed', 'in_doubt')",
        (campaign_id,)).fetchone()[0])


def opted_out(conn: sqlite3.Connection, phone_hash: str) -> bool:
    return conn.execute("SELECT 1 FROM optouts WHERE phone_hash = ?",
                        (phone_hash,)).fetchone() is not None


FINAL = ("delivered", "failed")


def awaiting_report(conn: sqlite3.Connection, provider: str, since: datetime,
                    limit: int = 500) -> list[str]:
    """Provider ids of the provider's messages still `sent` (no final report yet), sent since
    `since`, oldest first: at most `limit`, so that one sync stays short."""
    return [row[0] for row in conn.execute(
        "SELECT provider_id FROM messages WHERE provider = ? AND status = 'sent' AND "
        "provider_id IS NOT NULL AND julianday(sent_at) >= julianday(?) "
        "ORDER BY julianday(sent_at), id LIMIT ?", (provider, iso(since), limit))]


def report(conn: sqlite3.Connection, found: Report, now: datetime) -> bool:
    """Apply a delivery report; False when it changes nothing (unknown message, or the message
    already final: duplicate and late reports never downgrade a final state)."""
    if not found.reference and found.provider_id:  # a provider that only knows its own id
        known = conn.execute("SELECT id FROM messages WHERE provider_id = ?",
                             (found.provider_id,)).fetchone()
        found = replace(found, reference=known[0] if known else "")
    row = conn.execute("SELECT status FROM messages WHERE id = ?", (found.reference,)).fetchone()
    if row is None or row[0] in FINAL or row[0] in ("queued", "expired"):
        return False
    at = iso(found.at or now)
    # A report before the send is settled: the message left with the request, at sending_at.
    reached = "sent_at = COALESCE(sent_at, sending_at)"
    with transaction(conn):
        if found.state == "delivered":
            conn.execute(f"UPDATE messages SET status = 'delivered', delivered_at = ?, {reached}, "
                         "delivery_seconds = ROUND((julianday(?) - julianday(COALESCE(sent_at, "
                         "sending_at))) * 86400, 3), updated_at = ? WHERE id = ?",
                         (at, at, iso(now), found.reference))
        elif found.state in ("failed", "unknown"):
            failure = found.failure or ("permanent" if found.state == "failed" else "temporary")
            conn.execute(f"UPDATE messages SET status = 'failed', failure = ?, failed_at = ?, "
                         f"{reached}, updated_at = ? WHERE id = ?",
                         (failure, at, iso(now), found.reference))
        else:  # pending: at least it reached the provider
            conn.execute(f"UPDATE messages SET status = 'sent', {reached}, updated_at = ? "
                         "WHERE id = ? AND status IN ('sending', 'in_doubt')",
                         (iso(now), found.reference))
        event(conn, found.reference, found.at or now, "report", found.state,  # raw, masked there
              json.dumps({k: str(v) for k, v in found.raw.items()}, ensure_ascii=False))
    return True
