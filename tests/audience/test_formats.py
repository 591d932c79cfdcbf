"""runner/audience/formats.py: presets resolve the header rows real exports write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.audience.formats import PRESETS, Columns, resolve
from runner.audience.reader import open_rows

SHOPIFY = ("Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,"
           "Default Address Address1,Default Address Address2,Default Address City,"
           "Default Address Province Code,Default Address Country Code,Default Address Zip,"
           "Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,Tax Exempt,Tags")
SHOPIFY_OLD = ("First Name,Last Name,Email,Accepts Email Marketing,Company,Address1,Address2,City,Province,"
               "Province Code,Country,Country Code,Zip,Phone,Accepts SMS Marketing,Total Spent,Total Orders,"
               "Tags,Note,Tax Exempt")
WOOCOMMERCE = ("customer_id,first_name,last_name,user_login,email,date_registered,billing_first_name,"
               "billing_last_name,billing_company,billing_email,billing_phone,billing_address_1,billing_postcode,"
               "billing_city,billing_country,shipping_phone,total_spent,order_count")
PRESTASHOP = "id_customer;firstname;lastname;email;phone;phone_mobile;postcode;city;newsletter;optin"
PRESTASHOP_FR = ("ID;Titre;Prénom;Nom;Adresse e-mail;Ventes;Activé;Lettre d'informations;Offres partenaires;"
                 "Date d'inscription;Dernière visite")
BREVO = "CONTACT ID;EMAIL;PRENOM;NOM;SMS;EMAIL_BLACKLISTED;SMS_BLACKLISTED;ADDED_TIME;MODIFIED_TIME"


def test_presets_are_the_formats_the_schema_allows():
    schema = json.loads((Path(__file__).parents[2] / "runner/schemas/contacts.schema.json").read_text())
    assert list(PRESETS) == schema["properties"]["format"]["enum"]


def test_shopify_current_export():
    assert resolve("shopify", SHOPIFY.split(",")) == Columns(
        phone="Phone", consent="Accepts SMS Marketing", consent_source="shopify:accepts_sms_marketing",
        renames={"first_name": "First Name", "last_name": "Last Name", "email": "Email",
                 "city": "Default Address City", "postcode": "Default Address Zip",
                 "country_code": "Default Address Country Code", "total_spent": "Total Spent",
                 "orders_count": "Total Orders", "tags": "Tags", "note": "Note",
                 "accepts_email_marketing": "Accepts Email Marketing"})


def test_shopify_older_export():
    columns = resolve("shopify", SHOPIFY_OLD.split(","))
    assert (columns.phone, columns.consent) == ("Phone", "Accepts SMS Marketing")
    assert (columns.renames["city"], columns.renames["postcode"]) == ("City", "Zip")


def test_woocommerce_billing_columns_and_no_consent():
    columns = resolve("woocommerce", WOOCOMMERCE.split(","))
    assert (columns.phone, columns.consent, columns.consent_source) == ("billing_phone", None, None)
    assert columns.renames == {
        "first_name": "billing_first_name", "last_name": "billing_last_name", "email": "billing_email",
        "city": "billing_city", "postcode": "billing_postcode", "country_code": "billing_country",
        "total_spent": "total_spent", "orders_count": "order_count"}


def test_woocommerce_plugin_labels_match_meta_keys():
    columns = resolve("woocommerce", ["Billing First Name", "Billing Phone", "Billing City"])
    assert (columns.phone, columns.renames) == ("Billing Phone", {"first_name": "Billing First Name",
                                                                  "city": "Billing City"})


def test_prestashop_prefers_the_mobile_and_never_reads_partner_offers_as_consent():
    columns = resolve("prestashop", PRESTASHOP.split(";"))
    assert (columns.phone, columns.consent) == ("phone_mobile", None)
    assert columns.renames["partner_offers"] == "optin"
    assert columns.renames["newsletter"] == "newsletter"


def test_prestashop_french_back_office_labels():
    columns = resolve("prestashop", [*PRESTASHOP_FR.split(";"), "Téléphone portable", "Ville"])
    assert columns.phone == "Téléphone portable"
    assert {k: columns.renames[k] for k in ("first_name", "last_name", "email", "city", "total_spent")} == {
        "first_name": "Prénom", "last_name": "Nom", "email": "Adresse e-mail", "city": "Ville",
        "total_spent": "Ventes"}
    assert columns.renames["partner_offers"] == "Offres partenaires"


def test_brevo_blacklist_is_a_field_not_consent():
    columns = resolve("brevo", BREVO.split(";"))
    assert (columns.phone, columns.consent) == ("SMS", None)
    assert columns.renames == {"first_name": "PRENOM", "last_name": "NOM", "email": "EMAIL",
                               "sms_blacklisted": "SMS_BLACKLISTED", "email_blacklisted": "EMAIL_BLACKLISTED"}


@pytest.mark.parametrize(("header", "phone"), [
    (["Prénom", "Téléphone"], "Téléphone"),
    (["NOM", "PRENOM", "TEL PORTABLE"], "TEL PORTABLE"),
    (["Téléphone", "Portable"], "Portable"),  # the mobile before a possibly fixed line
    (["phone", "Téléphone"], "phone"),
    (["name", "city"], None),
])
def test_generic_phone_candidates(header, phone):
    columns = resolve("generic", header)
    assert (columns.phone, columns.consent, columns.consent_source) == (phone, None, None)


def test_matching_ignores_case_accents_spaces_and_underscores():
    columns = resolve("shopify", ["first_name", "PHONE", "accepts_sms_marketing", "  Total  spent "])
    assert (columns.phone, columns.consent) == ("PHONE", "accepts_sms_marketing")
    assert columns.renames == {"first_name": "first_name", "total_spent": "  Total  spent "}
    assert resolve("generic", ["TELEPHONE", "prenom"]).renames == {"first_name": "prenom"}


def test_a_column_is_used_once():
    assert resolve("generic", ["Tel"]).renames == {}
    assert resolve("brevo", ["SMS", "SMS"]).phone == "SMS"


def test_unknown_format():
    with pytest.raises(ValueError, match="unknown format 'magento'; use one of: generic, shopify"):
        resolve("magento", ["phone"])


def test_a_shopify_export_read_and_resolved(tmp_path):
    path = tmp_path / "customers_export.csv"
    path.write_text(SHOPIFY + "\n" + ",".join(
        {"First Name": "Camille", "Phone": "+33639980001", "Accepts SMS Marketing": "yes"}.get(name, "")
        for name in SHOPIFY.split(",")) + "\n", encoding="utf-8")
    with open_rows(path) as rows:
        columns = resolve("shopify", rows.header)
        [(line, cells)] = list(rows)
    row = dict(zip(rows.header, cells, strict=True))
    assert (line, row[columns.phone], row[columns.consent], row[columns.renames["first_name"]]) == (
        2, "+33639980001", "yes", "Camille")
