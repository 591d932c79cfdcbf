"""The results charts, defined once in the dashboard of `runner/datasette/metadata.yml` (title,
SQL that aggregates, Vega-Lite mark and encoding): datasette-dashboards draws them in the browser,
and this module draws the same ones offline with vl-convert (no browser, no network) for
`smsops report --chart`, the HTML report and the server-side chart route. Rows are inlined into
the spec at render time; a chart without rows still renders and says so (its "no data" layer)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from runner.diagnostics import Diagnostic, Location, SmsopsError
from runner.i18n import _

METADATA = Path(__file__).parent / "datasette" / "metadata.yml"
Format = Literal["svg", "png"]
FORMATS: dict[str, Format] = {".svg": "svg", ".png": "png"}
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
NO_DATA = "no-data"  # the name of the layer that says so
_FILTER = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)


@cache
def described() -> dict[str, Any]:
    """metadata.yml as written (callers that change it take a copy)."""
    loaded: dict[str, Any] = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class Chart:
    title: str
    sql: str  # `[[ AND campaign_id = :campaign ]]` applies only when one campaign is asked for
    display: dict[str, Any]  # Vega-Lite mark and encoding


CHARTS: dict[str, Chart] = {
    name: Chart(chart["title"], chart["query"], chart["display"])
    for name, chart in described()["dashboards"]["results"]["charts"].items()
    if chart["library"] == "vega-lite"}


def _ids(campaigns: str | Sequence[str] | None) -> list[str]:
    return [campaigns] if isinstance(campaigns, str) else list(campaigns or ())


def chart_rows(conn: sqlite3.Connection, name: str,
               campaigns: str | Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The chart's rows for one campaign, several, or all (None or none given): the dashboard's
    `[[ AND campaign_id = :campaign ]]` filter, widened to a list."""
    ids = _ids(campaigns)
    sql = _FILTER.sub(lambda found: found[1].replace(
        "= :campaign", "IN (SELECT value FROM json_each(:campaign))") if ids else "", CHARTS[name].sql)
    cursor = conn.execute(sql, {"campaign": json.dumps(ids)} if ids else {})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def chart_spec(name: str, rows: list[dict[str, Any]], width: int = 360) -> dict[str, Any]:
    """The dashboard's spec with the rows inlined. Its "no data" layer finds out in the browser;
    here the rows are known, so it is kept (and translated) only when there are none."""
    chart, height = CHARTS[name], 200
    note = {"mark": {"text": _("no data")},  # centred by hand: `height` is unknown in a vconcat
            "encoding": {"y": {"value": height / 2}}}
    layers = [_merged(layer, note) if layer.get("name") == NO_DATA else layer
              for layer in chart.display["layer"] if not rows or layer.get("name") != NO_DATA]
    return {**chart.display, "layer": layers, "$schema": SCHEMA, "title": chart.title,
            "data": {"values": rows}, "width": width, "height": height}


def _merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    return {**base, **{key: {**base[key], **value} for key, value in changes.items()}}


def render(spec: dict[str, Any], fmt: Format) -> bytes:
    import vl_convert  # 84 MB of Deno and Vega: loaded only when a chart is drawn

    if fmt == "svg":
        return str(vl_convert.vegalite_to_svg(spec)).encode("utf-8")
    return bytes(vl_convert.vegalite_to_png(spec, scale=2))


def stacked(conn: sqlite3.Connection, campaigns: str | Sequence[str] | None) -> dict[str, Any]:
    """Every chart, one under the other, in one Vega-Lite spec."""
    ids = _ids(campaigns)
    specs = [chart_spec(name, chart_rows(conn, name, ids)) for name in CHARTS]
    return {"$schema": SCHEMA, "title": "smsops" + (f": {', '.join(ids)}" if ids else ""),
            "resolve": {"scale": {"color": "independent", "xOffset": "independent"}},
            "vconcat": [_in_concat(spec, n) for n, spec in enumerate(specs)]}


def _in_concat(spec: dict[str, Any], n: int) -> dict[str, Any]:
    """The n-th view of a vconcat: Vega-Lite renames its scale `y` to `concat_<n>_y`, which the
    count axes' expressions must then name."""
    text = json.dumps({key: value for key, value in spec.items() if key != "$schema"})
    renamed: dict[str, Any] = json.loads(text.replace("domain('y')", f"domain('concat_{n}_y')"))
    return renamed


def render_all(conn: sqlite3.Connection, campaigns: str | Sequence[str] | None, fmt: Format) -> bytes:
    return render(stacked(conn, campaigns), fmt)


def format_of(path: Path) -> Format:
    """The file's extension decides: .svg or .png, anything else is refused before any work."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SmsopsError(Diagnostic.at(Location(str(path)), "chart", _(
            "--chart writes .svg or .png files, not {suffix!r}: name the file report.svg or "
            "report.png").format(suffix=path.suffix or path.name)))
    return fmt
