"""The `smsops` command line: options in, one library call, output out, exit code."""

from __future__ import annotations

import asyncio
import difflib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click

from runner.analytics import RENDERERS as REPORT_RENDERERS
from runner.analytics import kpis
from runner.audience import contacts_db
from runner.audience.importer import import_list
from runner.audience.report import import_summary, rejected_lines
from runner.commands.conversions import conversions_group
from runner.commands.optout import forget_command, optout_group
from runner.commands.providers import providers_group
from runner.commands.purge import purge_command
from runner.commands.state import state
from runner.diagnostics import RENDERERS, Diagnostic, Location, SmsopsError, has_errors
from runner.dispatch import Outcome
from runner.i18n import _
from runner.overview import overview
from runner.phones import DEMO_HASH_KEY, HASH_KEY_ENV, InvalidPhone, MissingHashKey, hash_key, parse_phone
from runner.plan import Planner
from runner.plan_output import RENDERERS as PLAN_RENDERERS
from runner.project import Project, load_project
from runner.providers import make_provider
from runner.providers.base import WEBHOOK_TOKEN_ENV, SendError
from runner.run import Options, run_campaigns, send_tests
from runner.store import open_store
from runner.sync import SyncReport, sync
from runner.timeparse import parse_datetime
from runner.validate import validate as run_validate
from runner.window import refusal

T = TypeVar("T")


