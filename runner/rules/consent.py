"""`consent`: every contacts list says on which legal basis its people may receive SMS."""

from __future__ import annotations

from collections.abc import Iterator

from runner.diagnostics import Diagnostic
from runner.i18n import _
from runner.rules.context import Context

RULE = "consent"


def check(ctx: Context) -> Iterator[Diagnostic]:
    for contacts in ctx.project.contact_lists.values():
        doc = contacts.doc
        if contacts.consent is not None:
            continue
        if contacts.consent_basis is None:
            yield Diagnostic.at(doc.at(), RULE, _(
                "the list declares no consent; add `consent: <column>` naming the column that "
                "holds each person's consent, or `consent_basis:` and `consent_source:` for the "
                "whole list"))
        elif not contacts.consent_source:
            yield Diagnostic.at(doc.key_at("consent_basis"), RULE, _(
                "consent_basis needs consent_source, the proof of where consent was collected, "
                "e.g. consent_source: \"store:Nantes-paper-form-v3\""))
