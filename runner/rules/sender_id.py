"""`sender-id`: French operator rules for the name shown as sender (compliance.md §1.5)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

import phonenumbers

from runner.diagnostics import Diagnostic, Location
from runner.i18n import _
from runner.rules.context import Context

RULE = "sender-id"
ALPHANUMERIC = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9]{3,11}")
SHORT_CODE = re.compile(r"[3-8]\d{4}")
GENERIC = frozenset({
    "info", "infos", "sms", "alert", "alerte", "rdv", "payment", "paiement", "bank", "banque",
    "parcel", "colis", "appointment", "shop", "verify", "notice", "service", "promo", "test",
    "noreply", "livraison", "delivery", "otp", "code", "securite", "security", "mobile",
})


def problem(sender: str) -> str | None:
    """Why `sender` would be refused by French operators, or None."""
    if SHORT_CODE.fullmatch(sender):
        return None
    if _is_phone_number(sender):
        return _("a phone number may not be used as sender; use your brand name (3-11 letters "
                 "and digits) or your provider's short code")
    if sender.isdigit():
        return _("a numeric sender must be a 5-digit short code starting with 3-8, e.g. 36111")
    if not ALPHANUMERIC.fullmatch(sender):
        return _("'{sender}' must be 3-11 characters from A-Z, a-z, 0-9 with at least one letter,"
                 " without space, accent or punctuation, e.g. '{example}'").format(
            sender=sender, example=_suggest(sender))
    if sender.casefold() in GENERIC:
        return _("'{sender}' is a generic word operators block; use your brand name").format(
            sender=sender)
    return None


def _suggest(sender: str) -> str:
    ascii_only = unicodedata.normalize("NFKD", sender).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", ascii_only)[:11] or "MABOUTIQUE"


def _is_phone_number(sender: str) -> bool:
    digits = re.sub(r"[\s.+-]", "", sender)
    if not digits.isdigit() or len(digits) < 6:
        return False
    try:
        number = phonenumbers.parse(sender, "FR")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(number)


def check(ctx: Context) -> Iterator[Diagnostic]:
    settings = ctx.project.settings
    senders: list[tuple[str, Location]] = [(settings.sender, settings.doc.at("sender"))]
    senders += [(c.sender, c.doc.at("sender")) for c in ctx.campaigns() if c.sender]
    for sender, where in senders:
        if reason := problem(sender):
            yield Diagnostic.at(where, RULE, reason)