class Group(click.Group):
    """The only place errors become text: one line each, exit 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SmsopsError as err:
            click.echo(RENDERERS["text"](err.diagnostics), err=True)
            ctx.exit(2)
        except OSError as err:
            click.echo(_("error: {file}: {reason}").format(
                file=err.filename or "", reason=err.strerror or err), err=True)
            ctx.exit(2)


def _now(at: str | None, zone: ZoneInfo) -> datetime:
    if at is None:
        return datetime.now(zone)
    try:
        return parse_datetime(at, zone).astimezone(zone)
    except ValueError:
        raise click.BadParameter(_("use ISO 8601, e.g. 2027-01-09T10:00+01:00"),
                                 param_hint="--at") from None


def _git_changed(root: Path, ref: str) -> list[str]:
    result = subprocess.run(["git", "diff", "--name-only", "--merge-base", ref],
                            cwd=root, capture_output=True, text=True)
    if result.returncode:
        raise SmsopsError(Diagnostic.at(Location("."), "schema", _(
            "git cannot compare with '{ref}' ({reason}); fetch it first, e.g. "
            "git fetch origin main").format(ref=ref, reason=result.stderr.strip())))
    return result.stdout.split()


@click.group(cls=Group)
@click.option("--project", "project_dir", type=click.Path(file_okay=False, path_type=Path),
              default=".", show_default=True, help="Project folder (holding smsops.yaml).")
@click.version_option(package_name="smsops")
@click.pass_context
def cli(ctx: click.Context, project_dir: Path) -> None:
    """SMS marketing campaigns as code."""
    ctx.obj = project_dir.resolve()


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text",
              show_default=True)
@click.option("--changed-from", metavar="REF",
              help="Git ref; files changed since it count as changed (schedule-past).")
@click.option("--at", metavar="T", help="Stand-in for now (ISO 8601).")
@click.pass_obj
def validate(root: Path, paths: tuple[Path, ...], fmt: str, changed_from: str | None,
             at: str | None) -> None:
    """Check campaigns, audiences and smsops.yaml against the schemas and every rule.

    Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage or settings error."""
    try:
        project = load_project(root)
        changed = _git_changed(root, changed_from) if changed_from else []
        diagnostics = run_validate(project, _now(at, project.settings.zone), paths, changed)
    except SmsopsError as err:
        click.echo(RENDERERS[fmt](err.diagnostics))
        raise SystemExit(2) from None
    if diagnostics or fmt == "json":
        click.echo(RENDERERS[fmt](diagnostics))
    if fmt == "text":
        errors = sum(d.severity == "error" for d in diagnostics)
        click.echo(_("{files} files checked: {errors} error(s), {warnings} warning(s)").format(
            files=sum(1 for _doc in project.documents()), errors=errors,
            warnings=len(diagnostics) - errors), err=True)
    raise SystemExit(1 if has_errors(diagnostics) else 0)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--at", metavar="T", help="Stand-in for now (ISO 8601).")
@click.pass_obj
def show(root: Path, fmt: str, at: str | None) -> None:
    """List the campaigns: status, schedule, segment, contacts, encoding and SMS parts."""
    project = load_project(root)
    lines = overview(project, _now(at, project.settings.zone))
    if fmt == "json":
        import json

        click.echo(json.dumps({"campaigns": [asdict(line) for line in lines]}, ensure_ascii=False))
        return
    headers = ("id", "status", "objective", "when", "segment", "contacts", "encoding", "parts")
    rows = [headers] + [tuple(str(v) for v in asdict(line).values()) for line in lines]
    widths = [max(len(row[i]) for row in rows) for i in range(len(headers))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _hash_key(project: Project) -> str:
    demo = project.settings.provider == "simulator"
    try:
        key = hash_key(os.environ, demo=demo)
    except MissingHashKey as err:
        raise SmsopsError(Diagnostic.at(project.settings.doc.at("provider"), "schema",
                                        str(err))) from None
    if key == DEMO_HASH_KEY:
        click.echo(_("note: {name} is not set; using the public demo key (simulator only)").format(
            name=HASH_KEY_ENV), err=True)
    return key


def _contacts_db(project: Project) -> sqlite3.Connection:
    return contacts_db.connect(project.root / project.settings.contacts_database)


@cli.group()
def contacts() -> None:
    """Contacts lists: import them into the private contacts database."""


@contacts.command("import")
@click.argument("list_ids", nargs=-1, metavar="[LIST]...")
@click.option("--rejected-dir", type=click.Path(file_okay=False, path_type=Path),
              default="rejected", show_default=True,
              help="Folder (in the project) for the rejected-rows CSV of each list.")
@click.pass_obj
def contacts_import(root: Path, list_ids: tuple[str, ...], rejected_dir: Path) -> None:
    """(Re)load contacts files: E.164 numbers, mobile check, time zone, consent, duplicates.

    Every rejected row is listed (file, line, value, reason) and written to a CSV."""
    project = load_project(root)
    lists = _select(project.contact_lists, list_ids, "contacts list")
    key = _hash_key(project)
    db = _contacts_db(project)
    for contacts_list in lists:
        report = import_list(project, contacts_list, db, key, os.environ,
                             rejected_dir=project.root / rejected_dir, progress=_progress())
        click.echo(import_summary(report))
        for line in rejected_lines(report, db, contacts_list, limit=10):
            click.echo(f"  {line}")


def _sending_progress() -> Callable[[str, int], None] | None:
    """On a terminal, a line that counts the messages sent as they go."""
    if not sys.stderr.isatty():
        return None

    def show(campaign_id: str, sent: int) -> None:
        if sent % 50 == 0:
            click.echo(_("\r{id}: {sent} sent").format(id=campaign_id, sent=sent), err=True,
                       nl=False)

    return show


def _progress() -> Callable[[int], None] | None:
    if not sys.stderr.isatty():
        return None
    return lambda count: click.echo(_("\r{count} rows read").format(count=count), err=True, nl=False)


def _select(table: Mapping[str, T], ids: tuple[str, ...], kind: str) -> list[T]:
    for wanted in ids:
        if wanted not in table:
            close = difflib.get_close_matches(wanted, list(table), n=1)
            hint = _(" (did you mean '{id}'?)").format(id=close[0]) if close else ""
            raise click.BadParameter(_("no {kind} '{id}'{hint}").format(kind=kind, id=wanted,
                                                                        hint=hint))
    return [table[i] for i in ids] if ids else list(table.values())


@cli.command()
@click.argument("campaign_ids", nargs=-1, metavar="[ID]...")
@click.option("--at", metavar="T", help="Stand-in for now (ISO 8601).")
@click.option("--format", "fmt", type=click.Choice(sorted(PLAN_RENDERERS)), default="text",
              show_default=True)
@click.option("--changed-from", metavar="REF", help="Only the campaigns changed since this git ref.")
@click.pass_obj
def plan(root: Path, campaign_ids: tuple[str, ...], at: str | None, fmt: str,
         changed_from: str | None) -> None:
    """Per campaign: when, to whom, excluded rows, encoding, SMS parts and cost. Sends nothing."""
    project = load_project(root)
    now = _now(at, project.settings.zone)
    campaigns = _select(project.campaigns, campaign_ids, "campaign")
    if changed_from:
        changed = set(_git_changed(root, changed_from))
        campaigns = [c for c in campaigns if c.doc.path in changed]
    planner = Planner(project, _contacts_db(project), now)
    click.echo(PLAN_RENDERERS[fmt]([planner.plan(c) for c in campaigns], now))


def _clock(at: str | None, zone: ZoneInfo) -> Callable[[], datetime]:
    """--at T freezes "now" for the whole run (window, expiry, due); else the machine's clock."""
    if at is None:
        return lambda: datetime.now(zone)
    fixed = _now(at, zone)
    return lambda: fixed


