"""Presets that map the columns of real contact exports (Shopify, WooCommerce, PrestaShop, Brevo) to ours.

Header matching ignores case, accents, spaces and punctuation: "Téléphone portable", "telephone_portable"
and "TELEPHONE-PORTABLE" are the same column. Candidates are tried in order; the first one present wins.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from runner.i18n import _


@dataclass(frozen=True)
class Preset:
    phone: tuple[str, ...]  # candidate columns for the mobile number, in priority order
    consent: tuple[str, ...] = ()  # candidate SMS-consent columns (yes/no-like values; yes means opt_in)
    consent_source: str | None = None  # where it was collected, e.g. "shopify:accepts_sms_marketing"
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # our field -> candidate columns


@dataclass(frozen=True)
class Columns:
    phone: str | None
    consent: str | None
    consent_source: str | None  # the preset's source, only when its consent column was found
    renames: dict[str, str]  # our field -> the file's column, only for columns present in the header


PRESETS: dict[str, Preset] = {
    # Any file written by hand or by a till; French and English names. No consent column is guessed.
    "generic": Preset(
        phone=("phone", "mobile", "portable", "téléphone portable", "téléphone mobile", "mobile phone",
               "gsm", "tel portable", "téléphone", "tel", "numéro de téléphone", "phone number", "numéro"),
        fields={"first_name": ("first_name", "prénom", "first name", "firstname"),
                "last_name": ("last_name", "nom", "last name", "lastname", "nom de famille"),
                "email": ("email", "courriel", "adresse e-mail"),
                "city": ("city", "ville", "commune"),
                "postcode": ("postcode", "code postal", "zip"),
                "birthday": ("birthday", "date de naissance", "anniversaire"),
                "tags": ("tags", "étiquettes")}),
    # Shopify admin > Customers > Export (help.shopify.com "Using CSV files to import and export
    # customers"; headers as seen in public migration scripts): the older export has "City"/"Zip", the
    # current one "Default Address City"/"Default Address Zip". "Phone" is the number "Accepts SMS
    # Marketing" (yes/no) is about, so it wins over the address's phone.
    "shopify": Preset(
        phone=("Phone", "Default Address Phone"),
        consent=("Accepts SMS Marketing",),
        consent_source="shopify:accepts_sms_marketing",
        fields={"first_name": ("First Name",), "last_name": ("Last Name",), "email": ("Email",),
                "city": ("Default Address City", "City"), "postcode": ("Default Address Zip", "Zip"),
                "country_code": ("Default Address Country Code", "Country Code"),
                "total_spent": ("Total Spent",), "orders_count": ("Total Orders",), "tags": ("Tags",),
                "note": ("Note",), "accepts_email_marketing": ("Accepts Email Marketing",)}),
    # WooCommerce user/order meta keys (woocommerce.com "Import and Export of WooCommerce Users":
    # billing_first_name, billing_phone, billing_city...; the same keys head the Customer/Order CSV
    # Export plugin's default format) and Analytics > Customers "Download" (Name, Email, Orders, Total
    # Spend, City, Postal code). WooCommerce has no SMS-consent field: no consent column.
    "woocommerce": Preset(
        phone=("billing_phone", "shipping_phone", "phone"),
        fields={"first_name": ("billing_first_name", "first_name", "shipping_first_name"),
                "last_name": ("billing_last_name", "last_name", "shipping_last_name"),
                "email": ("billing_email", "user_email", "email"),
                "city": ("billing_city", "shipping_city", "city"),
                "postcode": ("billing_postcode", "shipping_postcode", "postal code"),
                "country_code": ("billing_country",),
                "total_spent": ("total_spent", "total spend", "money_spent"),
                "orders_count": ("order_count", "orders_count", "orders")}),
    # PrestaShop 1.7/8: address fields (devdocs.prestashop-project.org webservice "addresses": phone,
    # phone_mobile, firstname, lastname, postcode, city), their French back-office labels ("Téléphone
    # portable", "Prénom", "Nom", "Code postal", "Ville") and the customers list export ("Adresse e-mail",
    # "Ventes", "Lettre d'informations", "Offres partenaires", "Date d'inscription", "Dernière visite").
    # Its "optin"/"Offres partenaires" is consent to *partners'* offers and "newsletter" to e-mails, so
    # neither is SMS consent: both are kept as fields, and the list must name its consent column itself.
    "prestashop": Preset(
        phone=("phone_mobile", "téléphone portable", "téléphone mobile", "mobile phone", "phone",
               "téléphone"),
        fields={"first_name": ("firstname", "prénom", "first name"),
                "last_name": ("lastname", "nom", "last name"),
                "email": ("email", "adresse e-mail", "email address"),
                "city": ("city", "ville"), "postcode": ("postcode", "code postal", "zip/postal code"),
                "company": ("company", "société"), "birthday": ("birthday", "date de naissance"),
                "total_spent": ("total_spent", "ventes", "sales"),
                "newsletter": ("newsletter", "lettre d'informations", "news."),
                "partner_offers": ("optin", "opt-in", "offres partenaires", "partner offers", "opt."),
                "registered": ("date_add", "date d'inscription", "registration"),
                "last_visit": ("dernière visite", "last visit")}),
    # Brevo (help.brevo.com "Create a file to import your contacts" and contact export): default
    # attributes EMAIL, SMS, FIRSTNAME, LASTNAME, named PRENOM and NOM in French accounts; the
    # export's SMS blacklist flag (smsBlacklisted in the API). That flag is an opt-OUT: "yes" means
    # no SMS, so it must never be read as consent; it is kept as the field `sms_blacklisted`.
    "brevo": Preset(
        phone=("SMS",),
        fields={"first_name": ("FIRSTNAME", "PRENOM"), "last_name": ("LASTNAME", "NOM"),
                "email": ("EMAIL",),
                "sms_blacklisted": ("SMS_BLACKLISTED", "SMS_BLOCKLISTED", "SMS_BLACKLIST", "BLACKLISTED_SMS"),
                "email_blacklisted": ("EMAIL_BLACKLISTED", "EMAIL_BLOCKLISTED")}),
}


def _key(name: str) -> str:
    """The form two column names are compared in: no case, no accents, letters and digits only."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", name).casefold() if ch.isalnum())


def resolve(format: str, header: Sequence[str]) -> Columns:
    """Which of the file's columns hold the phone, the consent and our fields, for this export format."""
    try:
        preset = PRESETS[format]
    except KeyError:
        raise ValueError(_("unknown format '{format}'; use one of: {known}").format(
            format=format, known=", ".join(PRESETS))) from None
    by_key: dict[str, str] = {}
    for name in header:
        by_key.setdefault(_key(name), name)  # the first of two look-alike columns wins
    taken: set[str] = set()

    def find(candidates: Sequence[str]) -> str | None:
        for column in (by_key.get(_key(candidate)) for candidate in candidates):
            if column is not None and column not in taken:
                taken.add(column)
                return column
        return None

    phone, consent = find(preset.phone), find(preset.consent)
    renames = {name: column for name, candidates in preset.fields.items() if (column := find(candidates))}
    return Columns(phone, consent, preset.consent_source if consent else None, renames)
