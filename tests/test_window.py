"""runner/window.py: recipient time zones, French public holidays, allowed and next instants."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from runner.window import (
    REGION_ZONES,
    Window,
    holiday_name,
    is_allowed,
    next_allowed,
    refusal,
    region_for_zone,
    window_span,
    zones,
)

PARIS = ZoneInfo("Europe/Paris")
TAHITI = ZoneInfo("Pacific/Tahiti")
DEFAULT = Window()
EVERY_DAY = Window(days=frozenset(range(7)))


def at(text, zone=PARIS):
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def utc(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# compliance.md §3.1, national + Alsace-Moselle, every 2026 and 2027 date.
HOLIDAYS = [
    ("2026-01-01", "Jour de l'an"), ("2027-01-01", "Jour de l'an"),
    ("2026-04-03", "Vendredi saint"), ("2027-03-26", "Vendredi saint"),
    ("2026-04-06", "Lundi de Pâques"), ("2027-03-29", "Lundi de Pâques"),
    ("2026-05-01", "Fête du Travail"), ("2027-05-01", "Fête du Travail"),
    ("2026-05-08", "Fête de la Victoire"), ("2027-05-08", "Fête de la Victoire"),
    ("2026-05-14", "Ascension"), ("2027-05-06", "Ascension"),
    ("2026-05-25", "Lundi de Pentecôte"), ("2027-05-17", "Lundi de Pentecôte"),
    ("2026-07-14", "Fête nationale"), ("2027-07-14", "Fête nationale"),
    ("2026-08-15", "Assomption"), ("2027-08-15", "Assomption"),
    ("2026-11-01", "Toussaint"), ("2027-11-01", "Toussaint"),
    ("2026-11-11", "Armistice"), ("2027-11-11", "Armistice"),
    ("2026-12-25", "Noël"), ("2027-12-25", "Noël"),
    ("2026-12-26", "Saint-Étienne"), ("2027-12-26", "Saint-Étienne"),
]


def test_region_zones_are_the_compliance_table():
    assert REGION_ZONES == {
        "FR": ("Europe/Paris",), "RE": ("Indian/Reunion",), "YT": ("Indian/Mayotte",),
        "GP": ("America/Guadeloupe",), "MF": ("America/Marigot",),
        "BL": ("America/St_Barthelemy",), "GF": ("America/Cayenne",),
        "MQ": ("America/Martinique",), "PM": ("America/Miquelon",), "NC": ("Pacific/Noumea",),
        "WF": ("Pacific/Wallis",),
        "PF": ("Pacific/Tahiti", "Pacific/Marquesas", "Pacific/Gambier"),
    }
    assert [zone.key for zone in zones("PF")] == list(REGION_ZONES["PF"])


def test_unknown_region_is_a_value_error_naming_the_known_ones():
    with pytest.raises(ValueError, match="unknown region 'BE'; expected one of FR, RE"):
        zones("BE")
    with pytest.raises(ValueError, match="unknown region"):
        holiday_name(date(2027, 1, 1), "BE")


def test_region_for_zone():
    assert region_for_zone("Europe/Paris") == "FR"
    assert region_for_zone("Pacific/Marquesas") == "PF"
    assert region_for_zone("Europe/Brussels") is None


@pytest.mark.parametrize("day,name", HOLIDAYS)
def test_french_holidays_of_2026_and_2027_are_named_and_refused(day, name):
    assert holiday_name(date.fromisoformat(day), "FR") == name
    assert refusal(at(f"{day} 10:00"), "FR", EVERY_DAY) == f"{day} is a public holiday ({name})"
    assert not is_allowed(at(f"{day} 10:00"), "FR", DEFAULT)


@pytest.mark.parametrize("day", ["2027-05-01", "2027-05-08", "2027-12-25"])
def test_saturday_holidays_are_refused_with_the_default_window(day):
    assert "is a public holiday" in refusal(at(f"{day} 10:00"), "FR", DEFAULT)


def test_ordinary_days_are_not_holidays():
    assert holiday_name(date(2027, 1, 9), "FR") is None
    assert holiday_name(date(2027, 12, 27), "FR") is None


def test_holidays_false_allows_a_holiday():
    assert is_allowed(at("2027-05-06 10:00"), "FR", Window(holidays=False))


@pytest.mark.parametrize("local,reason", [
    ("2027-01-09 07:59", "2027-01-09 07:59 is before 08:00"),
    ("2027-01-09 08:00", None),
    ("2027-01-09 19:59", None),
    ("2027-01-09 20:00", "2027-01-09 20:00 is at or after 20:00"),
    ("2027-01-10 10:00", "2027-01-10 10:00 is a Sunday"),
    ("2027-01-11 10:00", None),
])
def test_hours_and_days_in_paris(local, reason):
    assert refusal(at(local), "FR", DEFAULT) == reason


def test_margin_stops_before_the_end():
    assert refusal(at("2027-01-09 19:45"), "FR", DEFAULT, margin=True) == (
        "2027-01-09 19:45 is at or after 19:45")
    assert is_allowed(at("2027-01-09 19:44"), "FR", DEFAULT, margin=True)
    assert is_allowed(at("2027-01-09 19:45"), "FR", DEFAULT)


@pytest.mark.parametrize("instant,reason", [
    ("2027-01-09T09:30:00Z", None),  # 10:30 in Paris
    ("2027-01-09T19:30:00Z", "2027-01-09 20:30 is at or after 20:00"),
    ("2027-07-10T17:59:00+00:00", None),  # 19:59 summer time
    ("2027-07-10T18:00:00+00:00", "2027-07-10 20:00 is at or after 20:00"),
])
def test_explicit_offsets_are_read_in_paris_time(instant, reason):
    assert refusal(datetime.fromisoformat(instant), "FR", DEFAULT) == reason


def test_reunion_uses_its_own_clock_and_abolition_day():
    assert is_allowed(utc("2027-01-09 04:00"), "RE", DEFAULT)  # 08:00 in Réunion
    assert refusal(utc("2027-01-09 03:59"), "RE", DEFAULT) == "2027-01-09 07:59 is before 08:00"
    assert not is_allowed(utc("2027-01-09 04:00"), "FR", DEFAULT)  # 05:00 in Paris
    assert refusal(at("2027-12-20 10:00", ZoneInfo("Indian/Reunion")), "RE", DEFAULT) == (
        "2027-12-20 is a public holiday (Abolition de l'esclavage)")
    assert is_allowed(at("2027-12-20 10:00"), "FR", DEFAULT)


@pytest.mark.parametrize("region", ["GP", "MF", "BL"])
@pytest.mark.parametrize("day", ["2027-05-27", "2027-05-28", "2027-10-09"])
def test_plus_590_territories_share_their_three_abolition_days(region, day):
    assert "Abolition de l'esclavage" in refusal(
        at(f"{day} 10:00", ZoneInfo("America/Guadeloupe")), region, DEFAULT)


def test_guadeloupe_local_time_and_martinique_calendar():
    assert is_allowed(utc("2027-01-09 12:00"), "GP", DEFAULT)  # 08:00 in Guadeloupe
    assert not is_allowed(utc("2027-01-09 11:59"), "GP", DEFAULT)
    assert is_allowed(at("2027-05-27 10:00", ZoneInfo("America/Martinique")), "MQ", DEFAULT)
    assert holiday_name(date(2027, 5, 22), "MQ") == "Abolition de l'esclavage"


@pytest.mark.parametrize("tahiti,reason", [
    ("2027-01-09 07:59", "2027-01-09 07:59 is before 08:00 (Pacific/Tahiti)"),
    ("2027-01-09 08:00", None),  # 09:00 in the Gambier
    ("2027-01-09 18:59", None),
    ("2027-01-09 19:00", "2027-01-09 20:00 is at or after 20:00 (Pacific/Gambier)"),
])
def test_french_polynesia_is_the_intersection_of_its_three_zones(tahiti, reason):
    assert refusal(at(tahiti, TAHITI), "PF", DEFAULT) == reason


def test_polynesia_span_and_next_instant():
    assert window_span(at("2027-01-09 12:00", TAHITI), "PF", DEFAULT) == (
        utc("2027-01-09 18:00"), utc("2027-01-10 04:45"))  # 08:00-18:45 Tahiti
    assert next_allowed(at("2027-01-09 19:00", TAHITI), "PF", DEFAULT) == at(
        "2027-01-11 08:00", TAHITI)
    assert window_span(at("2027-01-10 12:00", TAHITI), "PF", DEFAULT) is None


def test_next_allowed_from_saturday_evening_is_monday_morning_in_utc():
    found = next_allowed(at("2027-01-09 20:30"), "FR", DEFAULT)
    assert found == utc("2027-01-11 07:00") and found.tzinfo is UTC


def test_next_allowed_keeps_an_allowed_instant_and_honours_the_margin():
    assert next_allowed(at("2027-01-09 10:00"), "FR", DEFAULT) == utc("2027-01-09 09:00")
    assert next_allowed(at("2027-01-09 19:50"), "FR", DEFAULT) == utc("2027-01-11 07:00")
    assert next_allowed(at("2027-01-09 19:50"), "FR", DEFAULT, margin=False) == utc(
        "2027-01-09 18:50")
    assert next_allowed(at("2027-01-11 06:00"), "FR", DEFAULT) == utc("2027-01-11 07:00")


@pytest.mark.parametrize("start,region,expected", [
    ("2026-03-28 20:30", "FR", "2026-03-30 06:00"),  # spring DST night: Monday 08:00 CEST
    ("2027-03-27 20:30", "FR", "2027-03-30 06:00"),  # DST night then Easter Monday
    ("2027-10-30 20:30", "FR", "2027-11-02 07:00"),  # autumn DST night then Toussaint
    ("2027-03-13 20:30", "PM", "2027-03-15 10:00"),  # Miquelon springs to -02 on 14 Mar
])
def test_next_allowed_across_dst_changes_and_holidays(start, region, expected):
    zone = zones(region)[0]
    found = next_allowed(at(start, zone), region, DEFAULT)
    assert found == utc(expected)
    assert found.astimezone(zone).time() == time(8, 0)


def test_next_allowed_gives_up_after_400_days():
    with pytest.raises(ValueError, match="no allowed sending time within 400 days"):
        next_allowed(at("2027-01-09 10:00"), "FR", Window(days=frozenset()))


@pytest.mark.parametrize("call", [refusal, is_allowed, next_allowed, window_span])
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="has no time zone"):
        call(datetime(2027, 1, 9, 10, 0), "FR", DEFAULT)
