"""`schedule-past` (warning): a changed file schedules a one-off send in the past."""

from __future__ import annotations

from collections.abc import Iterator

from runner.diagnostics import Diagnostic
from runner.i18n import _
from runner.rules.context import Context

RULE = "schedule-past"


def check(ctx: Context) -> Iterator[Diagnostic]:
    for campaign in ctx.campaigns():
        at = campaign.schedule.at or campaign.schedule.until
        if campaign.doc.path not in ctx.changed or at is None or at > ctx.now:
            continue
        key = ("schedule", "at") if campaign.schedule.at else ("schedule", "every", "until")
        yield Diagnostic.at(campaign.doc.at(*key), RULE, _(
            "{at:%Y-%m-%d %H:%M} is already past, so nothing will be sent; "
            "pick a future date").format(at=at.astimezone(ctx.project.settings.zone)), "warning")
