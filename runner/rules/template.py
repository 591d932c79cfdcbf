"""`template`: placeholders are `{field}` or `{field|fallback}`, and a fallback is plain text."""

from __future__ import annotations

from collections.abc import Iterator

from runner.diagnostics import Diagnostic
from runner.i18n import _
from runner.rules.context import Context
from runner.text import parse_template, safe_value

RULE = "template"


def check(ctx: Context) -> Iterator[Diagnostic]:
    for campaign in ctx.campaigns():
        placeholders, problems = parse_template(campaign.message)
        for problem in problems:
            snippet = campaign.message[problem.start:problem.start + 12].split("\n")[0]
            yield Diagnostic.at(campaign.doc.find(snippet, "message"), RULE, problem.message)
        for placeholder in placeholders:
            fallback = placeholder.fallback
            if fallback and safe_value(fallback) != " ".join(fallback.split()):
                yield Diagnostic.at(campaign.doc.find("|" + fallback, "message"), RULE, _(
                    "the fallback '{fallback}' may not hold a link, a line break, STOP or a "
                    "number; use a plain word such as 'Bonjour'").format(fallback=fallback))
