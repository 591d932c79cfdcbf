"""Short-link clicks: the redirect to the campaign's landing page with UTM tags, and a click
counted only when a person opened it (a GET from a browser, not a link-preview robot)."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime

from runner.personalize import TOKEN_ALPHABET, TOKEN_LENGTH, with_utm
from runner.store import iso, transaction

TOKEN = re.compile(f"[{re.escape(TOKEN_ALPHABET)}]{{{TOKEN_LENGTH}}}")
# Messaging apps fetch a link to draw its preview card before anyone taps it; so do mail and
# antivirus scanners. None of them is a person clicking.
ROBOTS = re.compile(
    r"bot\b|bot/|crawl|spider|preview|facebookexternalhit|facebot|whatsapp|telegram|slack|"
    r"discord|skypeuri|embedly|pinterest|vkshare|google-(?:safety|structured)|bingpreview|"
    r"headless|curl/|wget/|python-|httpx/|go-http|okhttp|java/|libwww|scanner", re.IGNORECASE)


SIMULATED_AGENT = "smsops simulator"


def is_robot(user_agent: str) -> bool:
    return not user_agent.strip() or bool(ROBOTS.search(user_agent))


def follow(conn: sqlite3.Connection, token: str, *, method: str, user_agent: str,
           now: datetime) -> str | None:
    """Where the token leads (None when it leads nowhere); counts the click of a person."""
    if not TOKEN.fullmatch(token):
        return None
    row = conn.execute("SELECT messages.id, messages.campaign_id, messages.test, campaigns.link "
                       "FROM messages JOIN campaigns ON campaigns.id = messages.campaign_id "
                       "WHERE messages.link_token = ?", (token,)).fetchone()
    if row is None or not row[3]:
        return None
    message, campaign, test, link = row
    if method == "GET" and not test and not is_robot(user_agent):
        with transaction(conn):
            conn.execute("INSERT INTO clicks (message_id, campaign_id, at, user_agent) "
                         "VALUES (?, ?, ?, ?)", (message, campaign, iso(now), user_agent[:300]))
    return with_utm(str(link), str(campaign))


def record_simulated(conn: sqlite3.Connection, reference: str, at: datetime) -> bool:
    """A click the simulator draws for a demo recipient, recorded once however often it syncs."""
    with transaction(conn):
        return conn.execute(
            "INSERT INTO clicks (message_id, campaign_id, at, user_agent) "
            "SELECT id, campaign_id, ?, ? FROM messages WHERE id = ? AND NOT test "
            "AND link_token IS NOT NULL AND NOT EXISTS (SELECT 1 FROM clicks WHERE message_id = ?)",
            (iso(at), SIMULATED_AGENT, reference, reference)).rowcount > 0
