"""Which occurrence of a campaign is due at a given instant, and until when it may be sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from runner.project import Campaign
from runner.settings import Settings

SEARCH_DAYS = 370


@dataclass(frozen=True)
class Occurrence:
    at: datetime  # when this occurrence starts
    ends: datetime  # nothing of it is sent from this instant on
    due: bool

    @property
    def key(self) -> str:
        """Identifies the occurrence (one birthday send per day, say) for exactly-once sending."""
        return self.at.strftime("%Y-%m-%dT%H:%M%z")


def _ends(start: datetime, campaign: Campaign, settings: Settings) -> datetime:
    local = start.astimezone(settings.zone)
    window_end = datetime.combine(local.date(), settings.window.end, settings.zone)
    return min(window_end, campaign.expires) if campaign.expires else window_end


def occurrence(campaign: Campaign, now: datetime, settings: Settings) -> Occurrence | None:
    """The due occurrence, else the next one; None when there is none left (or not scheduled)."""
    if campaign.status != "scheduled":
        return None
    if campaign.schedule.at is not None:
        at = campaign.schedule.at
        ends = campaign.expires or _ends(at, campaign, settings)
        return Occurrence(at, ends, at <= now < ends) if now < ends else None
    return _recurring(campaign, now, settings)


def _recurring(campaign: Campaign, now: datetime, settings: Settings) -> Occurrence | None:
    schedule, zone = campaign.schedule, settings.zone
    assert schedule.time_of_day is not None
    today = now.astimezone(zone).date()
    for offset in range(SEARCH_DAYS):
        day = today + timedelta(days=offset)
        at = datetime.combine(day, schedule.time_of_day, zone)
        if day.weekday() not in schedule.days or (schedule.start and at < schedule.start):
            continue
        if (schedule.until and at > schedule.until) or (campaign.expires and at >= campaign.expires):
            return None
        ends = _ends(at, campaign, settings)
        if now < ends:
            return Occurrence(at, ends, at <= now)
    return None
