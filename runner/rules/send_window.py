"""`send-window`: the schedule falls inside the legal window of the project time zone."""

from __future__ import annotations

from collections.abc import Iterator

from runner.diagnostics import Diagnostic
from runner.i18n import _
from runner.project import Campaign
from runner.rules.context import Context
from runner.timeparse import WEEKDAYS
from runner.window import Window, refusal

RULE = "send-window"


def window_words(window: Window) -> str:
    days = ", ".join(WEEKDAYS[d] for d in sorted(window.days))
    holidays = _(", not on a public holiday") if window.holidays else ""
    return _("{days} {start:%H:%M}-{end:%H:%M}{holidays}").format(
        days=days, start=window.start, end=window.end, holidays=holidays)


def check(ctx: Context) -> Iterator[Diagnostic]:
    settings = ctx.project.settings
    for campaign in ctx.campaigns():
        if campaign.schedule.at is not None:
            yield from _one_off(campaign, settings.region, settings.window)
        else:
            yield from _recurring(campaign, settings.window)
        yield from _expiry(campaign)


def _one_off(campaign: Campaign, region: str, window: Window) -> Iterator[Diagnostic]:
    assert campaign.schedule.at is not None
    reason = refusal(campaign.schedule.at, region, window)
    if reason:
        yield Diagnostic.at(campaign.doc.at("schedule", "at"), RULE, _(
            "{reason}; send within {window}").format(reason=reason, window=window_words(window)))


def _recurring(campaign: Campaign, window: Window) -> Iterator[Diagnostic]:
    schedule = campaign.schedule
    if schedule.time_of_day and not window.start <= schedule.time_of_day < window.end:
        yield Diagnostic.at(campaign.doc.at("schedule", "every", "at"), RULE, _(
            "{at:%H:%M} is outside {start:%H:%M}-{end:%H:%M}; pick a time inside it").format(
            at=schedule.time_of_day, start=window.start, end=window.end))
    for day in sorted(schedule.days - window.days):
        index = campaign.doc.data["schedule"]["every"]["days"].index(WEEKDAYS[day])
        yield Diagnostic.at(campaign.doc.at("schedule", "every", "days", index), RULE, _(
            "'{day}' is outside the sending days; send within {window}").format(
            day=WEEKDAYS[day], window=window_words(window)))


def _expiry(campaign: Campaign) -> Iterator[Diagnostic]:
    start = campaign.schedule.at or campaign.schedule.start
    if campaign.expires and start and campaign.expires <= start:
        yield Diagnostic.at(campaign.doc.at("expires"), RULE, _(
            "expires ({expires:%Y-%m-%d %H:%M}) is not after the start; nothing would be sent"
        ).format(expires=campaign.expires))
