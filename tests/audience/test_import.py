"""`smsops contacts import`: every non-blank row in exactly one bucket, with its reason."""

import csv
import sqlite3

import pytest

from runner.audience import contacts_db
from runner.audience.importer import import_list
from runner.diagnostics import SmsopsError
from runner.phones import phone_hash
from runner.project import load_project
from tests.conftest import run_cli, write

KEY = "test-hash-key"


def do_import(project_dir, list_id="clients", **kwargs):
    project = load_project(project_dir)
    db = contacts_db.connect(project_dir / "contacts.db")
    report = import_list(project, project.contact_lists[list_id], db, KEY, {}, **kwargs)
    return report, db


def buckets(db, list_id="clients"):
    return {line: (bucket, reason) for line, bucket, reason in db.execute(
        "SELECT _line, _bucket, _reason FROM contacts WHERE _list = ? ORDER BY _line", (list_id,))}


def test_example_list_imports_ten_recipients(project_dir):
    report, db = do_import(project_dir)
    assert report.counts == {"ok": 10, "invalid": 0, "duplicate": 0, "no_consent": 2}
    assert buckets(db)[6] == ("no_consent", "no consent ('non')")
    assert buckets(db)[12] == ("no_consent", "no consent ('')")
    row = db.execute("SELECT _phone, _region, _timezone, _hash, _consent_basis, city, birthday "
                     "FROM contacts WHERE _line = 2").fetchone()
    assert row == ("+33639980001", "FR", "Europe/Paris", phone_hash("+33639980001", KEY),
                   "opt_in", "Nantes", "1988-03-14")


FRENCH_EXCEL = (
    "Téléphone;Prénom;Ville;Consentement;Anniversaire\r\n"
    "06 39 98 00 01;Amélie;Nantes;oui;14/03/1988\r\n"       # 2 ok, French date made ISO
    "6,39980002E+08;Bob;Nantes;oui;\r\n"                    # 3 Excel scientific notation
    "+33 6 39 98 00 01;Amélie bis;Nantes;oui;\r\n"          # 4 duplicate of line 2
    "01 99 00 12 34;Fixe;Paris;oui;\r\n"                    # 5 landline
    "639980003;Claire;Nantes;X;\r\n"                        # 6 leading 0 dropped by Excel: ok
    "appelez-moi;Denis;Nantes;oui;\r\n"                     # 7 letters
    ";Eve;Nantes;oui;\r\n"                                  # 8 empty phone
    "06.39.98.00.04;Fanny;Nantes;non;\r\n"                  # 9 no consent
    ";;;;\r\n"                                              # blank row: not counted
    "0639980005;Gérard;Nantes;customer_soft_opt_in;\r\n"    # 11 ok
)


def test_french_excel_export_lands_every_row_in_one_bucket(project_dir):
    (project_dir / "audiences" / "clients.csv").write_bytes(FRENCH_EXCEL.encode("cp1252"))
    write(project_dir / "audiences" / "clients.yaml", """
        kind: contacts
        file: clients.csv
        phone: Téléphone
        consent: Consentement
        columns:
          first_name: Prénom
          city: Ville
        """)
    report, db = do_import(project_dir)
    assert report.counts == {"ok": 3, "invalid": 4, "duplicate": 1, "no_consent": 1}
    found = buckets(db)
    assert found[2] == ("ok", None)
    assert found[3] == ("invalid", "Excel scientific notation '6,39980002E+08'; format the "
                                   "column as text and export again")
    assert found[4] == ("duplicate", "same number as line 2")
    assert found[5] == ("invalid", "not a mobile number (landline)")
    assert found[6] == ("ok", None)
    assert found[7] == ("invalid", "letters in the number")
    assert found[8] == ("invalid", "empty")
    assert found[9] == ("no_consent", "no consent ('non')")
    assert found[11] == ("ok", None)
    assert db.execute("SELECT first_name, Anniversaire FROM contacts WHERE _line = 2").fetchone() \
        == ("Amélie", "1988-03-14")


def test_duplicate_gives_its_consent_to_the_first_row(project_dir):
    write(project_dir / "audiences" / "clients.csv", """
        phone,consent,consent_date,consent_source
        06 39 98 00 01,,,
        +33639980001,opt_in,2026-01-02,store:Nantes
        """)
    report, db = do_import(project_dir)
    assert report.counts == {"ok": 1, "invalid": 0, "duplicate": 1, "no_consent": 0}
    assert db.execute("SELECT _line, _consent_basis, _consent_date, _consent_source FROM contacts "
                      "WHERE _bucket = 'ok'").fetchone() == (2, "opt_in", "2026-01-02", "store:Nantes")


