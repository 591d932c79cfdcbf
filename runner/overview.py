"""One line per campaign for `smsops show`: what, to whom, when, in how many parts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from runner.project import Campaign, Project
from runner.rules.context import Context
from runner.rules.length import renderings
from runner.text import encoding_of
from runner.timeparse import WEEKDAYS
from runner.validate import read_tables


@dataclass(frozen=True)
class CampaignLine:
    id: str
    status: str
    objective: str
    when: str
    segment: str
    contacts: int
    encoding: str
    parts_max: int


def _when(campaign: Campaign, project: Project) -> str:
    schedule = campaign.schedule
    if schedule.at is not None:
        return f"{schedule.at.astimezone(project.settings.zone):%Y-%m-%d %H:%M}"
    days = ",".join(WEEKDAYS[d] for d in sorted(schedule.days))
    return f"{days} {schedule.time_of_day:%H:%M}"


def overview(project: Project, now: datetime) -> list[CampaignLine]:
    ctx = Context(project, now, frozenset(), *read_tables(project))
    lines = []
    for campaign in ctx.campaigns():
        found = renderings(ctx, campaign)
        contacts = ctx.contacts_of(campaign)
        lines.append(CampaignLine(
            campaign.id, campaign.status, campaign.objective, _when(campaign, project),
            campaign.segment, sum(1 for _ in ctx.records(contacts)) if contacts else 0,
            "UCS-2" if any(encoding_of(r.text) == "UCS-2" for r in found) else "GSM-7",
            max(r.parts for r in found)))
    return lines
