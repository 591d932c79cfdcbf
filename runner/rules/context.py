"""What every rule sees: the loaded project, the clock, the changed files, the contact rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from runner.audience.reader import ReadError, Table
from runner.project import Campaign, ContactList, Project


@dataclass(frozen=True)
class Context:
    project: Project
    now: datetime
    changed: frozenset[str]
    tables: Mapping[str, Table]  # contacts list id -> rows, for the lists that could be read
    unreadable: Mapping[str, ReadError]  # contacts list id -> why its file could not be read

    def campaigns(self) -> Iterator[Campaign]:
        yield from self.project.campaigns.values()

    def contacts_of(self, campaign: Campaign) -> ContactList | None:
        segment = self.project.segments.get(campaign.segment)
        return self.project.contact_lists.get(segment.contacts) if segment else None

    def fields(self, contacts: ContactList) -> frozenset[str] | None:
        """Field names a template or a segment may use; None when the file could not be read."""
        table = self.tables.get(contacts.id)
        if table is None:
            return None
        renamed = dict(contacts.columns)
        return frozenset(renamed) | frozenset(table.header)

    def records(self, contacts: ContactList) -> Iterator[tuple[int, dict[str, str]]]:
        """Each row as field -> text, with the list's column renames applied."""
        table = self.tables.get(contacts.id)
        for line, row in table.rows if table else ():
            record = dict(row)
            record.update({ours: row.get(theirs, "") for ours, theirs in contacts.columns})
            yield line, record
