"""The results charts as files: `smsops report --chart FILE.svg|png`, the Datasette chart route
and the HTML report, drawn offline with vl-convert (no browser, no network).

Each chart is defined once, in the dashboard of `runner/datasette/metadata.yml` (title, SQL that
aggregates, Vega-Lite mark and encoding), so the browser dashboard draws the same charts. Rows
are inlined into the spec at render time; a chart without rows still renders and says so."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from runner import dashboard
from runner.diagnostics import Diagnostic, Location, SmsopsError
from runner.i18n import _

Format = Literal["svg", "png"]
FORMATS: dict[str, Format] = {".svg": "svg", ".png": "png"}
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


@dataclass(frozen=True)
class Chart:
    title: str
    sql: str  # `[[ AND campaign_id = :campaign ]]` applies only when one campaign is asked for
    display: dict[str, Any]  # Vega-Lite mark and encoding


CHARTS: dict[str, Chart] = {
    name: Chart(chart["title"], chart["query"], chart["display"])
    for name, chart in dashboard.charts().items() if chart["library"] == "vega-lite"}


def chart_rows(conn: sqlite3.Connection, name: str,
               campaign_id: str | None = None) -> list[dict[str, Any]]:
    return dashboard.rows(conn, name, campaign_id)


def chart_spec(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    if rows:
        return dashboard.vega_lite(name, rows)
    return {"$schema": SCHEMA, "title": CHARTS[name].title, "width": 360, "height": 200,
            "data": {"values": [{"note": _("no data")}]},
            "mark": {"type": "text", "fontSize": 14, "color": "gray"},
            "encoding": {"text": {"field": "note", "type": "nominal"}}}


def render(spec: dict[str, Any], fmt: Format) -> bytes:
    return dashboard.render(spec, fmt)


def stacked(conn: sqlite3.Connection, campaign_id: str | None) -> dict[str, Any]:
    """Every chart, one under the other, in one Vega-Lite spec."""
    specs = [chart_spec(name, chart_rows(conn, name, campaign_id)) for name in CHARTS]
    return {"$schema": SCHEMA, "title": "smsops" + (f": {campaign_id}" if campaign_id else ""),
            "vconcat": [{key: value for key, value in spec.items() if key != "$schema"}
                        for spec in specs]}


def render_all(conn: sqlite3.Connection, campaign_id: str | None, fmt: Format) -> bytes:
    return render(stacked(conn, campaign_id), fmt)


def format_of(path: Path) -> Format:
    """The file's extension decides: .svg or .png, anything else is refused before any work."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SmsopsError(Diagnostic.at(Location(str(path)), "chart", _(
            "--chart writes .svg or .png files, not {suffix!r}: name the file report.svg or "
            "report.png").format(suffix=path.suffix or path.name)))
    return fmt