def test_fictional_numbers_are_refused_with_a_real_provider(project_dir):
    settings = project_dir / "smsops.yaml"
    settings.write_text(settings.read_text().replace("provider: simulator", "provider: brevo"))
    report, db = do_import(project_dir)
    assert report.counts["invalid"] == 12
    assert buckets(db)[2][1].startswith("ARCEP fictional number")


def test_txt_list_uses_the_list_wide_consent(project_dir):
    write(project_dir / "audiences" / "salon.txt", "06 39 98 00 21\n\n0639980022\n")
    write(project_dir / "audiences" / "salon.yaml", """
        kind: contacts
        file: salon.txt
        consent_basis: opt_in
        consent_source: "event:salon-nantes-2026-form"
        """)
    report, db = do_import(project_dir, "salon")
    assert report.counts["ok"] == 2
    assert db.execute("SELECT DISTINCT _consent_basis, _consent_source FROM contacts WHERE "
                      "_list = 'salon'").fetchall() == [("opt_in", "event:salon-nantes-2026-form")]


def test_rejected_rows_are_written_to_csv(project_dir):
    report, _db = do_import(project_dir, rejected_dir=project_dir / "rejected")
    with report.rejected_file.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["file", "line", "value", "bucket", "reason"],
                    ["clients.csv", "6", "0639980005", "no_consent", "no consent ('non')"],
                    ["clients.csv", "12", "06 39 98 00 11", "no_consent", "no consent ('')"]]


def test_missing_phone_column_is_one_clear_error(project_dir):
    lst = project_dir / "audiences" / "clients.yaml"
    lst.write_text(lst.read_text().replace("phone: phone", "phone: mobile"))
    with pytest.raises(SmsopsError) as raised:
        do_import(project_dir)
    assert raised.value.diagnostic.render().startswith(
        "audiences/clients.yaml:6:8: error[field-ref]: 'mobile' is not a column of clients.csv")


def test_failed_import_leaves_the_previous_list_intact(project_dir, monkeypatch):
    _report, db = do_import(project_dir)
    import runner.audience.importer as importer

    calls = iter(range(100))

    def broken(raw, region, allow_fictional):
        if next(calls) == 5:
            raise RuntimeError("disk full")
        return real(raw, region, allow_fictional=allow_fictional)

    real = importer.parse_phone
    monkeypatch.setattr(importer, "parse_phone", broken)
    with pytest.raises(RuntimeError):
        do_import(project_dir)
    assert db.execute("SELECT COUNT(*) FROM contacts").fetchone() == (12,)


def test_cli_import_prints_counts_and_rejected_rows(project_dir):
    result = run_cli(project_dir, "contacts", "import")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:4] == [
        "clients.csv: 12 rows: 10 recipients, 0 invalid, 0 duplicate, 2 without consent",
        f"rejected rows: {project_dir / 'rejected' / 'clients.csv'}",
        "  clients.csv:6: no_consent: '0639980005': no consent ('non')",
        "  clients.csv:12: no_consent: '06 39 98 00 11': no consent ('')",
    ]
    assert "using the public demo key" in result.stderr
    assert sqlite3.connect(project_dir / "contacts.db").execute(
        "SELECT COUNT(*) FROM contacts").fetchone() == (12,)


def test_cli_import_with_a_real_provider_needs_the_hash_key(project_dir):
    settings = project_dir / "smsops.yaml"
    settings.write_text(settings.read_text().replace("provider: simulator", "provider: brevo"))
    result = run_cli(project_dir, "contacts", "import")
    assert result.exit_code == 2
    assert "SMSOPS_HASH_KEY is not set" in result.output


def test_cli_import_of_an_unknown_list_suggests_one(project_dir):
    result = run_cli(project_dir, "contacts", "import", "client")
    assert result.exit_code == 2
    assert "no contacts list 'client' (did you mean 'clients'?)" in result.output


