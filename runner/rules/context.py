"""What every rule sees: the loaded project, the clock, the changed files, the contact rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from runner.audience.columns import ColumnPlan, MissingColumn, column_plan
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

    def columns(self, contacts: ContactList) -> ColumnPlan | None:
        """Which column holds what; None when the file could not be read or lacks a column."""
        table = self.tables.get(contacts.id)
        try:
            return column_plan(contacts, table.header) if table else None
        except MissingColumn:
            return None

    def fields(self, contacts: ContactList) -> frozenset[str] | None:
        """Field names a template or a segment may use; None when unknown."""
        plan = self.columns(contacts)
        return frozenset(plan.fields) if plan else None

    def records(self, contacts: ContactList) -> Iterator[tuple[int, dict[str, str]]]:
        """Each row as field -> text, under the field names (renames and presets applied)."""
        table, plan = self.tables.get(contacts.id), self.columns(contacts)
        if table is None or plan is None:
            return
        for line, row in table.rows:
            yield line, {field: row.get(column, "") for field, column in plan.fields.items()}
