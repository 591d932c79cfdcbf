"""`length`: the longest rendering over the real contacts fits `max_parts`; name what forces UCS-2."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from runner.diagnostics import Diagnostic
from runner.i18n import _
from runner.personalize import counted_text
from runner.project import Campaign
from runner.providers import provider_max_parts
from runner.rules.context import Context
from runner.text import parse_template, sms_parts, static_text, ucs2_characters, units

RULE = "length"


@dataclass(frozen=True)
class Rendering:
    text: str
    line: int | None  # line of the contacts file, None for the all-fallbacks rendering
    parts: int


def renderings(ctx: Context, campaign: Campaign) -> list[Rendering]:
    """The message for every contact of the campaign's list, plus the one with every fallback."""
    contacts = ctx.contacts_of(campaign)
    rows = list(ctx.records(contacts)) if contacts else []
    settings = ctx.project.settings
    texts: list[tuple[int | None, str]] = [(None, counted_text(campaign, settings, {}))]
    texts += [(line, counted_text(campaign, settings, record)) for line, record in rows]
    return [Rendering(text, line, sms_parts(text)[1]) for line, text in texts]


def check(ctx: Context) -> Iterator[Diagnostic]:
    for campaign in ctx.campaigns():
        if parse_template(campaign.message)[1]:
            continue  # the template rule reports it; nothing to render
        all_renderings = renderings(ctx, campaign)
        yield from _too_long(ctx, campaign, all_renderings)
        yield from _ucs2(ctx, campaign, all_renderings)


def _where_from(ctx: Context, campaign: Campaign, rendering: Rendering) -> str:
    contacts = ctx.contacts_of(campaign)
    if rendering.line is None or contacts is None:
        return _("with its fallbacks")
    return _("for the contact on line {line} of {file}").format(
        line=rendering.line, file=contacts.doc.data["file"])


def _limit(ctx: Context, campaign: Campaign) -> tuple[int, str]:
    """The parts allowed: max_parts, capped by what the campaign's provider takes; and its name."""
    settings = ctx.project.settings
    own = campaign.max_parts or settings.max_parts
    provider = campaign.provider or settings.provider
    taken = provider_max_parts(settings, provider)
    if taken < own:
        return taken, _("more than {provider} takes ({limit} parts at most)").format(
            provider=provider, limit=taken)
    return own, _("more than max_parts {limit}").format(limit=own)


def _too_long(ctx: Context, campaign: Campaign, found: list[Rendering]) -> Iterator[Diagnostic]:
    limit, over = _limit(ctx, campaign)
    longest = max(found, key=lambda r: (r.parts, units(r.text)))
    if longest.parts <= limit:
        return
    encoding, _parts = sms_parts(longest.text)
    capacity = (160 if encoding == "GSM-7" else 70) if limit == 1 else \
        limit * (153 if encoding == "GSM-7" else 67)
    yield Diagnostic.at(campaign.doc.at("message"), RULE, _(
        "the message takes {parts} SMS parts ({encoding}) {where}, {over}; "
        "shorten it by at least {excess} characters").format(
        parts=longest.parts, encoding=encoding, where=_where_from(ctx, campaign, longest),
        over=over, excess=units(longest.text) - capacity))


def _ucs2(ctx: Context, campaign: Campaign, found: list[Rendering]) -> Iterator[Diagnostic]:
    own = ucs2_characters(static_text(campaign.message))
    for char in own:
        yield Diagnostic.at(campaign.doc.find(char, "message"), RULE, _(
            "'{char}' (U+{code:04X}) is not in the GSM-7 alphabet, so every message is sent as "
            "UCS-2 (70 characters per SMS instead of 160); replace it").format(
            char=char, code=ord(char)), "warning")
    if own:
        return
    forced = [r for r in found if ucs2_characters(r.text)]
    if forced:
        chars = sorted({c for r in forced for c in ucs2_characters(r.text)})
        yield Diagnostic.at(campaign.doc.at("message"), RULE, _(
            "{count} contact(s) have {chars} in a field used by the message, which sends their "
            "SMS as UCS-2 (up to {parts} parts), e.g. {where}").format(
            count=len(forced), chars=", ".join(f"'{c}'" for c in chars),
            parts=max(r.parts for r in forced), where=_where_from(ctx, campaign, forced[0])),
            "warning")
