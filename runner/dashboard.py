"""The dashboard's charts, defined once in `runner/datasette/metadata.yml`: served by
datasette-dashboards in the browser, and rendered here to SVG or PNG with vl-convert (no browser,
no network) for the static HTML report, `report --chart` and the server-side chart route."""

from __future__ import annotations

import re
import sqlite3
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

METADATA = Path(__file__).parent / "datasette" / "metadata.yml"
_FILTER = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)


@cache
def described() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    return loaded


def charts() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = described()["dashboards"]["results"]["charts"]
    return found


def rows(conn: sqlite3.Connection, name: str, campaign: str | None = None) -> list[dict[str, Any]]:
    """The chart's rows, for one campaign or all (the dashboard's `[[ ... ]]` filter syntax)."""
    sql = _FILTER.sub(lambda found: found[1] if campaign else "", charts()[name]["query"])
    cursor = conn.execute(sql, {"campaign": campaign} if campaign else {})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def vega_lite(name: str, data: list[dict[str, Any]], width: int = 360) -> dict[str, Any]:
    chart = charts()[name]
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "title": chart["title"],
            "data": {"values": data}, "width": width, "height": 200, **chart["display"]}
    if "column" in spec.get("encoding", {}):
        spec["width"] = max(60, width // max(1, len({row.get("campaign") for row in data})))
    return spec


def vega_charts() -> list[str]:
    return [name for name, chart in charts().items() if chart["library"] == "vega-lite"]


def metrics() -> list[str]:
    return [name for name, chart in charts().items() if chart["library"] == "metric"]


def render(spec: dict[str, Any], fmt: Literal["svg", "png"]) -> bytes:
    import vl_convert

    if fmt == "svg":
        return str(vl_convert.vegalite_to_svg(spec)).encode("utf-8")
    return bytes(vl_convert.vegalite_to_png(spec, scale=2))


def all_charts(conn: sqlite3.Connection, campaign: str | None) -> dict[str, Any]:
    """Every chart of the dashboard stacked in one Vega-Lite spec (`report --chart`)."""
    specs = [vega_lite(name, rows(conn, name, campaign)) for name in vega_charts()]
    for spec in specs:
        spec.pop("$schema")
    return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json",
            "title": "smsops" + (f": {campaign}" if campaign else ""), "vconcat": specs}