def _outcome_line(outcome: Outcome) -> str:
    if outcome.occurrence is None:
        return f"{outcome.campaign_id}: {'; '.join(outcome.notes)}"
    counts = _("{sent} sent, {failed} refused, {waiting} waiting for their window, "
               "{expired} expired, {in_doubt} in doubt, {cost:.2f} €").format(
        sent=outcome.sent, failed=outcome.failed, waiting=outcome.waiting,
        expired=outcome.expired, in_doubt=outcome.in_doubt, cost=outcome.cost_eur)
    if outcome.held:
        counts += _(", {held} left queued for the next run").format(held=outcome.held)
    notes = f" ({'; '.join(outcome.notes)})" if outcome.notes else ""
    return f"{outcome.campaign_id} {outcome.occurrence}: {counts}{notes}"


@cli.command()
@click.option("--at", metavar="T", help="Stand-in for now (ISO 8601), for demos and replays.")
@click.option("--dry-run", is_flag=True, help="Show what is due and to whom; send nothing.")
@click.option("--campaign", "campaign_ids", multiple=True, metavar="ID",
              help="Only this campaign (repeatable).")
@click.option("--wait", "lock_wait", type=float, default=0.0, show_default=True,
              help="Seconds to wait for another run to finish before giving up.")
@click.pass_obj
def run(root: Path, at: str | None, dry_run: bool, campaign_ids: tuple[str, ...],
        lock_wait: float) -> None:
    """Send every due campaign: each recipient once, inside their own window, within budget.

    Safe to run every few minutes and after a crash."""
    project = load_project(root)
    campaigns = _select(project.campaigns, campaign_ids, "campaign")
    clock = _clock(at, project.settings.zone)
    if dry_run:
        planner = Planner(project, _contacts_db(project), clock())
        click.echo(PLAN_RENDERERS["text"]([planner.plan(c) for c in campaigns], clock()))
        return
    options = Options(env=os.environ, hash_key=_hash_key(project), lock_wait=lock_wait,
                      progress=_sending_progress())
    report = run_campaigns(project, campaigns, clock, options)
    for name, count in report.reconciled.items():
        if count:
            click.echo(_("reconciled after an interrupted run: {count} {state}").format(
                count=count, state=name))
    for outcome in report.outcomes:
        click.echo(_outcome_line(outcome))
    for campaign_id in report.invalid:
        click.echo(_("{id}: not sent, its file has errors (smsops validate)").format(
            id=campaign_id), err=True)
    raise SystemExit(1 if report.invalid else 0)


@cli.command("test")
@click.argument("campaign_id", metavar="ID")
@click.option("--to", "numbers", multiple=True, metavar="NUMBER",
              help="Test number (repeatable); default: the campaign's test_numbers.")
@click.option("--at", metavar="T", help="Stand-in for now (ISO 8601).")
@click.pass_obj
def test_send(root: Path, campaign_id: str, numbers: tuple[str, ...], at: str | None) -> None:
    """Send the campaign's text (with every fallback) to test numbers now, marked as a test."""
    project = load_project(root)
    [campaign] = _select(project.campaigns, (campaign_id,), "campaign")
    clock = _clock(at, project.settings.zone)
    wanted = numbers or campaign.test_numbers
    if not wanted:
        raise click.UsageError(_("give --to NUMBER or set test_numbers: in {file}").format(
            file=campaign.doc.path))
    settings = project.settings
    allow = settings.allow_fictional_numbers or settings.provider == "simulator"
    phones = []
    for number in wanted:
        try:
            phones.append(parse_phone(number, allow_fictional=allow))
        except InvalidPhone as err:
            raise click.BadParameter(f"{number}: {err.reason}", param_hint="--to") from None
    for phone in phones:
        if reason := refusal(clock(), phone.region, settings.window, margin=True):
            raise click.UsageError(_("not now: {reason}; test sends respect the window too").format(
                reason=reason))
    options = Options(env=os.environ, hash_key=_hash_key(project))
    click.echo(_outcome_line(send_tests(project, campaign, phones, clock, options)))


cli.add_command(state)
cli.add_command(optout_group)
cli.add_command(forget_command)
cli.add_command(conversions_group)
cli.add_command(purge_command)
cli.add_command(providers_group)


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on; keep 127.0.0.1 unless a password is set.")
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--public-url", metavar="URL",
              help="The address providers call when a proxy stands in front (Twilio signs it).")
