"""`advertiser-identity` (warning): the body names the advertiser, since networks may replace
the sender name with a short code."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from runner.diagnostics import Diagnostic
from runner.i18n import _
from runner.rules.context import Context
from runner.text import static_text

RULE = "advertiser-identity"


def folded(text: str) -> str:
    """Case, accents and spacing ignored: 'Maison  LILA' == 'maison lila'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def check(ctx: Context) -> Iterator[Diagnostic]:
    advertiser = ctx.project.settings.advertiser
    for campaign in ctx.campaigns():
        if folded(advertiser) not in folded(static_text(campaign.message)):
            yield Diagnostic.at(campaign.doc.at("message"), RULE, _(
                "the message does not name the advertiser; start it with '{name} :'").format(
                name=advertiser), "warning")
