"""What one recipient's SMS says: the template rendered, the campaign link swapped for the
recipient's short link, the recipient's promo code filled in.

Tokens and codes have a fixed length and GSM-7 characters only, so the `length` rule and the
plan count a message exactly with placeholders (`WORST_CASE`) before any token exists."""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import regex

from runner.project import Campaign
from runner.settings import Settings
from runner.text import find_links, parse_template, render

TOKEN_ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 8  # 62^8: a guessed token hits a real one about once in 10^8 tries per 10^6 links
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud at a till
CODE_LENGTH = 6
PROMO_FIELD = "promo_code"
_PROMO_PLACEHOLDER = regex.compile(r"\{\s*promo_code\s*(?:\|[^{}]*)?\}")


@dataclass(frozen=True)
class Extras:
    """One recipient's short-link token and unique promo code (None when the campaign has none)."""

    link_token: str | None = None
    promo_code: str | None = None


WORST_CASE = Extras(link_token="x" * TOKEN_LENGTH)  # the promo code defaults to prefix + XXXXXX


def tracks_clicks(campaign: Campaign, settings: Settings) -> bool:
    return bool(settings.short_base_url and campaign_link(campaign))


def has_unique_code(campaign: Campaign) -> bool:
    return bool(campaign.promo_code and campaign.promo_code.unique)


def contact_fields(campaign: Campaign) -> list[str]:
    """The contacts columns the message reads ({promo_code} is ours, not the contact's)."""
    fields = {p.field for p in parse_template(campaign.message)[0]}
    return sorted(fields - {PROMO_FIELD} if campaign.promo_code else fields)


def _draw(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_extras(campaign: Campaign, settings: Settings) -> Extras:
    prefix = campaign.promo_code.prefix if campaign.promo_code else ""
    return Extras(_draw(TOKEN_ALPHABET, TOKEN_LENGTH) if tracks_clicks(campaign, settings) else None,
                  (prefix + _draw(CODE_ALPHABET, CODE_LENGTH)).upper()
                  if has_unique_code(campaign) else None)


def personalize(campaign: Campaign, settings: Settings, fields: Mapping[str, object | None],
                extras: Extras = WORST_CASE) -> str:
    """The text one recipient receives (with `WORST_CASE`: the one that counts for length)."""
    template = campaign.message
    promo = campaign.promo_code
    if promo is not None:  # substituted as is: a code is never a contact's untrusted value
        code = ((extras.promo_code or (promo.prefix + "X" * CODE_LENGTH).upper()) if promo.unique
                else promo.code or "")
        template = _PROMO_PLACEHOLDER.sub(lambda _match: code, template)
    text = render(template, fields)
    if settings.short_base_url and extras.link_token:  # a token exists only for a tracked link
        links = find_links(text)
        if len(links) == 1:
            link = links[0]
            text = text[:link.start] + short_link(settings, extras.link_token) + text[link.end:]
    return text


def counted_text(campaign: Campaign, settings: Settings, fields: Mapping[str, object | None]) -> str:
    """The worst-case text as the phone shows it: with what the provider appends itself."""
    from runner.providers import appended_stop  # providers import the project model, not us

    appended = appended_stop(settings, campaign.provider or settings.provider)
    return personalize(campaign, settings, fields) + (appended or "")


def short_link(settings: Settings, token: str) -> str:
    """Without its scheme: phones make `s.shop.fr/Ab3dE9xY` a link too, and 8 characters are
    5% of an SMS."""
    return f"{regex.sub(r'(?i)^https?://', '', settings.short_base_url or '').rstrip('/')}/{token}"


def campaign_link(campaign: Campaign) -> str | None:
    """The one link the campaign's own text carries, as a browser would open it."""
    return _link_in(campaign.message)


@lru_cache(maxsize=256)  # asked for every message the dispatcher sends
def _link_in(message: str) -> str | None:
    links = find_links(_PROMO_PLACEHOLDER.sub("", message))
    if len(links) != 1:
        return None
    url = links[0].text
    return url if regex.match(r"(?i)https?://", url) else "https://" + url


def with_utm(url: str, campaign_id: str) -> str:
    """The landing URL with UTM tags, so the shop's web analytics see the SMS too; tags the
    shop already set in the link win."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    tags = {"utm_source": "sms", "utm_medium": "sms", "utm_campaign": campaign_id}
    return urlunsplit(parts._replace(query=urlencode({**tags, **query})))
