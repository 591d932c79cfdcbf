"""Send window: recipient time zones, public holidays, allowed instants (compliance §1.2-§3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from runner.i18n import _

HARD_START = time(8, 0)
HARD_END = time(21, 30)
SEARCH_DAYS = 400
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Window:
    days: frozenset[int] = frozenset(range(6))  # Monday=0 .. Saturday=5
    start: time = time(8, 0)
    end: time = time(20, 0)
    holidays: bool = True
    stop_before_end_minutes: int = 15


# Fixed table (R9): phonenumbers' own zone list gives two offsets for +262, so never use it.
REGION_ZONES: dict[str, tuple[str, ...]] = {
    "FR": ("Europe/Paris",), "RE": ("Indian/Reunion",), "YT": ("Indian/Mayotte",),
    "GP": ("America/Guadeloupe",), "MF": ("America/Marigot",), "BL": ("America/St_Barthelemy",),
    "GF": ("America/Cayenne",), "MQ": ("America/Martinique",), "PM": ("America/Miquelon",),
    "NC": ("Pacific/Noumea",), "WF": ("Pacific/Wallis",),
    "PF": ("Pacific/Tahiti", "Pacific/Marquesas", "Pacific/Gambier"),
}

# (country, subdivision) calendars merged per region. A +33 mobile may live in Alsace-Moselle,
# whose codes are 6AE and 57 (never the deprecated GES, which silently drops both local days).
# GP, MF and BL share the +590 mobile ranges, so each gets the union of the three.
_ANTILLES = (("GP", None), ("MF", None), ("BL", None))
CALENDARS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "FR": (("FR", "6AE"), ("FR", "57")), "GP": _ANTILLES, "MF": _ANTILLES, "BL": _ANTILLES,
}


@cache
def zones(region: str) -> tuple[ZoneInfo, ...]:
    if region not in REGION_ZONES:
        raise ValueError(_("unknown region {region!r}; expected one of {known}").format(
            region=region, known=", ".join(REGION_ZONES)))
    return tuple(ZoneInfo(name) for name in REGION_ZONES[region])


def region_for_zone(zone_name: str) -> str | None:
    return next((region for region, names in REGION_ZONES.items() if zone_name in names), None)


@cache
def _calendar(region: str, year: int) -> Mapping[date, str]:
    merged: dict[date, str] = {}
    for country, subdiv in CALENDARS.get(region, ((region, None),)):
        found = holidays_lib.country_holidays(country, subdiv=subdiv, years=year, language="fr")
        for day, name in found.items():
            merged.setdefault(day, name)
    return merged


def holiday_name(day: date, region: str) -> str | None:
    zones(region)
    return _calendar(region, day.year).get(day)


def _end(window: Window, margin: bool) -> time:
    minutes = window.stop_before_end_minutes if margin else 0
    return (datetime.combine(date.min, window.end) - timedelta(minutes=minutes)).time()


def _aware(t: datetime) -> datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(_("{t} has no time zone; give an offset or a zone").format(t=t))
    return t


def _local_refusal(local: datetime, region: str, window: Window, margin: bool) -> str | None:
    stamp, end = f"{local:%Y-%m-%d %H:%M}", _end(window, margin)
    if local.weekday() not in window.days:
        return _("{stamp} is a {day}").format(stamp=stamp, day=DAY_NAMES[local.weekday()])
    if window.holidays and (name := holiday_name(local.date(), region)):
        return _("{day:%Y-%m-%d} is a public holiday ({name})").format(day=local, name=name)
    if local.time() < window.start:
        return _("{stamp} is before {start:%H:%M}").format(stamp=stamp, start=window.start)
    if local.time() >= end:
        return _("{stamp} is at or after {end:%H:%M}").format(stamp=stamp, end=end)
    return None


def refusal(t: datetime, region: str, window: Window, *, margin: bool = False) -> str | None:
    """Why `t` is outside the window in one of the region's zones, or None when allowed in all."""
    aware, region_zones = _aware(t), zones(region)
    for zone in region_zones:
        reason = _local_refusal(aware.astimezone(zone), region, window, margin)
        if reason:  # name the zone only where the region has several
            return f"{reason} ({zone.key})" if len(region_zones) > 1 else reason
    return None


def is_allowed(t: datetime, region: str, window: Window, *, margin: bool = False) -> bool:
    return refusal(t, region, window, margin=margin) is None


def _zone_span(day: date, zone: ZoneInfo, region: str, window: Window,
               margin: bool) -> tuple[datetime, datetime] | None:
    end = _end(window, margin)
    if day.weekday() not in window.days or window.start >= end:
        return None
    if window.holidays and holiday_name(day, region):
        return None
    return (datetime.combine(day, window.start, zone).astimezone(UTC),
            datetime.combine(day, end, zone).astimezone(UTC))


def window_span(day_t: datetime, region: str, window: Window, *,
                margin: bool = True) -> tuple[datetime, datetime] | None:
    """The UTC span allowed in every zone on the local day(s) of `day_t`, None if empty."""
    spans = [_zone_span(_aware(day_t).astimezone(zone).date(), zone, region, window, margin)
             for zone in zones(region)]
    if any(span is None for span in spans):
        return None
    start = max(span[0] for span in spans if span)
    end = min(span[1] for span in spans if span)
    return (start, end) if start < end else None


def _next_open(u: datetime, zone: ZoneInfo, region: str, window: Window,
               margin: bool) -> datetime | None:
    """The first instant >= u allowed in `zone` alone."""
    first = u.astimezone(zone).date()
    for offset in range(SEARCH_DAYS + 1):
        span = _zone_span(first + timedelta(days=offset), zone, region, window, margin)
        if span and span[1] > u:
            return max(span[0], u)
    return None


def next_allowed(t: datetime, region: str, window: Window, *, margin: bool = True) -> datetime:
    """The first instant >= t allowed in every zone of the region, in UTC."""
    u = _aware(t).astimezone(UTC)
    limit = u + timedelta(days=SEARCH_DAYS)
    while u <= limit:
        # Each zone's next open instant is a lower bound of the common one: jump to the latest.
        candidates = [_next_open(u, zone, region, window, margin) for zone in zones(region)]
        if any(c is None for c in candidates):
            break
        latest = max(c for c in candidates if c)
        if latest == u:
            return u
        u = latest
    raise ValueError(_("no allowed sending time within {days} days after {t}").format(
        days=SEARCH_DAYS, t=t))
