"""`segment-ref`: a campaign's segment, a segment's contacts list and its file all exist."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from runner.diagnostics import Diagnostic
from runner.i18n import _
from runner.rules.context import Context

RULE = "segment-ref"


def _hint(name: str, known: Iterable[str], where: str) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    if close:
        return _("did you mean '{name}'?").format(name=close[0])
    return _("create {where}/{name}.yaml or use one of: {known}").format(
        where=where, name=name, known=", ".join(sorted(known)) or _("(none yet)"))


def check(ctx: Context) -> Iterator[Diagnostic]:
    project = ctx.project
    for campaign in ctx.campaigns():
        if campaign.segment not in project.segments:
            yield Diagnostic.at(campaign.doc.at("segment"), RULE, _(
                "no segment '{name}' in audiences/; {hint}").format(
                name=campaign.segment, hint=_hint(campaign.segment, project.segments,
                                                  "audiences")))
    for segment in project.segments.values():
        if segment.contacts not in project.contact_lists:
            yield Diagnostic.at(segment.doc.at("contacts"), RULE, _(
                "no contacts list '{name}' in audiences/; {hint}").format(
                name=segment.contacts, hint=_hint(segment.contacts, project.contact_lists,
                                                  "audiences")))
    for list_id, error in ctx.unreadable.items():
        contacts = project.contact_lists[list_id]
        yield Diagnostic.at(contacts.doc.at("file"), RULE, _("{file}: line {line}: {error}").format(
            file=contacts.doc.data["file"], line=error.line, error=error))
