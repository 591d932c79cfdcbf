"""Dates and times written in YAML files: ISO 8601, project time zone unless an offset is given."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_datetime(text: str, zone: ZoneInfo) -> datetime:
    """'2027-01-09 10:00' in `zone`, or '2027-01-09T10:00+01:00' / '...Z' as written.

    Raises ValueError for impossible dates such as 2027-02-30."""
    value = datetime.fromisoformat(text.strip())
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def parse_clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def weekday_numbers(names: list[str]) -> frozenset[int]:
    return frozenset(WEEKDAYS.index(name) for name in names)
