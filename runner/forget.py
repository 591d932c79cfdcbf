"""`smsops forget NUMBER`: GDPR erasure of one person, who stays suppressed by hash only.

The person's messages are anonymised exactly as `purge` anonymises old ones, their webhook calls
deleted, and every database is wiped as `purge` wipes it (secure_delete, VACUUM, WAL truncated),
so no form of the number survives in the files' bytes."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from runner import optout
from runner.phones import EXCEL_DECIMAL, SCIENTIFIC, InvalidPhone, Phone, parse_phone
from runner.purge import anonymise, begin_erasure, end_erasure
from runner.store import open_store

# Provider calls that name one of the person's messages (our reference or the provider's id).
WEBHOOK_CALLS = """DELETE FROM webhook_calls WHERE EXISTS (SELECT 1 FROM messages AS m
    WHERE m.phone_hash = :hash AND (instr(webhook_calls.params || webhook_calls.body, m.id)
    OR (m.provider_id != '' AND instr(webhook_calls.params || webhook_calls.body, m.provider_id))))"""


@dataclass
class Erased:
    contacts_rows: int = 0
    messages_anonymised: int = 0
    events_cleared: int = 0
    webhook_calls: int = 0
    simulator_rows: int = 0
    rejected_rows: int = 0
    suppressed: bool = False
    files_to_edit: list[str] = field(default_factory=list)  # sources in git we cannot change

    @property
    def found(self) -> bool:
        return bool(self.contacts_rows or self.messages_anonymised or self.simulator_rows
                    or self.rejected_rows)


def forget(phone: Phone, phone_hash: str, now: datetime, *, results: Path, contacts: Path,
           root: Path, simulator: Path | None) -> Erased:
    erased = Erased()
    store = open_store(results).conn  # suppressed first: whatever fails next, no SMS goes out
    erased.suppressed = optout.add(store, phone_hash, now, source="forget", channel="gdpr")
    store.close()
    private = begin_erasure(contacts)
    try:
        rows = [(list_id, line) for list_id, line, e164, hashed, raw in private.execute(
            "SELECT _list, _line, _phone, _hash, _raw_phone FROM contacts "
            "WHERE _phone = ? OR _hash = ? OR _bucket != 'ok'", (phone.e164, phone_hash))
                if phone.e164 == e164 or hashed == phone_hash or _is(str(raw or ""), phone)]
        erased.files_to_edit = sorted({f"{list_id}, line {line}" for list_id, line in rows})
        private.executemany("DELETE FROM contacts WHERE _list = ? AND _line = ?", rows)
        erased.contacts_rows = len(rows)
        end_erasure(private)
    finally:
        private.close()
    db = begin_erasure(results)
    try:
        erased.webhook_calls = db.execute(WEBHOOK_CALLS, {"hash": phone_hash}).rowcount
        done = anonymise(db, "phone_hash = :hash", {"hash": phone_hash}, "erased")
        erased.messages_anonymised, erased.events_cleared = done.messages, done.payloads
        end_erasure(db)
    finally:
        db.close()
    erased.simulator_rows = _simulator(simulator, phone)
    erased.rejected_rows = _scrub_rejected(root / "rejected", phone)
    return erased


def _simulator(outbox: Path | None, phone: Phone) -> int:
    if outbox is None or not outbox.is_file():
        return 0
    db = begin_erasure(outbox)
    try:
        count = int(db.execute("DELETE FROM outbox WHERE sent_to = ?", (phone.e164,)).rowcount)
        end_erasure(db)
        return count
    finally:
        db.close()


def _spelled(cell: str) -> str:
    """A number as Excel may have written it (6,39980006E+08, 639980006.0) in plain digits."""
    text = cell.strip()
    if SCIENTIFIC.fullmatch(text) or EXCEL_DECIMAL.fullmatch(text):
        try:
            return format(Decimal(text.replace(",", ".")).to_integral_value(), "f")
        except InvalidOperation:
            return text
    return text


def _is(cell: str, phone: Phone) -> bool:
    """The cell is the person's number, in whatever form it was written."""
    if sum(c.isdigit() for c in cell) < 6:
        return False
    try:
        return parse_phone(_spelled(cell), phone.region, allow_fictional=True).e164 == phone.e164
    except InvalidPhone:
        return False


def _scrub_rejected(folder: Path, phone: Phone) -> int:
    """Rejected-rows reports hold the values as written: drop the person's lines."""
    removed = 0
    for report in sorted(folder.glob("*.csv")) if folder.is_dir() else ():
        rows = list(csv.reader(report.open(encoding="utf-8")))
        kept = [row for row in rows if not any(_is(cell, phone) for cell in row)]
        if len(kept) == len(rows):
            continue
        removed += len(rows) - len(kept)
        buffer = io.StringIO()
        csv.writer(buffer).writerows(kept)
        report.write_text(buffer.getvalue(), encoding="utf-8")
    return removed
