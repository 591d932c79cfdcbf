"""Which column of a contacts file holds what: the list's settings first, then its format preset."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from runner.audience.formats import resolve
from runner.diagnostics import Location
from runner.i18n import _
from runner.project import ContactList

FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class MissingColumn(ValueError):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key  # the key of the list's YAML that names the column (e.g. columns.city)

    def location(self, contacts: ContactList) -> Location:
        keys = self.key.split(".")
        return contacts.doc.at(*keys) if keys[0] in contacts.doc.data else contacts.doc.at("file")


@dataclass(frozen=True)
class ColumnPlan:
    phone: str
    consent: str | None
    consent_date: str | None
    consent_source: str | None  # a column, unless the list declares consent_basis
    source_label: str | None  # where consent was collected, for the whole list
    fields: dict[str, str]  # field name -> the file's column; every column, renamed where asked


def column_plan(contacts: ContactList, header: Sequence[str]) -> ColumnPlan:
    """Raises MissingColumn when a column the list (or its preset) needs is not in the file."""
    declared = contacts.doc.data
    preset = resolve(contacts.format, header)
    phone = contacts.phone if "phone" in declared else (preset.phone or contacts.phone)
    consent = contacts.consent if "consent" in declared else preset.consent
    source = contacts.consent_source if contacts.consent_basis is None else None
    renames = {**preset.renames, **dict(contacts.columns)}
    needed = {"phone": phone, "consent": consent, "consent_date": contacts.consent_date,
              "consent_source": source, **{f"columns.{k}": v for k, v in contacts.columns}}
    for key, column in needed.items():
        if column is not None and column not in header:
            raise MissingColumn(key, _(
                "'{column}' is not a column of {file} (its columns: {columns}); fix `{key}:` in "
                "{yaml}").format(column=column, file=contacts.file.name, key=key.split(".")[0],
                                 columns=", ".join(header), yaml=contacts.doc.path))
    # Every column keeps its own name too, unless a renamed field takes it (SQLite column names
    # ignore case, so "Email" and "email" would be one column).
    fields = dict(renames)
    taken = {name.casefold() for name in fields}
    fields.update({name: name for name in header if name and name.casefold() not in taken})
    label = contacts.consent_source if contacts.consent_basis else preset.consent_source
    return ColumnPlan(phone, consent, contacts.consent_date, source, label, fields)
