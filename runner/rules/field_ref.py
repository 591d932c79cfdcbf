"""`field-ref`: every field a template, a segment or a contacts list names is in the file."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from runner.audience.columns import MissingColumn, column_plan
from runner.diagnostics import Diagnostic, Location
from runner.i18n import _
from runner.personalize import PROMO_FIELD, has_unique_code
from runner.project import Campaign, ContactList
from runner.rules.context import Context
from runner.text import parse_template

RULE = "field-ref"
COMBINATORS = ("all", "any", "not")


def condition_fields(condition: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """(field, key path inside `where`) for every field a segment condition tests."""
    if not isinstance(condition, dict):
        return
    for key, value in condition.items():
        if key in ("all", "any") and isinstance(value, list):
            for index, item in enumerate(value):
                yield from condition_fields(item, (*path, key, index))
        elif key == "not":
            yield from condition_fields(value, (*path, key))
        else:
            yield key, (*path, key)


def _unknown(field: str, fields: frozenset[str], contacts: ContactList, where: Location) -> Diagnostic:
    close = difflib.get_close_matches(field, sorted(fields), n=1)
    hint = (_("did you mean '{field}'?").format(field=close[0]) if close else
            _("its columns are: {fields}").format(fields=", ".join(sorted(fields))))
    return Diagnostic.at(where, RULE, _("'{field}' is not a column of {file}; {hint}").format(
        field=field, file=contacts.doc.data["file"], hint=hint))


def check(ctx: Context) -> Iterator[Diagnostic]:
    project = ctx.project
    for campaign in ctx.campaigns():
        contacts = ctx.contacts_of(campaign)
        fields = ctx.fields(contacts) if contacts else None
        if contacts is None or fields is None:
            continue
        placeholders, _problems = parse_template(campaign.message)
        yield from _promo_placeholder(campaign, {p.field for p in placeholders})
        for placeholder in placeholders:
            if placeholder.field == PROMO_FIELD and campaign.promo_code:
                continue
            if placeholder.field not in fields:
                where = campaign.doc.find("{" + placeholder.field, "message")
                yield _unknown(placeholder.field, fields, contacts, where)
    for segment in project.segments.values():
        contacts = project.contact_lists.get(segment.contacts)
        fields = ctx.fields(contacts) if contacts else None
        if contacts is None or fields is None:
            continue
        for field, path in condition_fields(segment.where):
            if field not in fields:
                yield _unknown(field, fields, contacts, segment.doc.key_at("where", *path))
    yield from _declared_columns(ctx)


def _promo_placeholder(campaign: Campaign, used: set[str]) -> Iterator[Diagnostic]:
    if has_unique_code(campaign) and PROMO_FIELD not in used:
        yield Diagnostic.at(campaign.doc.at("promo_code"), RULE, _(
            "each recipient gets a unique promo code, but the message never shows it; "
            "write {promo_code} where the code goes"))


def _declared_columns(ctx: Context) -> Iterator[Diagnostic]:
    for contacts in ctx.project.contact_lists.values():
        table = ctx.tables.get(contacts.id)
        try:
            column_plan(contacts, table.header) if table else None
        except MissingColumn as err:
            yield Diagnostic.at(err.location(contacts), RULE, str(err))
