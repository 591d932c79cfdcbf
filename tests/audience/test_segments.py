"""Segment conditions compiled to SQL: exactly which contacts each `where:` selects."""

import sqlite3
from datetime import date

import pytest
import yaml

from runner.audience.segments import SegmentError, compile_where, quote
from tests.conftest import REPO

TODAY = date(2026, 11, 25)
FIELDS = ("first_name", "phone", "city", "birthday", "last_purchase", "total_spent", "tags",
          "newsletter", "total_orders")
ROWS = [  # fictional ARCEP numbers only
    ("Camille", "+33639980001", "Nantes", "1988-03-14", "2026-10-02", "184,50", "vip;fidèle", "oui", "3"),
    ("Hélène", "+33639980002", "nantes", "1975-11-25", "2026-06-21", "62.00", "", "Yes", "1"),
    ("Léa", "+33639980003", "La Roche-sur-Yon", "1996-02-29", "2025-11-24", "35,90", "VIP", "non", "0"),
    ("Lucas", "+33639980004", "Rezé", "", "2026-11-25", "420", "50%_off", "", "12"),
    ("Zoé", "+33639980005", "", "", "", "", "", "x", ""),
    ("Noé", "+33639980006", "x' OR 1=1 --", "2000-02-28", "2025-11-25", "n/a", "", "false", "3.0"),
    ("Inès", "+33639980007", "Vertou", "1980-12-01", "2026-12-01", "0,5", "", "peut-être", "2"),
]
EVERYONE = {row[0] for row in ROWS}


@pytest.fixture(scope="module")
def db():
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE contacts ({', '.join(quote(f) + ' TEXT' for f in FIELDS)})")
    db.executemany(f"INSERT INTO contacts VALUES ({', '.join('?' for _ in FIELDS)})", ROWS)
    return db


def select(db, where, today=TODAY, fields=FIELDS):
    sql, params = compile_where(where, fields, today)
    return {name for (name,) in db.execute(f"SELECT first_name FROM contacts WHERE {sql}", params)}


def test_no_where_selects_everyone(db):
    assert compile_where(None, FIELDS, TODAY) == ("1", [])
    assert select(db, None) == EVERYONE


@pytest.mark.parametrize(("where", "names"), [
    ({"city": "Nantes"}, {"Camille", "Hélène"}),
    ({"city": "NANTES"}, {"Camille", "Hélène"}),
    ({"city": "Nant"}, set()),
    ({"total_orders": 3}, {"Camille", "Noé"}),  # "3.0" is 3 too
    ({"total_orders": 0}, {"Léa"}),  # an empty cell is not 0
    ({"total_spent": 184.5}, {"Camille"}),  # decimal comma
    ({"newsletter": True}, {"Camille", "Hélène", "Zoé"}),
    ({"newsletter": False}, {"Léa", "Lucas", "Noé"}),  # '' is no-like; "peut-être" is neither
])
def test_equality(db, where, names):
    assert select(db, where) == names


@pytest.mark.parametrize(("where", "names"), [
    ({"city": {"in": ["Nantes", "rezé"]}}, {"Camille", "Hélène", "Lucas"}),
    ({"city": {"in": []}}, set()),
    ({"total_orders": {"in": [1, 12]}}, {"Hélène", "Lucas"}),
    ({"total_orders": {"in": [3]}}, {"Camille", "Noé"}),
    ({"tags": {"contains": "vip"}}, {"Camille", "Léa"}),
    ({"tags": {"contains": "%"}}, {"Lucas"}),  # literal, not a LIKE wildcard
    ({"tags": {"contains": "_"}}, {"Lucas"}),
])
def test_in_and_contains(db, where, names):
    assert select(db, where) == names


@pytest.mark.parametrize(("where", "names"), [
    ({"total_spent": {"gte": 50}}, {"Camille", "Hélène", "Lucas"}),
    ({"total_spent": {"gt": 184}}, {"Camille", "Lucas"}),  # "184,50" is 184.5, not 184
    ({"total_spent": {"lt": 100}}, {"Hélène", "Léa", "Inès"}),  # '' and 'n/a' never compare
    ({"total_spent": {"lte": 0.5}}, {"Inès"}),
    ({"total_spent": {"gte": 35.9, "lt": 184.5}}, {"Léa", "Hélène"}),  # operators are ANDed
    ({"last_purchase": {"gte": "2026-06-21"}}, {"Camille", "Hélène", "Lucas", "Inès"}),
    ({"last_purchase": {"lt": "2026-01-01"}}, {"Léa", "Noé"}),  # '' never compares
    ({"last_purchase": {"lte": date(2025, 11, 24)}}, {"Léa"}),  # a date as a plain YAML loader reads it
    ({"birthday": {"gt": "1990-01-01", "lte": "1999-12-31"}}, {"Léa"}),
])
def test_comparisons(db, where, names):
    assert select(db, where) == names


@pytest.mark.parametrize("value", ["cinquante", "50", "31/01/2026", "2026-02-30", "2026-1-31"])
def test_comparison_value_neither_number_nor_date(value):
    with pytest.raises(SegmentError) as err:
        compile_where({"all": [{"total_spent": {"gte": value}}]}, FIELDS, TODAY)
    assert err.value.path == ("all", 0, "total_spent", "gte")
    assert "use a number or a date like 2026-01-31" in str(err.value)


