"""`smsops forget NUMBER`: GDPR erasure of one person, who stays suppressed by hash only."""

from __future__ import annotations

import csv
import io
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from runner import optout
from runner.phones import Phone
from runner.store import transaction


@dataclass
class Erased:
    contacts_rows: int = 0
    messages_anonymised: int = 0
    events_cleared: int = 0
    simulator_rows: int = 0
    rejected_rows: int = 0
    suppressed: bool = False
    files_to_edit: list[str] = field(default_factory=list)  # sources in git we cannot change


def forget(phone: Phone, phone_hash: str, now: datetime, *, results: sqlite3.Connection,
           contacts: sqlite3.Connection, root: Path, simulator: Path | None) -> Erased:
    erased = Erased()
    erased.files_to_edit = sorted({f"{list_id}, line {line}" for list_id, line in contacts.execute(
        "SELECT _list, _line FROM contacts WHERE _phone = ? OR _hash = ?", (phone.e164, phone_hash))})
    with transaction(contacts):
        erased.contacts_rows = contacts.execute(
            "DELETE FROM contacts WHERE _phone = ? OR _hash = ?", (phone.e164, phone_hash)).rowcount
    erased.suppressed = optout.add(results, phone_hash, now, source="forget", channel="gdpr")
    with transaction(results):
        ids = [row[0] for row in results.execute("SELECT id FROM messages WHERE phone_hash = ?",
                                                 (phone_hash,))]
        for message in ids:  # the KPIs keep the message; nothing in it points to the person
            results.execute("UPDATE messages SET phone_hash = ?, phone_masked = 'erased', "
                            "region = NULL WHERE id = ?", (f"erased:{uuid.uuid4().hex}", message))
            erased.events_cleared += results.execute(
                "UPDATE message_events SET detail = '' WHERE message_id = ? AND detail != ''",
                (message,)).rowcount
        erased.messages_anonymised = len(ids)
    if simulator is not None and simulator.is_file():
        outbox = sqlite3.connect(simulator)
        erased.simulator_rows = outbox.execute("DELETE FROM outbox WHERE sent_to = ?",
                                               (phone.e164,)).rowcount
        outbox.commit()
        outbox.close()
    erased.rejected_rows = _scrub_rejected(root / "rejected", phone)
    return erased


def _scrub_rejected(folder: Path, phone: Phone) -> int:
    """Rejected-rows reports hold the values as written: drop the person's lines."""
    removed = 0
    national = phone.e164.replace("+33", "0")
    digits = {phone.e164[1:], national[1:]}
    for report in folder.glob("*.csv") if folder.is_dir() else ():
        rows = list(csv.reader(report.open(encoding="utf-8")))
        kept = [r for r in rows if not (len(r) > 2 and "".join(filter(str.isdigit, r[2]))
                                        .lstrip("0") in {d.lstrip("0") for d in digits})]
        removed += len(rows) - len(kept)
        buffer = io.StringIO()
        csv.writer(buffer).writerows(kept)
        report.write_text(buffer.getvalue(), encoding="utf-8")
    return removed
