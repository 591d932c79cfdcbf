"""A segment's `where:` as one SQL boolean expression over the `contacts` table.

Every field is a TEXT column: dates are ISO `YYYY-MM-DD`, numbers may use a decimal comma
("184,50"), empty cells are ''. Values only ever travel as `?` parameters, never in the SQL text."""

from __future__ import annotations

import calendar
import difflib
import re
from collections.abc import Collection, Mapping
from datetime import date, timedelta

from runner.i18n import _

Path = tuple[object, ...]
Sql = tuple[str, list[object]]
YES = ("yes", "oui", "true", "1", "x")
NO = ("no", "non", "false", "0", "")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_CELL = "GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'"  # starts with an ISO date
COMPARISONS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
OPERATORS = ("in", "contains", *COMPARISONS, "within_days")


class SegmentError(ValueError):
    def __init__(self, path: tuple[object, ...], message: str) -> None:
        super().__init__(message)
        self.path = path  # key path inside `where`, e.g. ("all", 1, "city")


def quote(name: str) -> str:
    """An SQL identifier, whatever characters the name holds."""
    return '"' + name.replace('"', '""') + '"'


def compile_where(where: object, fields: Collection[str], today: date) -> tuple[str, list[object]]:
    """(SQL boolean expression, parameters); raises SegmentError for what the schema cannot catch."""
    if where is None:
        return "1", []
    return _Compiler(frozenset(fields), today).condition(where, ())


def _join(parts: list[Sql], operator: str) -> Sql:
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return ("1" if operator == "AND" else "0"), []
    return "(" + f" {operator} ".join(sql for sql, _p in parts) + ")", [p for _s, ps in parts for p in ps]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric(column: str, operator: str, placeholder: str = "?") -> str:
    """Only cells holding a digit compare as numbers, so '' (or 'n/a') never matches."""
    return f"({column} GLOB '*[0-9]*' AND CAST(REPLACE({column}, ',', '.') AS REAL) {operator} {placeholder})"


def _in_list(count: int) -> str:
    return "(" + ", ".join(["?"] * count) + ")"


class _Compiler:
    def __init__(self, fields: frozenset[str], today: date) -> None:
        self.fields, self.today = fields, today

    def condition(self, node: object, path: Path) -> Sql:
        if not isinstance(node, Mapping):
            raise SegmentError(path, _("a condition is a mapping, such as 'city: Nantes'"))
        return _join([self.entry(key, value, (*path, key)) for key, value in node.items()], "AND")

    def entry(self, key: object, value: object, path: Path) -> Sql:
        if key in ("all", "any") and isinstance(value, list):
            items = [self.condition(item, (*path, index)) for index, item in enumerate(value)]
            return _join(items, "AND" if key == "all" else "OR")
        if key == "not":
            sql, params = self.condition(value, path)
            return f"(NOT {sql})", params
        column = self.column(key, path)
        if isinstance(value, Mapping):
            return _join([self.operator(column, op, arg, (*path, op)) for op, arg in value.items()], "AND")
        return self.equals(column, value, path)

    def column(self, key: object, path: Path) -> str:
        if isinstance(key, str) and key in self.fields:
            return quote(key)
        close = difflib.get_close_matches(str(key), sorted(self.fields), n=1)
        hint = (_("did you mean '{field}'?").format(field=close[0]) if close else
                _("its columns are: {fields}").format(fields=", ".join(sorted(self.fields))))
        raise SegmentError(path, _("'{field}' is not a column of the contacts; {hint}").format(
            field=key, hint=hint))

    def equals(self, column: str, value: object, path: Path) -> Sql:
        if value == "today":
            return self.birthday(column)
        if isinstance(value, bool):
            words = YES if value else NO
            return f"(lower(trim({column})) IN {_in_list(len(words))})", list(words)
        if _is_number(value):
            return _numeric(column, "="), [value]
        if isinstance(value, str | date):
            return f"({column} = ? COLLATE NOCASE)", [_text(value)]
        raise SegmentError(path, _("a field's value is a text, a number, true or false"))

    def birthday(self, column: str) -> Sql:
        days = [self.today.strftime("%m-%d")]
        if days == ["02-28"] and not calendar.isleap(self.today.year):
            days.append("02-29")
        return f"({column} {DATE_CELL} AND substr({column}, 6, 5) IN {_in_list(len(days))})", list(days)

    def operator(self, column: str, op: object, arg: object, path: Path) -> Sql:
        if op == "in" and isinstance(arg, list):
            return self.member(column, arg)
        if op == "contains" and isinstance(arg, str):
            return f"(instr(lower({column}), lower(?)) > 0)", [arg]
        if isinstance(op, str) and op in COMPARISONS:
            return self.compare(column, COMPARISONS[op], arg, path)
        if op == "within_days" and isinstance(arg, int) and not isinstance(arg, bool) and arg >= 0:
            since = self.today - timedelta(days=arg)
            return (f"({column} {DATE_CELL} AND substr({column}, 1, 10) BETWEEN ? AND ?)",
                    [since.isoformat(), self.today.isoformat()])
        raise SegmentError(path, _("'{op}: {arg}' is not a test; use one of {ops} "
                                   "(within_days takes a whole number of days)").format(
            op=op, arg=arg, ops=", ".join(OPERATORS)))

    def member(self, column: str, items: list[object]) -> Sql:
        if not items:
            return "0", []
        if all(_is_number(item) for item in items):
            return _numeric(column, "IN", _in_list(len(items))), list(items)
        return f"({column} COLLATE NOCASE IN {_in_list(len(items))})", [_text(item) for item in items]

    def compare(self, column: str, operator: str, value: object, path: Path) -> Sql:
        if _is_number(value):
            return _numeric(column, operator), [value]
        if isinstance(value, str | date) and _is_iso_date(_text(value)):
            return f"({column} {DATE_CELL} AND substr({column}, 1, 10) {operator} ?)", [_text(value)]
        raise SegmentError(path, _("'{value}' is neither a number nor a date; "
                                   "use a number or a date like 2026-01-31").format(value=value))


def _text(value: object) -> str:
    """A YAML date read by a plain YAML loader compares as its ISO text."""
    return value.isoformat()[:10] if isinstance(value, date) else str(value)


def _is_iso_date(text: str) -> bool:
    try:
        return bool(ISO_DATE.fullmatch(text)) and date.fromisoformat(text) is not None
    except ValueError:
        return False
