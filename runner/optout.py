"""STOP replies and the suppression list: one list across providers, keyed by phone hash."""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from datetime import datetime

from runner.store import iso, transaction

# How a person asks to stop marketing SMS (compliance.md §1.3), compared without case, accents
# or punctuation (docs/cli.md "STOP replies"). Missing one would be unlawful, an extra one only
# costs a customer, so the rule errs towards opt-out, but not against plain French:
# - an opt-out word anywhere, standing as a word: STOP (also glued to a short code, STOP36111),
#   STOPALL, STOPSMS, STOPPER (the French verb), UNSUBSCRIBE, désabonner, désinscrire...;
# - the verb arrêter (ARRET, ARRÊTE, arrêtez...) only as the first word: elsewhere it is everyday
#   French ("ouvert sans arrêt", "l'arrêt de bus");
# - never inside a longer word (nonstop, stopover) or a hyphenated compound (non-stop);
#   a trailing pronoun is not a compound: "désabonnez-moi", "arrêtez-nous".
OPT_OUT_WORDS = re.compile(
    r"STOP\d*|STOPALL|STOPSMS|STOPP(?:ER|EZ)|UNSUBSCRIBE|"
    r"DES(?:ABONNE|INSCRI)[A-Z]*")
FIRST_WORD_ONLY = re.compile(r"ARRET(?:E|ER|EZ)?")
WORD = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
PRONOUNS = frozenset({"MOI", "NOUS", "LES", "LE", "LA"})


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _words(text: str) -> list[str]:
    """Words, a hyphenated compound as one ("NON-STOP"), a trailing pronoun dropped."""
    words = []
    for word in WORD.findall(_folded(text)):
        head, *rest = word.split("-")
        words.append(head if rest and all(part in PRONOUNS for part in rest) else word)
    return words


def is_stop(text: str) -> bool:
    """'STOP', 'stop merci', 'ARRÊT', 'Arrête de m'envoyer des sms' are; 'nonstop', 'non-stop',
    'sans arrêt' are not."""
    words = _words(text)
    if words and FIRST_WORD_ONLY.fullmatch(words[0]):
        return True
    return any(OPT_OUT_WORDS.fullmatch(word) for word in words)


def add(conn: sqlite3.Connection, phone_hash: str, at: datetime, source: str, channel: str,
        campaign_id: str | None = None) -> bool:
    """True when the number was not suppressed yet. A STOP reply for a number already suppressed
    without a campaign (from a provider's list) gives it the campaign it answered."""
    with transaction(conn):
        if conn.execute("INSERT OR IGNORE INTO optouts (phone_hash, at, source, channel, "
                        "campaign_id) VALUES (?, ?, ?, ?, ?)",
                        (phone_hash, iso(at), source, channel, campaign_id)).rowcount == 1:
            return True
        if campaign_id is not None:
            conn.execute("UPDATE optouts SET campaign_id = ?, source = ?, channel = ? "
                         "WHERE phone_hash = ? AND campaign_id IS NULL",
                         (campaign_id, source, channel, phone_hash))
        return False


def remove(conn: sqlite3.Connection, phone_hash: str) -> bool:
    with transaction(conn):
        return conn.execute("DELETE FROM optouts WHERE phone_hash = ?",
                            (phone_hash,)).rowcount == 1


def last_message(conn: sqlite3.Connection, phone_hash: str) -> tuple[str, str] | None:
    """The latest message sent to the number (id, campaign): what a STOP answers."""
    row = conn.execute("SELECT id, campaign_id FROM messages WHERE phone_hash = ? AND test = 0 "
                       "AND sent_at IS NOT NULL ORDER BY sent_at DESC LIMIT 1",
                       (phone_hash,)).fetchone()
    return (str(row[0]), str(row[1])) if row else None
