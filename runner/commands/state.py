"""`smsops state`: the ledger between scheduled runs, kept on a git branch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from runner.i18n import _
from runner.project import load_project
from runner.state import DEFAULT_BRANCH, release, restore, save


def _where(command: Callable[..., Any]) -> Callable[..., Any]:
    """--branch and --remote, shared by every state command."""
    command = click.option("--remote", default="origin", show_default=True)(command)
    return click.option("--branch", default=DEFAULT_BRANCH, show_default=True)(command)


def _label(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--label", default="smsops run", show_default=True,
                        help="Names this run.")(command)


@click.group()
def state() -> None:
    """The ledger between scheduled runs, kept on a git branch (no clear number in it)."""


@state.command("restore")
@_where
@_label
@click.pass_obj
def state_restore(root: Path, branch: str, remote: str, label: str) -> None:
    """Fetch the ledger before a run and mark it in progress; fails (and so stops the run) if
    it exists but cannot be restored, or if the previous run never saved it."""
    project = load_project(root)
    if restore(root, project.settings.database, label, branch, remote):
        click.echo(_("ledger restored from {branch}").format(branch=branch))
    else:
        click.echo(_("no {branch} branch yet: this is the first run").format(branch=branch))


@state.command("save")
@_where
@_label
@click.pass_obj
def state_save(root: Path, branch: str, remote: str, label: str) -> None:
    """Commit the ledger to the state branch and push it, after a run."""
    project = load_project(root)
    save(root, project.settings.database, label, branch, remote)
    click.echo(_("ledger saved to {branch}").format(branch=branch))


@state.command("release")
@_where
@click.pass_obj
def state_release(root: Path, branch: str, remote: str) -> None:
    """Remove the in-progress mark of a run that never saved (after checking its log)."""
    release(root, branch, remote)
    click.echo(_("{branch} released").format(branch=branch))
