"""`smsops contacts import`: a contacts file into the private database, every row in one bucket."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from runner.audience import contacts_db
from runner.audience.columns import ColumnPlan, MissingColumn, column_plan
from runner.audience.parallel import ordered_map
from runner.audience.reader import ReadError, open_rows
from runner.diagnostics import Diagnostic, SmsopsError
from runner.i18n import _
from runner.phones import InvalidPhone, parse_phone, phone_hash
from runner.project import ContactList, Project

BASES = frozenset({"opt_in", "customer_soft_opt_in", "b2b"})
YES = frozenset({"yes", "oui", "true", "1", "x"})
FRENCH_DATE = re.compile(r"(\d{2})[/.](\d{2})[/.](\d{4})")
BUCKETS = ("ok", "invalid", "duplicate", "no_consent")
LEARN_DATES_ROWS = 1000


@dataclass(frozen=True)
class ImportReport:
    list_id: str
    file: str
    counts: dict[str, int]  # bucket -> rows
    rejected_file: Path | None

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def consent_basis(cell: str) -> str | None:
    value = cell.strip().lower()
    return value if value in BASES else "opt_in" if value in YES else None


def iso_date(cell: str) -> str:
    """French dates (31/12/2026) as ISO, so segments compare them; anything else unchanged."""
    found = FRENCH_DATE.fullmatch(cell) if len(cell) == 10 and cell[2] in "/." else None
    return f"{found.group(3)}-{found.group(2)}-{found.group(1)}" if found else cell


class _Rows:
    """Turns each input row into the values of one `contacts` row."""

    def __init__(self, contacts: ContactList, plan: ColumnPlan, header: tuple[str, ...],
                 allow_fictional: bool, key: str) -> None:
        self.contacts, self.plan, self.key, self.allow = contacts, plan, key, allow_fictional
        self.index = {column: i for i, column in enumerate(header)}
        self.field_index = [self.index[column] for column in plan.fields.values()]
        self.date_index: set[int] = set()  # positions in field_index of French-date columns
        self.learning = LEARN_DATES_ROWS

    def _fields(self, cells: list[str]) -> list[str]:
        values = [cells[i] for i in self.field_index]
        if self.learning:  # date columns are recognised on the first rows, then only they change
            self.learning -= 1
            self.date_index.update(i for i, v in enumerate(values) if iso_date(v) != v)
        for i in self.date_index:
            values[i] = iso_date(values[i])
        return values

    def _cell(self, cells: list[str], column: str | None) -> str:
        return cells[self.index[column]] if column is not None else ""

    def values(self, line: int, cells: list[str]) -> tuple[object, ...]:
        raw = cells[self.index[self.plan.phone]]
        basis = (self.contacts.consent_basis if self.plan.consent is None
                 else consent_basis(self._cell(cells, self.plan.consent)))
        try:
            phone = parse_phone(raw, self.contacts.region, allow_fictional=self.allow)
        except InvalidPhone as err:
            system: tuple[object, ...] = (None, None, None, "invalid", err.reason, None)
        else:
            no_consent = None if basis else _("no consent ({value})").format(
                value=repr(self._cell(cells, self.plan.consent)) if self.plan.consent else "")
            system = (phone.e164, phone.region, " ".join(phone.zones),
                      "no_consent" if no_consent else "ok", no_consent,
                      phone_hash(phone.e164, self.key))
        source = self._cell(cells, self.plan.consent_source) or self.plan.source_label
        return (self.contacts.id, line, raw, *system, basis,
                self._cell(cells, self.plan.consent_date) or None, source or None,
                *self._fields(cells))


def fingerprint(contacts: ContactList) -> str:
    """Changes when the contacts file or its YAML does (size and modification time of the file,
    so that a plan over 10^6 contacts need not re-read them)."""
    stat = contacts.file.stat()
    settings = hashlib.sha256("\n".join(contacts.doc.lines).encode()).hexdigest()[:16]
    return f"{stat.st_size}:{stat.st_mtime_ns}:{settings}"


def import_list(project: Project, contacts: ContactList, db: sqlite3.Connection, key: str,
                env: Mapping[str, str], rejected_dir: Path | None = None,
                progress: Callable[[int], None] | None = None) -> ImportReport:
    """Replace the list's rows in one transaction: a failed import leaves the old list intact."""
    settings = project.settings
    allow = settings.allow_fictional_numbers or settings.provider == "simulator"
    try:
        with open_rows(contacts.file, phone_column=contacts.phone, env=env) as rows:
            plan = column_plan(contacts, rows.header)
            converter = _Rows(contacts, plan, rows.header, allow, key)
            _replace(db, contacts, plan, _converted(rows, converter, progress))
    except ReadError as err:
        raise SmsopsError(Diagnostic.at(contacts.doc.at("file"), "segment-ref", _(
            "{file}: line {line}: {error}").format(file=contacts.file.name, line=err.line,
                                                  error=err))) from None
    except MissingColumn as err:
        raise SmsopsError(Diagnostic.at(err.location(contacts), "field-ref", str(err))) from None
    db.execute("INSERT OR REPLACE INTO imports VALUES (?, ?, ?, ?, ?)", (
        contacts.id, contacts.doc.data["file"], fingerprint(contacts),
        datetime.now(UTC).isoformat(timespec="seconds"), json.dumps(list(plan.fields))))
    counts = dict.fromkeys(BUCKETS, 0) | dict(db.execute(
        "SELECT _bucket, COUNT(*) FROM contacts WHERE _list = ? GROUP BY _bucket", (contacts.id,)))
    rejected = _write_rejected(db, contacts, rejected_dir) if rejected_dir else None
    return ImportReport(contacts.id, contacts.doc.data["file"], counts, rejected)


def _converted(rows: Iterable[tuple[int, list[str]]], converter: _Rows,
               progress: Callable[[int], None] | None) -> Iterator[tuple[object, ...]]:
    converted = ordered_map(lambda row: converter.values(*row), rows)
    for count, values in enumerate(converted, 1):
        if progress and count % 10_000 == 0:
            progress(count)
        yield values


def _replace(db: sqlite3.Connection, contacts: ContactList, plan: ColumnPlan,
             values: Iterator[tuple[object, ...]]) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        contacts_db.ensure_columns(db, plan.fields)
        db.execute("DELETE FROM contacts WHERE _list = ?", (contacts.id,))
        db.executemany(contacts_db.insert_sql(list(plan.fields)), values)
        for statement in contacts_db.MERGE_DUPLICATES:
            db.execute(statement, {"list": contacts.id} if ":list" in statement else ())
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def rejected_rows(db: sqlite3.Connection, list_id: str) -> Iterator[tuple[int, str, str, str]]:
    yield from db.execute(
        "SELECT _line, _raw_phone, _bucket, _reason FROM contacts "
        "WHERE _list = ? AND _bucket != 'ok' ORDER BY _line", (list_id,))


def _write_rejected(db: sqlite3.Connection, contacts: ContactList, folder: Path) -> Path | None:
    path = folder / f"{contacts.id}.csv"
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "line", "value", "bucket", "reason"])
        written = 0
        for line, value, bucket, reason in rejected_rows(db, contacts.id):
            writer.writerow([contacts.doc.data["file"], line, value, bucket, reason])
            written += 1
    if not written:
        path.unlink()
        return None
    return path