@click.pass_obj
def serve_command(root: Path, host: str, port: int, public_url: str | None) -> None:
    """Datasette on the results database, plus short-link redirects and provider webhooks."""
    from runner.web import make_datasette, serve

    project = load_project(root)
    datasette = make_datasette(project, env=os.environ, hash_key=_hash_key(project),
                               public_url=public_url)
    click.echo(_("smsops serve: http://{host}:{port}/ (results only; Ctrl-C stops)").format(
        host=host, port=port), err=True)
    if not os.environ.get(WEBHOOK_TOKEN_ENV):
        click.echo(_("note: {name} is not set, so every webhook call is refused; export it and "
                     "put it in the webhook URLs as ?token=...").format(name=WEBHOOK_TOKEN_ENV),
                   err=True)
    serve(datasette, host, port)


@cli.command("sync")
@click.option("--at", metavar="T", help="Stand-in for now (ISO 8601).")
@click.pass_obj
def sync_command(root: Path, at: str | None) -> None:
    """Pull delivery reports and replies (STOP -> opt-out) from providers with a pull API."""
    project = load_project(root)
    clock = _clock(at, project.settings.zone)
    key = _hash_key(project)
    conn = open_store(project.root / project.settings.database).conn
    names = {project.settings.provider} | {c.provider for c in project.campaigns.values()
                                           if c.provider}

    async def pull_one(name: str) -> SyncReport | str:
        """The provider's report, or the one line that says why it could not be synced."""
        try:
            provider = make_provider(project, name, os.environ, clock)
        except SmsopsError as err:
            return "; ".join(d.message for d in err.diagnostics)
        try:
            return await sync(conn, provider, clock(), key)
        except (SendError, OSError) as err:
            return _("{reason}; check providers.{provider} in smsops.yaml and its environment "
                     "variables (smsops providers check)").format(reason=err, provider=name)
        finally:
            await provider.aclose()

    async def pull_all() -> list[tuple[str, SyncReport | str]]:
        return [(name, await pull_one(name)) for name in sorted(names)]

    failed = False
    for name, result in asyncio.run(pull_all()):
        if isinstance(result, str):
            failed = True
            click.echo(_("{provider}: not synced: {reason}").format(provider=name, reason=result),
                       err=True)
        elif result.pulled:
            click.echo(_("{provider}: {reports} reports applied, {replies} replies, {optouts} new "
                         "opt-outs").format(**vars(result))
                       + (_(", {clicks} simulated clicks").format(clicks=result.clicks)
                          if result.clicks else ""))
        else:
            click.echo(_("{provider}: no pull API; its reports reach smsops serve").format(
                provider=result.provider))
    if failed:
        raise SystemExit(2)


@cli.command("report")
@click.argument("campaign_ids", nargs=-1, metavar="[ID]...")
@click.option("--format", "fmt", type=click.Choice([*sorted(REPORT_RENDERERS), "html"]),
              default="text", show_default=True,
              help="html: one self-contained file with its charts, to share by e-mail.")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path),
              help="Also draw the charts into this .svg or .png file (one campaign, or all).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("report.html"), show_default=True, help="Where --format html writes.")
@click.pass_obj
def report_command(root: Path, campaign_ids: tuple[str, ...], fmt: str, chart: Path | None,
                   output: Path) -> None:
    """The CCI sheet's KPIs per campaign: deliverability, delivery speed, clicks, conversions,
    bounces (NPAI), and opt-outs."""
    from runner import charts  # loads the chart definitions (YAML): only `report` needs them

    chart_format = charts.format_of(chart) if chart else None
    for path in (chart, output if fmt == "html" else None):
        if path is not None and not path.resolve().parent.is_dir():
            raise SmsopsError(Diagnostic.at(Location(str(path)), "chart", _(
                "folder {folder} does not exist; create it or write the file elsewhere").format(
                folder=path.parent)))
    project = load_project(root)
    conn = open_store(project.root / project.settings.database).conn
    known = {**project.campaigns, **{i: i for (i,) in conn.execute("SELECT id FROM campaigns")}}
    _select(known, campaign_ids, "campaign")
    rows = kpis(conn, campaign_ids)
    if fmt == "html":
        from runner.report_html import render
        output.write_text(render(conn, rows, title=_("SMS campaigns: {advertiser}").format(
            advertiser=project.settings.advertiser), campaign=campaign_ids,
            now=datetime.now(project.settings.zone)), encoding="utf-8")
        click.echo(_("report written to {path}").format(path=output), err=True)
    else:
        click.echo(REPORT_RENDERERS[fmt](rows))
    if chart and chart_format:
        chart.write_bytes(charts.render_all(conn, campaign_ids, chart_format))
        click.echo(_("charts written to {path}").format(path=chart), err=True)


def main() -> None:
    cli(prog_name="smsops")
