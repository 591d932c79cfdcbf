"""The `smsops` command line: options in, one library call, output out, exit code."""

from __future__ import annotations

import subprocess
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from runner.diagnostics import RENDERERS, Diagnostic, Location, SmsopsError, has_errors
from runner.i18n import _
from runner.overview import overview
from runner.project import load_project
from runner.timeparse import parse_datetime
from runner.validate import validate as run_validate


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
        return parse_datetime(at, zone)
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


def main() -> None:
    cli(prog_name="smsops")
