"""`smsops plan`: per campaign, who would receive what, when, in how many SMS, at what cost."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from runner.audience.segments import quote
from runner.audience.selection import Audience
from runner.occurrence import Occurrence, occurrence
from runner.personalize import contact_fields, counted_text, personalize
from runner.phones import mask
from runner.project import Campaign, Project
from runner.text import sms_parts, ucs2_characters
from runner.window import is_allowed, next_allowed

DEFAULT_RATE_PER_SECOND = 10.0
EXCLUDED = ("no_consent", "opted_out", "invalid", "duplicate")


@dataclass(frozen=True)
class Sample:
    to: str
    text: str


@dataclass(frozen=True)
class CampaignPlan:
    id: str
    due: bool
    due_at: datetime | None
    recipients: int
    excluded: dict[str, int]
    deferred: int
    encoding: str
    ucs2_characters: list[str]
    parts_max: int
    sms_total: int
    cost_eur: float
    first_send_local: datetime | None
    last_send_local: datetime | None
    samples: list[Sample]
    name: str = ""
    status: str = "scheduled"
    provider: str = "simulator"
    price_eur_per_part: float = 0.0
    rate_per_second: float = DEFAULT_RATE_PER_SECOND
    duration_seconds: float = 0.0
    missed: int = 0  # recipients whose window does not open before the occurrence ends
    by_region: dict[str, int] = field(default_factory=dict)


def provider_setting(project: Project, provider: str, key: str, default: float) -> float:
    return float(project.settings.providers.get(provider, {}).get(key, default))


class Planner:
    def __init__(self, project: Project, db: sqlite3.Connection, now: datetime) -> None:
        self.project, self.db, self.now = project, db, now
        self.audience = Audience(project, db)

    def plan(self, campaign: Campaign) -> CampaignPlan:
        project = self.project
        current = occurrence(campaign, self.now, project.settings)
        start = current.at if current and not current.due else self.now
        selection = self.audience.select(campaign, start.astimezone(project.settings.zone).date())
        scope, params = selection.scope, selection.params
        scan = self._scan(campaign, scope, params)
        buckets, regions, parts = scan.buckets, scan.regions, scan.renderings
        provider = campaign.provider or project.settings.provider
        rate = provider_setting(project, provider, "rate_per_second", DEFAULT_RATE_PER_SECOND)
        price = provider_setting(project, provider, "price_eur_per_part", 0.0)
        sms_total = sum(count * n for (_text, n, _chars), count in parts.items())
        timing = _timing(regions, current, start, project, rate)
        return CampaignPlan(
            id=campaign.id, due=bool(current and current.due),
            due_at=current.at if current else None, recipients=sum(regions.values()),
            excluded={name: buckets.get(name, 0) for name in EXCLUDED},
            deferred=timing.deferred, encoding="UCS-2" if any(c for _t, _n, c in parts) else "GSM-7",
            ucs2_characters=list(dict.fromkeys(ch for _t, _n, chars in parts for ch in chars)),
            parts_max=max((n for _t, n, _c in parts), default=0), sms_total=sms_total,
            cost_eur=round(sms_total * price, 2), first_send_local=timing.first,
            last_send_local=timing.last, samples=self._samples(campaign, scope, params),
            name=campaign.name, status=campaign.status, provider=provider, price_eur_per_part=price,
            rate_per_second=rate, duration_seconds=round(sum(regions.values()) / rate, 1),
            missed=timing.missed, by_region=dict(regions))

    def _scan(self, campaign: Campaign, scope: str, params: list[object]) -> _Scan:
        """One pass over the segment: each bucket, each territory, and each distinct rendering
        once with how many recipients get it, so the worst case and the SMS total are exact."""
        fields = contact_fields(campaign)
        selected = "".join(f", {quote(f)}" for f in fields)
        sql = (f"SELECT CASE WHEN {self.audience.recipient} THEN 'recipient' WHEN _bucket = 'ok' "
               f"THEN 'opted_out' ELSE _bucket END, _region{selected}, COUNT(*) FROM contacts "
               f"WHERE {scope} GROUP BY 1, 2{selected}")
        scan = _Scan()
        settings = self.project.settings
        scan.add_rendering(counted_text(campaign, settings, {}), 0)  # the all-fallbacks one counts too
        for bucket, region, *values, count in self.db.execute(sql, params):
            scan.buckets[bucket] += count
            if bucket == "recipient":
                scan.regions[region] += count
                scan.add_rendering(counted_text(campaign, settings, dict(zip(fields, values, strict=True))),
                                   count)
        return scan

    def _samples(self, campaign: Campaign, scope: str, params: list[object]) -> list[Sample]:
        sql = (f"SELECT * FROM contacts WHERE {scope} AND {self.audience.recipient} "
               f"ORDER BY _line LIMIT 3")
        cursor = self.db.execute(sql, params)
        names = [d[0] for d in cursor.description]
        rows = (dict(zip(names, values, strict=True)) for values in cursor)
        return [Sample(mask(row["_phone"]), personalize(campaign, self.project.settings, {
            k: v for k, v in row.items() if not k.startswith("_")})) for row in rows]


@dataclass
class _Scan:
    buckets: Counter[str] = field(default_factory=Counter)
    regions: Counter[str] = field(default_factory=Counter)
    renderings: Counter[tuple[str, int, tuple[str, ...]]] = field(default_factory=Counter)

    def add_rendering(self, text: str, count: int) -> None:
        self.renderings[(text, sms_parts(text)[1], tuple(ucs2_characters(text)))] += count


@dataclass(frozen=True)
class _Timing:
    deferred: int
    missed: int
    first: datetime | None
    last: datetime | None


def _timing(regions: Counter[str], current: Occurrence | None, start: datetime, project: Project,
            rate: float) -> _Timing:
    """When each territory's recipients can be sent to, at `rate` messages per second."""
    window, zone = project.settings.window, project.settings.zone
    deferred = missed = 0
    spans: list[tuple[datetime, datetime]] = []
    for region, count in sorted(regions.items()) if current else ():
        opens = start if is_allowed(start, region, window, margin=True) else \
            next_allowed(start, region, window).astimezone(zone)
        if current is not None and opens >= current.ends:
            missed += count
            continue
        deferred += count if opens > start and current and current.due else 0
        spans.append((opens, opens + timedelta(seconds=count / rate)))
    first = min((s for s, _e in spans), default=None)
    last = max((e for _s, e in spans), default=None)
    return _Timing(deferred, missed, first, last.replace(microsecond=0) if last else None)
