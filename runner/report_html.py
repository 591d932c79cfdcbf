"""`smsops report --format html`: one self-contained file (inline CSS and SVG charts, no script,
no link to fetch) that a CCI adviser can open from an e-mail, offline."""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from runner import charts
from runner.analytics import report_lines
from runner.i18n import _

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; color: #1c2430; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0; } .when { color: #5b6675; margin-top: .2em; }
table { border-collapse: collapse; margin: 1em 0 2em; } th, td { padding: .3em .9em; text-align: left;
       border-bottom: 1px solid #dde3ea; } th { font-weight: 600; color: #3a4656; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5em; } .charts figure { margin: 0; }
"""


def render(conn: sqlite3.Connection, rows: list[dict[str, Any]], *, title: str,
           campaign: str | Sequence[str] | None, now: datetime) -> str:
    """campaign: the one, or the several, whose charts are drawn; None or none for all."""
    parts = [f"<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">"
             f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             f"<p class=\"when\">{html.escape(_('Generated {at:%Y-%m-%d %H:%M}').format(at=now))}</p>"]
    if not rows:
        parts.append(f"<p>{html.escape(_('nothing sent yet'))}</p>")
    for row in rows:
        parts.append(f"<h2>{html.escape(row['campaign_id'])} "
                     f"<small>({html.escape(row['objective'] or '-')})</small></h2><table>")
        parts += [f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
                  for label, value in report_lines(row)]
        parts.append("</table>")
    parts.append("<div class=\"charts\">")
    for name in charts.CHARTS:
        spec = charts.chart_spec(name, charts.chart_rows(conn, name, campaign))
        svg = charts.render(spec, "svg").decode("utf-8")
        parts.append(f"<figure>{svg}</figure>")
    parts.append("</div></body></html>")
    return "\n".join(parts)
