"""`one-link`: exactly one link, with or without a scheme (one call to action, CCI sheet)."""

from __future__ import annotations

from collections.abc import Iterator

from runner.diagnostics import Diagnostic
from runner.i18n import _
from runner.rules.context import Context
from runner.text import find_links, normalize, static_text

RULE = "one-link"


def check(ctx: Context) -> Iterator[Diagnostic]:
    for campaign in ctx.campaigns():
        links = find_links(normalize(static_text(campaign.message)))
        if not links:
            yield Diagnostic.at(campaign.doc.at("message"), RULE, _(
                "the message has no link; add the one link customers should open, "
                "e.g. maboutique.example/offre"))
        for extra in links[1:]:
            yield Diagnostic.at(campaign.doc.find(extra.text, "message"), RULE, _(
                "second link '{link}'; keep only one call to action ('{first}')").format(
                link=extra.text, first=links[0].text))
