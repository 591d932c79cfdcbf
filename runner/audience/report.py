"""What an import says on the terminal: the counts, then the rejected rows with their reasons."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from itertools import islice

from runner.audience.importer import ImportReport, rejected_rows
from runner.i18n import _
from runner.project import ContactList


def import_summary(report: ImportReport) -> str:
    counts = report.counts
    summary = _("{file}: {rows} rows: {ok} recipients, {invalid} invalid, {duplicate} duplicate, "
                "{no_consent} without consent").format(file=report.file, rows=report.rows, **counts)
    if report.rejected_file:
        summary += "\n" + _("rejected rows: {path}").format(path=report.rejected_file)
    return summary


def rejected_lines(report: ImportReport, db: sqlite3.Connection, contacts: ContactList,
                   limit: int) -> Iterator[str]:
    for line, value, bucket, reason in islice(rejected_rows(db, contacts.id), limit):
        yield f"{contacts.doc.data['file']}:{line}: {bucket}: {value!r}: {reason}"
    rest = report.rows - report.counts["ok"] - limit
    if rest > 0:
        yield _("... and {count} more").format(count=rest)
