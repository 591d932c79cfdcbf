"""`smsops conversions import FILE`: an order export -> conversions, with the unmatched codes."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

import click

from runner.conversions import ImportResult, import_orders
from runner.i18n import _
from runner.order_presets import PRESETS
from runner.order_reader import read_orders
from runner.project import load_project
from runner.purge import retention_days
from runner.store import open_store
from runner.timeparse import parse_datetime


@click.group("conversions")
def conversions_group() -> None:
    """Sales that used a campaign's promo code: the conversion rate and revenue of the report."""


def _json(result: ImportResult) -> str:
    data = {key: value for key, value in asdict(result).items() if key != "unmatched"}
    data["unmatched"] = sum(result.unmatched.values())
    data["unmatched_codes"] = [{"code": code, "count": count, "reason": reason}
                               for (code, reason), count in sorted(result.unmatched.items())]
    return json.dumps(data, ensure_ascii=False)


def _text(result: ImportResult) -> str:
    lines = [_("{file} ({preset}): {rows} rows, {orders} orders with a code, {without} without; "
               "{added} conversions added, {known} already known, {unmatched} codes unmatched").format(
        file=result.file, preset=result.preset, rows=result.rows, orders=result.orders,
        without=result.without_code, added=result.added, known=result.known,
        unmatched=sum(result.unmatched.values()))]
    lines += [f"  {code}  x{count}  {reason}" for (code, reason), count in sorted(result.unmatched.items())]
    return "\n".join(lines)


@conversions_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--preset", type=click.Choice(list(PRESETS)),
              help="Export format; detected from the header when omitted.")
@click.option("--attribution-days", type=click.IntRange(0, 365),
              help="Days after a send during which an order counts (default: smsops.yaml, else 7).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--at", metavar="T", help="Stand-in for now (ISO 8601).")
@click.pass_obj
def conversions_import(root: Path, file: Path, preset: str | None, attribution_days: int | None,
                       fmt: str, at: str | None) -> None:
    """Import orders (Shopify, WooCommerce, PrestaShop or code,date,amount CSV): each order with a
    campaign's promo code within the attribution window becomes a conversion. Safe to re-run."""
    project = load_project(root)
    zone = project.settings.zone
    try:
        now = parse_datetime(at, zone) if at else datetime.now(zone)
    except ValueError:
        raise click.BadParameter(_("use ISO 8601, e.g. 2027-01-09T10:00+01:00"),
                                 param_hint="--at") from None
    read = read_orders(file, preset, zone, str(file))
    days = attribution_days if attribution_days is not None else project.settings.attribution_days
    oldest = now - timedelta(days=retention_days(project.settings, "conversions_days"))
    result = ImportResult(file.name, read.preset, read.rows, len(read.orders), read.without_code)
    conn = open_store(project.root / project.settings.database).conn
    import_orders(conn, project, read.orders, result, now=now, days=days, oldest=oldest)
    click.echo(_json(result) if fmt == "json" else _text(result))
