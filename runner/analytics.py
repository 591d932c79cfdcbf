"""The five KPIs of the CCI sheet (and opt-outs, revenue), per campaign: `smsops report`."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from runner.i18n import _


def kpis(conn: sqlite3.Connection, campaign_ids: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    where = f" WHERE campaign_id IN ({','.join('?' * len(campaign_ids))})" if campaign_ids else ""
    cursor = conn.execute(f"SELECT * FROM campaign_kpis{where} ORDER BY campaign_id", campaign_ids)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} s"


def report_lines(row: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (_("messages"), _("{sent} sent, {delivered} delivered, {failed} failed, {in_doubt} in "
                          "doubt, {expired} expired").format(**row)),
        (_("deliverability"), _rate(row["deliverability_rate"])),
        (_("delivery speed"), _("median {median}, p90 {p90}").format(
            median=_seconds(row["delivery_seconds_median"]),
            p90=_seconds(row["delivery_seconds_p90"]))),
        (_("click rate"), _("{rate} ({n} unique clickers)").format(
            rate=_rate(row["click_rate"]), n=row["unique_clickers"])),
        (_("conversion rate"), _("{rate} ({n} conversions, {revenue:.2f} €)").format(
            rate=_rate(row["conversion_rate"]), n=row["conversions"],
            revenue=row["revenue_eur"])),
        (_("bounce rate (NPAI)"), _rate(row["bounce_rate"])),
        (_("opt-out rate"), _("{rate} ({n} STOP)").format(rate=_rate(row["optout_rate"]),
                                                          n=row["optouts"])),
        (_("SMS parts, cost"), f"{row['sms_parts']}, {row['cost_eur']:.2f} €"),
    ]


def to_text(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return _("nothing sent yet")
    out = []
    for row in rows:
        out.append(f"{row['campaign_id']} ({row['objective'] or '-'})")
        out += [f"  {label:<20} {value}" for label, value in report_lines(row)]
    return "\n".join(out)


def to_markdown(rows: list[dict[str, Any]]) -> str:
    out = [_("### smsops report")]
    for row in rows:
        out += ["", f"#### `{row['campaign_id']}`", "", "| | |", "|---|---|"]
        out += [f"| {label} | {value} |" for label, value in report_lines(row)]
    return "\n".join(out)


def to_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps({"campaigns": rows}, ensure_ascii=False, indent=2)


RENDERERS = {"text": to_text, "markdown": to_markdown, "json": to_json}