SHOPIFY = (
    "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address City,"
    "Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,Tags\n"
    "1001,Amélie,Martin,a@example.org,yes,Nantes,,+33639980031,yes,184.50,3,,vip\n"
    "1002,Bruno,Petit,b@example.org,no,Rezé,+33639980032,,no,12.00,1,,\n"   # only an address phone
    "1003,Chloé,Durand,c@example.org,yes,Nantes,,'+33639980033,yes,0.00,0,,\n"  # quote prefix
    "1004,Amélie,Martin,a2@example.org,yes,Nantes,,+33 6 39 98 00 31,yes,10.00,1,,\n"  # same phone
    "1005,Denis,Roux,d@example.org,no,Nantes,,+33639980035,no,5.00,1,,\n"     # said no to SMS
)


def test_shopify_export_maps_its_columns_and_sms_consent(project_dir):
    write(project_dir / "audiences" / "shopify.csv", SHOPIFY)
    write(project_dir / "audiences" / "shopify.yaml", "kind: contacts\nfile: shopify.csv\n"
          "format: shopify\n")
    report, db = do_import(project_dir, "shopify")
    assert report.counts == {"ok": 2, "invalid": 1, "duplicate": 1, "no_consent": 1}
    found = buckets(db, "shopify")
    assert found[3] == ("invalid", "empty")  # "Phone" is the number the SMS consent is about
    assert found[4] == ("ok", None)  # Shopify's quote prefix '+33… is not a letter
    assert found[5] == ("duplicate", "same number as line 2")
    assert found[6] == ("no_consent", "no consent ('no')")
    assert db.execute("SELECT first_name, city, total_spent, _consent_source FROM contacts "
                      "WHERE _list = 'shopify' AND _bucket = 'ok'").fetchone() == \
        ("Amélie", "Nantes", "184.50", "shopify:accepts_sms_marketing")


def test_xlsx_with_numbers_typed_as_numbers_imports(project_dir):
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Téléphone portable", "Prénom", "Date de naissance", "Consentement"])
    sheet.append([639980041, "Inès", datetime(1993, 2, 27), "oui"])   # leading 0 lost by Excel
    sheet.append(["06 39 98 00 42", "Jules", None, "opt_in"])
    sheet.append([6.39980043e8, "Karim", None, "oui"])               # a float, still integral
    sheet.append([None, None, None, None])                            # blank row
    sheet.append(["6,39980044E+08", "Lina", None, "oui"])            # text in scientific notation
    book.save(project_dir / "audiences" / "boutique.xlsx")
    write(project_dir / "audiences" / "boutique.yaml", "kind: contacts\nfile: boutique.xlsx\n"
          "consent: Consentement\n")
    report, db = do_import(project_dir, "boutique")
    assert report.counts == {"ok": 3, "invalid": 1, "duplicate": 0, "no_consent": 0}
    assert db.execute("SELECT _phone, first_name, birthday FROM contacts WHERE _list = 'boutique' "
                      "ORDER BY _line").fetchall()[:3] == [
        ("+33639980041", "Inès", "1993-02-27"), ("+33639980042", "Jules", ""),
        ("+33639980043", "Karim", "")]


def test_age_encrypted_list_is_decrypted_in_memory(project_dir):
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    clear = (project_dir / "audiences" / "clients.csv").read_bytes()
    (project_dir / "audiences" / "clients.csv.age").write_bytes(
        pyrage.encrypt(clear, [identity.to_public()]))
    (project_dir / "audiences" / "clients.csv").unlink()
    lst = project_dir / "audiences" / "clients.yaml"
    lst.write_text(lst.read_text().replace("file: clients.csv", "file: clients.csv.age"))
    project = load_project(project_dir)
    db = contacts_db.connect(project_dir / "contacts.db")
    report = import_list(project, project.contact_lists["clients"], db, KEY,
                         {"SMSOPS_AGE_IDENTITY": str(identity)})
    assert report.counts == {"ok": 10, "invalid": 0, "duplicate": 0, "no_consent": 2}
    assert sorted(p.name for p in (project_dir / "audiences").iterdir()) == [
        "anniversaires.yaml", "clients-actifs.yaml", "clients.csv.age", "clients.yaml",
        "habitues-nantes.yaml"]
    with pytest.raises(SmsopsError) as raised:
        import_list(project, project.contact_lists["clients"], db, KEY, {})
    assert "SMSOPS_AGE_IDENTITY" in raised.value.diagnostic.message
