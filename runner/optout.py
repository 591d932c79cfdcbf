"""STOP replies and the suppression list: one list across providers, keyed by phone hash."""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from datetime import datetime

from runner.store import iso, transaction

# The words a person uses to stop marketing SMS (compliance.md §1.3), compared without case,
# accents or punctuation. Any one of them standing as a word makes the reply an opt-out:
# missing one would be unlawful, an extra one only costs a customer.
STOP_WORDS = frozenset({
    "STOP", "STOPALL", "STOPSMS", "ARRET", "ARRETER", "ARRETEZ", "DESABONNER", "DESABONNEMENT",
    "DESINSCRIRE", "DESINSCRIPTION", "UNSUBSCRIBE", "QUIT", "END", "CANCEL", "STOPPER",
})
WORD = re.compile(r"[A-Z0-9]+")


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def is_stop(text: str) -> bool:
    """'STOP', 'stop merci', 'ARRÊT', 'Stop SMS !' are; 'nonstop' and 'stopover' are not."""
    return any(word in STOP_WORDS for word in WORD.findall(_folded(text)))


def add(conn: sqlite3.Connection, phone_hash: str, at: datetime, source: str, channel: str,
        campaign_id: str | None = None) -> bool:
    """True when the number was not suppressed yet."""
    with transaction(conn):
        return conn.execute(
            "INSERT OR IGNORE INTO optouts (phone_hash, at, source, channel, campaign_id) "
            "VALUES (?, ?, ?, ?, ?)", (phone_hash, iso(at), source, channel, campaign_id)
        ).rowcount == 1


def remove(conn: sqlite3.Connection, phone_hash: str) -> bool:
    with transaction(conn):
        return conn.execute("DELETE FROM optouts WHERE phone_hash = ?",
                            (phone_hash,)).rowcount == 1


def last_campaign(conn: sqlite3.Connection, phone_hash: str) -> str | None:
    """The campaign of the latest message sent to the number: what a STOP answers."""
    row = conn.execute("SELECT campaign_id FROM messages WHERE phone_hash = ? AND test = 0 "
                       "AND sent_at IS NOT NULL ORDER BY sent_at DESC LIMIT 1",
                       (phone_hash,)).fetchone()
    return str(row[0]) if row else None
