"""Read an order export (CSV with , ; or tab in any usual encoding, or XLSX) into orders.

Amounts may be written `57,00`, `1 234,50 €` or `42.50`; dates ISO 8601 (`2027-01-09 15:02`,
Shopify's `2027-01-09 15:02:26 +0100`) or French `09/01/2027 15:02`, in the project time zone
unless an offset is given. A file without order numbers gets a stable one per row (from its line
and cells: two identical rows are two orders, a re-import of the file finds the same ones)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from runner.audience.reader import ReadError, open_rows
from runner.diagnostics import Diagnostic, SmsopsError
from runner.i18n import _
from runner.order_presets import PRESETS, OrderColumns, columns, detect, split_codes

RULE = "conversions"
# A plain decimal amount, its currency sign and spaces removed: 42, 42.50, 42,50, 1.234,50.
AMOUNT = re.compile(r"-?(?:\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,]\d+)?")
FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


@dataclass(frozen=True)
class Order:
    line: int
    order_id: str
    codes: tuple[str, ...]
    at: datetime
    amount: float | None


@dataclass(frozen=True)
class OrderFile:
    preset: str
    rows: int
    orders: list[Order]
    without_code: int


def _fail(file: str, line: int, message: str) -> SmsopsError:
    return SmsopsError(Diagnostic(file, line, 1, "error", RULE, message))


def parse_amount(text: str) -> float | None:
    cleaned = re.sub(r"[\s\u00a0\u202f€]|EUR", "", text, flags=re.IGNORECASE)
    if not cleaned:
        return None
    if not AMOUNT.fullmatch(cleaned):  # float() would take nan, inf, 1_000
        raise ValueError(text)
    if "," in cleaned:  # the last of , and . is the decimal mark: 1.234,50 or 1,234.50
        thousands = "." if cleaned.rfind(",") > cleaned.rfind(".") else ","
        cleaned = cleaned.replace(thousands, "").replace(",", ".")
    return float(cleaned)


def parse_date(text: str, zone: ZoneInfo) -> datetime:
    if french := FRENCH_DATE.fullmatch(text.strip()):
        day, month, year, hour, minute, second = (int(v or 0) for v in french.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=zone)
    iso = re.sub(r"\s+([+-]\d{2}:?\d{2}|Z)$", r"\1", text.strip())  # Shopify: "... 15:02:26 +0100"
    value = datetime.fromisoformat(iso)
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def _grouped(rows: list[tuple[int, dict[str, str]]], cols: OrderColumns) -> dict[str, dict[str, str]]:
    """Rows of one order (Shopify: one per line item) merged: the first non-empty cell wins."""
    orders: dict[str, dict[str, str]] = {}
    for line, cells in rows:
        values = {"codes": cells[cols.codes], "date": cells[cols.date],
                  "amount": cells[cols.amount] if cols.amount else "", "line": str(line)}
        key = cells[cols.order_id] if cols.order_id else ""
        if not key:  # the line tells two identical orders apart; a re-import finds the same keys
            stable = "|".join(values[k].strip().upper() for k in ("line", "codes", "date", "amount"))
            key = "row:" + hashlib.sha256(stable.encode()).hexdigest()[:16]
        merged = orders.setdefault(key, {})
        for name, value in values.items():
            if value and not merged.get(name):
                merged[name] = value
    return orders


def _order(file: str, key: str, cells: Mapping[str, str], cols: OrderColumns,
           zone: ZoneInfo) -> Order:
    line = int(cells["line"])
    try:
        at = parse_date(cells.get("date", ""), zone)
    except ValueError:
        raise _fail(file, line, _("column '{column}': '{value}' is not a date; write it as "
                                  "2027-01-09 15:02 or 09/01/2027 15:02").format(
            column=cols.date, value=cells.get("date", ""))) from None
    try:
        amount = parse_amount(cells.get("amount", ""))
    except ValueError:
        raise _fail(file, line, _("column '{column}': '{value}' is not an amount; write it as "
                                  "42.50 or 42,50 €").format(
            column=cols.amount, value=cells.get("amount", ""))) from None
    return Order(line, key, tuple(split_codes(cells["codes"])), at, amount)


def read_orders(path: Path, preset: str | None, zone: ZoneInfo, display: str) -> OrderFile:
    try:
        with open_rows(path, phone_column="code") as reader:
            header = reader.header
            cols = columns(preset, header) if preset else detect(header)
            if cols is None:
                wanted = PRESETS[preset or "generic"]
                raise _fail(display, 1, _(
                    "no {what} columns in the header ({header}); export the orders with a promo "
                    "code column ({codes}) and a date column ({dates}), or write a CSV with "
                    "code,date,amount and pass --preset generic").format(
                    what=preset or "known order-export", header=", ".join(header),
                    codes=" / ".join(wanted.codes), dates=" / ".join(wanted.date)))
            rows = [(line, dict(zip(header, cells, strict=False))) for line, cells in reader]
    except ReadError as err:
        raise _fail(display, err.line, str(err)) from None
    grouped = _grouped(rows, cols)
    orders = [_order(display, key, cells, cols, zone) for key, cells in grouped.items() if cells.get("codes")]
    return OrderFile(cols.preset, len(rows), orders, len(grouped) - len(orders))
