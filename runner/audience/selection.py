"""A campaign's segment over the private contacts database, as SQL; opt-outs come from the
results database (attached read-only), so that no clear number ever goes the other way."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from runner.audience.importer import fingerprint
from runner.audience.segments import SegmentError, compile_where
from runner.diagnostics import Diagnostic, SmsopsError
from runner.i18n import _
from runner.project import Campaign, ContactList, Project


@dataclass(frozen=True)
class Selection:
    contacts: ContactList
    scope: str  # SQL condition over `contacts`: this list and this segment
    params: list[object]


class Audience:
    def __init__(self, project: Project, db: sqlite3.Connection) -> None:
        self.project, self.db = project, db
        self.opted_out = _attach_optouts(db, project.root / project.settings.database)
        self.recipient = f"_bucket = 'ok' AND NOT {self.opted_out}"  # SQL: a row we may send to

    def select(self, campaign: Campaign, day: date) -> Selection:
        """The campaign's segment on `day` (which `birthday: today` and `within_days` use)."""
        segment = self.project.segments[campaign.segment]
        contacts = self.project.contact_lists[segment.contacts]
        fields = self._imported_fields(contacts)
        try:
            where, params = compile_where(segment.where, fields, day)
        except SegmentError as err:
            raise SmsopsError(Diagnostic.at(segment.doc.key_at("where", *err.path), "field-ref",
                                            str(err))) from None
        return Selection(contacts, f"_list = ? AND ({where})", [contacts.id, *params])

    def _imported_fields(self, contacts: ContactList) -> list[str]:
        row = self.db.execute("SELECT fingerprint, fields FROM imports WHERE list = ?",
                              (contacts.id,)).fetchone()
        if row is None or row[0] != fingerprint(contacts):
            state = _("has not been imported") if row is None else _("changed since its import")
            raise SmsopsError(Diagnostic.at(contacts.doc.at("file"), "segment-ref", _(
                "{file} {state}; run smsops contacts import {id}").format(
                file=contacts.doc.data["file"], state=state, id=contacts.id)))
        return list(json.loads(row[1]))


def _attach_optouts(db: sqlite3.Connection, results: Path) -> str:
    """SQL that is true for an opted-out contact."""
    if results.is_file():
        attached = {row[1] for row in db.execute("PRAGMA database_list")}
        if "results" not in attached:
            db.execute("ATTACH DATABASE ? AS results", (f"file:{results}?mode=ro",))
        tables = {r[0] for r in db.execute("SELECT name FROM results.sqlite_master")}
        if "optouts" in tables:
            return "(_hash IN (SELECT phone_hash FROM results.optouts))"
    return "0"
