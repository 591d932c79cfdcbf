"""`stop-mention`: the configured opt-out mention is written in the message itself."""

from __future__ import annotations

import re
from collections.abc import Iterator

from runner.diagnostics import Diagnostic
from runner.i18n import _
from runner.providers import STOP_SHORT_CODE, appended_stop
from runner.rules.context import Context
from runner.text import normalize, static_text
from runner.yamlfile import Document

RULE = "stop-mention"
ANY_STOP = re.compile(r"\b(STOP|ARR[EÊ]T)\b(?:\W+\w+){0,3}?\W+([3-8]\d{4})\b|\b(STOP|ARR[EÊ]T)\b",
                      re.IGNORECASE)


def mention_pattern(mention: str) -> re.Pattern[str]:
    """The mention, tolerant of case and spacing: 'STOP au 36111' matches 'stop  AU 36111'."""
    return re.compile(r"\s*".join(re.escape(word) for word in mention.split()), re.IGNORECASE)


def check(ctx: Context) -> Iterator[Diagnostic]:
    settings = ctx.project.settings
    mention = settings.stop_mention
    wanted = mention_pattern(mention)
    for campaign in ctx.campaigns():
        text = normalize(static_text(campaign.message))
        found = wanted.search(text)
        provider = campaign.provider or settings.provider
        appended = appended_stop(settings, provider)
        if appended:  # the provider ends every message with its own STOP: ours would repeat it
            own = found or ANY_STOP.search(text)
            if own:
                yield Diagnostic.at(campaign.doc.find(own.group().split()[0], "message"), RULE, _(
                    "{provider} adds '{appended}' to every message itself; remove the STOP "
                    "mention from the text, or it is printed (and paid for) twice").format(
                    provider=provider, appended=appended.strip()), "warning")
            continue
        own_code = STOP_SHORT_CODE.get(provider)
        if own_code and own_code not in mention:
            yield Diagnostic.at(campaign.doc.at("message"), RULE, _(
                "{provider} takes STOP replies on {code} only; set stop_mention: 'STOP au {code}' "
                "in smsops.yaml").format(provider=provider, code=own_code), "warning")
        if found is None:
            yield _missing(campaign.doc, text, mention)
        elif text[found.end():].strip(" .!"):
            yield Diagnostic.at(campaign.doc.find(found.group().split()[0], "message"), RULE, _(
                "put '{mention}' at the very end of the message; some networks reject "
                "marketing SMS where it is elsewhere").format(mention=mention), "warning")


def _missing(doc: Document, text: str, mention: str) -> Diagnostic:
    other = ANY_STOP.search(text)
    if other is None:
        return Diagnostic.at(doc.at("message"), RULE, _(
            "the message has no STOP mention; end it with '{mention}'").format(mention=mention))
    if other.group(2):
        return Diagnostic.at(doc.find(other.group().split()[0], "message"), RULE, _(
            "'{found}' names another short code; your provider's opt-out is '{mention}'").format(
            found=other.group(), mention=mention))
    return Diagnostic.at(doc.find(other.group().split()[0], "message"), RULE, _(
        "a bare '{found}' gives no number to reply to; write '{mention}'").format(
        found=other.group(), mention=mention))
