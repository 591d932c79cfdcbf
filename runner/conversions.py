"""`smsops conversions import FILE`: orders that used a promo code -> conversions.

A unique code (`messages.promo_code`) converts for its message; a campaign's fixed code for the
campaign (message_id NULL), from the first send of the occurrence before the order. Either way
the order must fall within `attribution_days` of that send; test sends never convert. An order
carrying several of our codes converts once per code, its amount counted on the first only.
Idempotent through the unique index (code, order_id); everything in one transaction."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from runner.i18n import _
from runner.order_reader import Order
from runner.project import Project
from runner.store import iso, transaction


@dataclass
class ImportResult:
    file: str
    preset: str
    rows: int
    orders: int
    without_code: int
    added: int = 0
    known: int = 0
    unmatched: Counter[tuple[str, str]] = field(default_factory=Counter)  # (code, reason) -> uses


@dataclass(frozen=True)
class Match:
    campaign_id: str
    message_id: str | None


def fixed_codes(project: Project) -> dict[str, list[str]]:
    codes: dict[str, list[str]] = {}
    for campaign in project.campaigns.values():
        if campaign.promo_code and campaign.promo_code.code:
            codes.setdefault(campaign.promo_code.code.strip().upper(), []).append(campaign.id)
    return codes


def _outside(order_at: datetime, sent_at: datetime, days: int) -> str | None:
    if order_at < sent_at:
        return _("order placed before the message was sent")
    if order_at > sent_at + timedelta(days=days):
        return _("order placed more than {days} days after the message").format(days=days)
    return None


def _unique(conn: sqlite3.Connection, code: str, at: datetime, days: int) -> Match | str | None:
    row = conn.execute("SELECT id, campaign_id, sent_at, test FROM messages WHERE promo_code = ?",
                       (code,)).fetchone()
    if row is None:
        return None
    if row[3]:
        return _("code of a test send")
    if row[2] is None:
        return _("its message was never sent")
    return _outside(at, datetime.fromisoformat(row[2]), days) or Match(row[1], row[0])


def _fixed(conn: sqlite3.Connection, campaigns: list[str], at: datetime, days: int) -> Match | str:
    marks = ", ".join("?" for _c in campaigns)
    firsts = [(datetime.fromisoformat(first), campaign) for campaign, first in conn.execute(
        f"SELECT campaign_id, MIN(sent_at) FROM messages WHERE campaign_id IN ({marks}) AND test = 0 "
        "AND sent_at IS NOT NULL GROUP BY campaign_id, occurrence", campaigns)]
    if not firsts:
        return _("campaign {id} was never sent").format(id=campaigns[0])
    before = [(first, campaign) for first, campaign in firsts if first <= at]
    if not before:
        return _("order placed before the campaign was sent")
    first, campaign = max(before)
    return _outside(at, first, days) or Match(campaign, None)


def match(conn: sqlite3.Connection, fixed: Mapping[str, list[str]], code: str, at: datetime,
          days: int) -> Match | str:
    """The conversion a code makes, or why it makes none."""
    found = _unique(conn, code, at, days)
    if found is not None:
        return found
    if code in fixed:
        return _fixed(conn, fixed[code], at, days)
    return _("unknown code: no campaign or message has it")


def import_orders(conn: sqlite3.Connection, project: Project, orders: list[Order],
                  result: ImportResult, *, now: datetime, days: int,
                  oldest: datetime) -> ImportResult:
    fixed = fixed_codes(project)
    with transaction(conn):
        for order in orders:
            amount = order.amount
            for code in dict.fromkeys(c.strip().upper() for c in order.codes):
                found = (_("older than the retention period of conversions") if order.at < oldest
                         else match(conn, fixed, code, order.at, days))
                if isinstance(found, str):
                    result.unmatched[(code, found)] += 1
                    continue
                added = conn.execute(
                    "INSERT OR IGNORE INTO conversions (campaign_id, message_id, code, at, "
                    "amount_eur, order_id, source, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (found.campaign_id, found.message_id, code, iso(order.at), amount,
                     order.order_id, result.preset, iso(now))).rowcount
                result.added, result.known = result.added + added, result.known + 1 - added
                amount = 0.0 if amount is not None else None  # revenue counted once per order
    return result