@pytest.mark.parametrize("test", [{"near": "Nantes"}, {"within_days": -1}, {"within_days": "365"},
                                  {"contains": 3}])
def test_shapes_the_schema_forbids_still_fail_clearly(test):
    with pytest.raises(SegmentError) as err:
        compile_where({"any": [{"city": test}]}, FIELDS, TODAY)
    assert err.value.path == ("any", 0, "city", next(iter(test)))
    assert "is not a test; use one of in, contains, gt, gte, lt, lte, within_days" in str(err.value)


def test_within_days_is_inclusive_and_never_in_the_future(db):
    assert select(db, {"last_purchase": {"within_days": 365}}) == {"Camille", "Hélène", "Lucas", "Noé"}
    assert select(db, {"last_purchase": {"within_days": 0}}) == {"Lucas"}


@pytest.mark.parametrize(("today", "names"), [
    (TODAY, {"Hélène"}),
    (date(2027, 2, 28), {"Léa", "Noé"}),  # non-leap year: 29 February birthdays today
    (date(2028, 2, 28), {"Noé"}),
    (date(2028, 2, 29), {"Léa"}),
    (date(2027, 3, 1), set()),
])
def test_birthday_today(db, today, names):
    assert select(db, {"birthday": "today"}, today) == names


@pytest.mark.parametrize(("where", "names"), [
    ({"all": [{"city": {"in": ["Nantes", "Rezé"]}}, {"total_spent": {"gte": 100}}]}, {"Camille", "Lucas"}),
    ({"any": [{"city": "Vertou"}, {"tags": {"contains": "vip"}}]}, {"Camille", "Léa", "Inès"}),
    ({"not": {"total_spent": {"gte": 50}}}, {"Léa", "Zoé", "Noé", "Inès"}),
    ({"all": [{"any": [{"city": "Nantes"}, {"city": "Rezé"}]}, {"not": {"tags": {"contains": "vip"}}}]},
     {"Hélène", "Lucas"}),
    ({"not": {"any": [{"all": [{"city": "Nantes"}, {"newsletter": True}]}, {"total_orders": {"gt": 2}}]}},
     {"Léa", "Zoé", "Inès"}),
    ({"any": [{"city": "Vertou"}, {"not": {"not": {"city": "Rezé"}}}]}, {"Lucas", "Inès"}),
])
def test_nesting(db, where, names):
    assert select(db, where) == names


def test_every_sub_expression_is_parenthesised():
    sql, params = compile_where({"any": [{"all": [{"city": "a"}, {"city": "b"}]}, {"city": "c"}]},
                                FIELDS, TODAY)
    city = '("city" = ? COLLATE NOCASE)'
    assert sql == f"(({city} AND {city}) OR {city})"
    assert params == ["a", "b", "c"]


@pytest.mark.parametrize("where", [
    {"city": "x' OR 1=1 --"},
    {"city": {"in": ["x' OR 1=1 --"]}},
    {"city": {"contains": "x' OR 1=1 --"}},
    {"any": [{"city": "x' OR 1=1 --"}, {"tags": {"contains": "x' OR 1=1 --"}}]},
])
def test_values_never_enter_the_sql_text(db, where):
    sql, params = compile_where(where, FIELDS, TODAY)
    assert "OR 1=1" not in sql and "'x" not in sql
    assert "x' OR 1=1 --" in params
    assert select(db, where) == {"Noé"}


def test_field_names_are_quoted(db):
    assert quote('we"ird') == '"we""ird"'
    db2 = sqlite3.connect(":memory:")
    weird = 'a"b'
    db2.execute(f"CREATE TABLE contacts ({quote(weird)} TEXT, {quote('select')} TEXT)")
    db2.execute("INSERT INTO contacts VALUES ('1', 'yes')")
    sql, params = compile_where({"all": [{weird: 1}, {"select": True}]}, [weird, "select"], TODAY)
    assert db2.execute(f"SELECT COUNT(*) FROM contacts WHERE {sql}", params).fetchone() == (1,)


def test_unknown_field_is_reported_at_its_key():
    with pytest.raises(SegmentError) as err:
        compile_where({"all": [{"city": "Nantes"}, {"not": {"citty": "Nantes"}}]}, FIELDS, TODAY)
    assert err.value.path == ("all", 1, "not", "citty")
    assert str(err.value) == "'citty' is not a column of the contacts; did you mean 'city'?"
    assert isinstance(err.value, ValueError)


def test_unknown_field_without_a_close_match_lists_the_columns():
    with pytest.raises(SegmentError) as err:
        compile_where({"ville": "Nantes"}, ["city", "phone"], TODAY)
    assert err.value.path == ("ville",)
    assert str(err.value) == "'ville' is not a column of the contacts; its columns are: city, phone"


def example_segments():
    found = []
    for path in sorted((REPO / "audiences").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("kind") == "segment":
            found.append(pytest.param(data, id=path.stem))
    return found


def test_the_project_has_example_segments():
    assert len(example_segments()) >= 3


@pytest.mark.parametrize("segment", example_segments())
def test_example_segments_compile(db, segment):
    header = (REPO / "audiences" / "clients.csv").read_text(encoding="utf-8").splitlines()[0].split(";")
    sql, params = compile_where(segment.get("where"), header, TODAY)
    assert select(db, segment.get("where")) <= EVERYONE  # valid SQL over the table
    assert all(isinstance(p, str | int | float) for p in params)
