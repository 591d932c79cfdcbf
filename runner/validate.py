"""`smsops validate` as a library call: every rule over the project, filtered to the given files."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from runner.audience.reader import ReadError, Table, read_table
from runner.diagnostics import Diagnostic, Location, SmsopsError
from runner.i18n import _
from runner.project import Project
from runner.rules import RULES
from runner.rules.context import Context
from runner.settings import SETTINGS_FILE


def read_tables(project: Project) -> tuple[dict[str, Table], dict[str, ReadError]]:
    tables, unreadable = {}, {}
    for contacts in project.contact_lists.values():
        try:
            tables[contacts.id] = read_table(contacts.file, contacts.phone)
        except ReadError as error:
            unreadable[contacts.id] = error
    return tables, unreadable


def validate(project: Project, now: datetime, paths: Iterable[Path] = (),
             changed: Iterable[str] = ()) -> list[Diagnostic]:
    """All diagnostics (errors and warnings), sorted; only those of `paths` when some are given."""
    selected = _display_paths(project, paths)
    tables, unreadable = read_tables(project)
    ctx = Context(project, now, frozenset(changed) | (selected or frozenset()), tables, unreadable)
    found = {d for rule in RULES.values() for d in rule(ctx)}
    if selected is not None and SETTINGS_FILE not in selected:
        found = {d for d in found if d.path in selected}
    return sorted(found, key=lambda d: (d.path, d.line, d.col, d.rule))


def _display_paths(project: Project, paths: Iterable[Path]) -> frozenset[str] | None:
    """Project-relative names of `paths`; a contacts data file selects the list naming it."""
    wanted = [path.resolve() for path in paths]
    if not wanted:
        return None
    for path in wanted:
        if not path.exists():
            raise SmsopsError(Diagnostic.at(Location(str(path)), "schema", _(
                "no such file; give paths of campaign, audience or smsops.yaml files")))
    names = {p.relative_to(project.root.resolve()).as_posix() for p in wanted
             if p.is_relative_to(project.root.resolve())}
    names |= {c.doc.path for c in project.contact_lists.values() if c.file in wanted}
    return frozenset(names)
