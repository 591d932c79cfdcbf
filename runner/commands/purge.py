"""`smsops purge [--at T] [--dry-run]`: apply the retention periods of smsops.yaml `retention:`."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import click

from runner.audience import contacts_db
from runner.i18n import _
from runner.project import load_project
from runner.purge import Purged, purge
from runner.store import open_store
from runner.timeparse import parse_datetime


def _edits(purged: Purged) -> list[str]:
    lines: dict[str, list[str]] = defaultdict(list)
    for place in purged.files_to_edit:
        list_id, line = place.split(", line ")
        lines[list_id].append(line)
    return [_("remove them from the contacts file of {list} too (lines {lines}): the next import "
              "of a changed file would bring them back").format(
        list=list_id, lines=", ".join(found[:10]) + (", ..." if len(found) > 10 else ""))
        for list_id, found in lines.items()]


@click.command("purge")
@click.option("--at", metavar="T", help="Stand-in for now (ISO 8601).")
@click.option("--dry-run", is_flag=True, help="Count what would be purged; change nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_obj
def purge_command(root: Path, at: str | None, dry_run: bool, fmt: str) -> None:
    """Apply the retention periods (compliance.md §1.7): anonymise old messages and clicks, clear
    provider payloads, drop old contacts and reports. The suppression list is kept."""
    project = load_project(root)
    settings = project.settings
    try:
        now = parse_datetime(at, settings.zone) if at else datetime.now(settings.zone)
    except ValueError:
        raise click.BadParameter(_("use ISO 8601, e.g. 2027-01-09T10:00+01:00"),
                                 param_hint="--at") from None
    results, contacts = root / settings.database, root / settings.contacts_database
    open_store(results).conn.close()  # the schema, migrated
    contacts_db.connect(contacts).close()
    simulator = root / str(settings.providers.get("simulator", {}).get("outbox", "simulator.db"))
    purged = purge(now, settings, results=results, contacts=contacts, root=root,
                   simulator=simulator, dry_run=dry_run)
    if fmt == "json":
        click.echo(json.dumps({"at": now.isoformat(), "dry_run": dry_run, "purged": purged.counts},
                              ensure_ascii=False))
        return
    for what, count in purged.counts.items():
        click.echo(f"{what}: {count}")
    for line in _edits(purged):
        click.echo(line)
    click.echo(_("dry run: nothing was changed") if dry_run else
               _("the suppression list is kept, as compliance requires"))
