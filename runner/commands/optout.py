"""`smsops optout add|remove|list|import` and `smsops forget NUMBER`."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import click

from runner import optout
from runner.audience import contacts_db
from runner.audience.reader import ReadError, open_rows
from runner.forget import forget
from runner.i18n import _
from runner.phones import InvalidPhone, MissingHashKey, Phone, hash_key, parse_phone, phone_hash
from runner.project import Project, load_project
from runner.stop_lists import FORMATS, UnknownExport, stop_columns
from runner.store import iso, open_store, transaction


def _key(project: Project) -> str:
    try:
        return hash_key(os.environ, demo=project.settings.provider == "simulator")
    except MissingHashKey as err:
        raise click.UsageError(str(err)) from None


class Refused(click.ClickException):
    """A user error of these commands: one line, exit 2."""

    exit_code = 2


def _phone(number: str) -> Phone:
    try:
        return parse_phone(number, allow_fictional=True)  # suppressing a number never harms
    except InvalidPhone as err:
        raise Refused(_("{number}: {reason}; write it as 06 39 98 00 01 or +33639980001").format(
            number=number, reason=err.reason)) from None


@click.group("optout")
def optout_group() -> None:
    """The suppression list: one list for every provider, keyed by phone hash."""


@optout_group.command("add")
@click.argument("numbers", nargs=-1, required=True)
@click.option("--source", default="manual", show_default=True)
@click.pass_obj
def optout_add(root: Path, numbers: tuple[str, ...], source: str) -> None:
    """Suppress numbers at once (a STOP by phone call, letter, e-mail...)."""
    project = load_project(root)
    conn, key = open_store(project.root / project.settings.database).conn, _key(project)
    for number in numbers:
        added = optout.add(conn, phone_hash(_phone(number).e164, key), datetime.now().astimezone(),
                           source, "manual")
        click.echo((_("{number}: suppressed") if added else _("{number}: already suppressed"))
                   .format(number=number))


@optout_group.command("remove")
@click.argument("number")
@click.option("--consent-evidence", required=True, metavar="TEXT",
              help="Where and when the person gave new consent (kept in the private database).")
@click.pass_obj
def optout_remove(root: Path, number: str, consent_evidence: str) -> None:
    """Take a number off the suppression list; only with new consent evidence."""
    if not consent_evidence.strip():
        raise Refused(_("--consent-evidence is empty: say where and when the person gave new "
                        "consent, e.g. 'store:Nantes-paper-form-v3 2027-02-01'"))
    project = load_project(root)
    conn, key = open_store(project.root / project.settings.database).conn, _key(project)
    hashed = phone_hash(_phone(number).e164, key)
    if not optout.remove(conn, hashed):
        raise click.UsageError(_("this number is not on the suppression list"))
    private = contacts_db.connect(project.root / project.settings.contacts_database)
    with transaction(private):
        private.execute("CREATE TABLE IF NOT EXISTS resubscriptions (phone_hash TEXT, at TEXT, "
                        "evidence TEXT)")
        private.execute("INSERT INTO resubscriptions VALUES (?, ?, ?)",
                        (hashed, iso(datetime.now().astimezone()), consent_evidence))
    click.echo(_("removed from the suppression list; the consent evidence is kept privately"))


@optout_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
def optout_list(root: Path, fmt: str) -> None:
    """The suppression list (hashes only: it holds no number)."""
    project = load_project(root)
    conn = open_store(project.root / project.settings.database).conn
    rows = [dict(zip(("phone_hash", "at", "source", "channel", "campaign_id"), row, strict=True))
            for row in conn.execute("SELECT phone_hash, at, source, channel, campaign_id "
                                    "FROM optouts ORDER BY at")]
    if fmt == "json":
        click.echo(json.dumps({"optouts": rows}, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['phone_hash'][:12]}  {row['at']}  {row['source']}  "
                   f"{row['campaign_id'] or '-'}")
    click.echo(_("{count} suppressed").format(count=len(rows)))


@optout_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="The provider's export; detected from the header when omitted.")
@click.option("--source", default="import", show_default=True,
              help="Where the list comes from, e.g. brevo, ovh.")
@click.pass_obj
def optout_import(root: Path, file: Path, fmt: str | None, source: str) -> None:
    """Import a provider's STOP list (CSV, TXT or XLSX): Brevo's export of blacklisted contacts,
    OVH's or AllMySMS's blacklist, or any list with a phone column."""
    project = load_project(root)
    conn, key = open_store(project.root / project.settings.database).conn, _key(project)
    added = invalid = skipped = 0
    try:
        with open_rows(file) as rows:
            try:
                cols = stop_columns(fmt, rows.header)
            except UnknownExport as err:
                raise Refused(f"{file.name}:1: {err}") from None
            for line, cells in rows:
                row = dict(zip(rows.header, cells, strict=False))
                if not cols.is_opt_out(row):
                    skipped += 1
                    continue
                try:
                    phone = parse_phone(row.get(cols.phone, ""), allow_fictional=True)
                except InvalidPhone as err:
                    invalid += 1
                    click.echo(f"{file.name}:{line}: {err.reason}", err=True)
                    continue
                added += optout.add(conn, phone_hash(phone.e164, key),
                                    datetime.now().astimezone(), source, "provider-list")
    except ReadError as err:
        raise Refused(f"{file.name}:{err.line}: {err}") from None
    click.echo(_("{added} numbers added to the suppression list, {invalid} invalid").format(
        added=added, invalid=invalid) + (_(", {skipped} rows not blacklisted ({format})").format(
            skipped=skipped, format=cols.format) if cols.flag else ""))


@click.command("forget")
@click.argument("number")
@click.pass_obj
def forget_command(root: Path, number: str) -> None:
    """Erase one person (GDPR art. 17): contacts, identifying logs; the hash stays suppressed."""
    project = load_project(root)
    phone = _phone(number)
    settings = project.settings
    simulator = project.root / str(settings.providers.get("simulator", {}).get("outbox",
                                                                                "simulator.db"))
    results, contacts = project.root / settings.database, project.root / settings.contacts_database
    contacts_db.connect(contacts).close()  # the schema, even before any import
    erased = forget(phone, phone_hash(phone.e164, _key(project)), datetime.now().astimezone(),
                    results=results, contacts=contacts, root=project.root, simulator=simulator)
    click.echo(_("erased: {contacts} contact rows, {messages} messages anonymised, {events} "
                 "provider payloads cleared, {calls} webhook calls deleted, {sim} simulator "
                 "records, {rejected} rejected-row lines; the keyed hash stays on the suppression "
                 "list").format(
        contacts=erased.contacts_rows, messages=erased.messages_anonymised,
        events=erased.events_cleared, calls=erased.webhook_calls, sim=erased.simulator_rows,
        rejected=erased.rejected_rows))
    if not erased.found:
        click.echo(_("warning: nothing was found under {number} ({e164}); check the number. It is "
                     "suppressed anyway").format(number=number, e164=phone.e164), err=True)
    for place in erased.files_to_edit:
        click.echo(_("remove the person from the contacts file too ({place}): the next import "
                     "would bring the row back (still suppressed)").format(place=place))
