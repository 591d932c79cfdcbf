"""`smsops conversions import FILE`: order exports -> conversions, within the attribution window,
idempotent, all or nothing, with the unmatched codes and why."""

import json
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from runner import ledger
from runner.order_reader import parse_amount, parse_date
from runner.phones import DEMO_HASH_KEY, mask, phone_hash
from runner.store import open_store
from tests.conftest import PARIS, run_cli, write

ORDERS = Path(__file__).parent / "data" / "orders"
SENT = "2027-01-07T10:00:00.000+01:00"
AT = "2027-01-20T09:00+01:00"


def sent(project_dir, campaign, number, *, code=None, at=SENT, test=False,
         occurrence="2027-01-07T10:00+0100"):
    """A message as the dispatcher leaves it: queued by the ledger, then claimed and delivered."""
    db = open_store(project_dir / "smsops.db").conn
    e164 = f"+336399800{number:02d}"
    moment = datetime.fromisoformat(at)
    ledger.enqueue(db, [(phone_hash(e164, DEMO_HASH_KEY), mask(e164), "FR")], campaign_id=campaign,
                   occurrence=occurrence, starts=moment, ends=moment, now=moment,
                   provider="simulator", commit_sha=None, file_path=f"campaigns/{campaign}.yaml",
                   test=test)
    db.execute("UPDATE messages SET status = 'delivered', promo_code = ?, sent_at = ?, "
               "delivered_at = ? WHERE phone_hash = ? AND occurrence = ?",
               (code, at, at, phone_hash(e164, DEMO_HASH_KEY), occurrence))
    db.close()


def conversions(project_dir):
    db = sqlite3.connect(project_dir / "smsops.db")
    return db.execute("SELECT campaign_id, message_id IS NOT NULL, code, amount_eur, order_id, source "
                      "FROM conversions ORDER BY id").fetchall()


def imported(project_dir, path, *args):
    result = run_cli(project_dir, "conversions", "import", str(path), "--at", AT, "--format", "json",
                     *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def shop(project_dir):
    """Two unique codes of `nouvelle-bougie` and the fixed code PRIVE20 of `vente-privee`."""
    sent(project_dir, "nouvelle-bougie", 1, code="VP7K3M9Q")
    sent(project_dir, "nouvelle-bougie", 2, code="VP2HXR4T")
    sent(project_dir, "vente-privee", 3)
    sent(project_dir, "vente-privee", 4, at="2027-01-07T10:05:00.000+01:00")
    return project_dir


def test_a_unique_code_converts_for_its_message_whatever_its_case_and_spaces(shop):
    write(shop / "orders.csv", 'order_id;code;date;amount\n1001; vp7k3m9q ;08/01/2027 15:02;"57,00 €"\n')
    summary = imported(shop, shop / "orders.csv")
    assert (summary["preset"], summary["added"], summary["unmatched"]) == ("generic", 1, 0)
    assert conversions(shop) == [("nouvelle-bougie", 1, "VP7K3M9Q", 57.0, "1001", "generic")]


def test_a_fixed_code_converts_for_the_campaign_from_its_first_send(shop):
    write(shop / "orders.csv", "code,date,amount\nPRIVE20,2027-01-14 09:59,20\n"
          "PRIVE20,2027-01-14 10:01,5\nPRIVE20,2027-01-07 09:59,5\n")
    summary = imported(shop, shop / "orders.csv")
    [(campaign, has_message, code, amount, order_id, source)] = conversions(shop)
    assert (campaign, has_message, code, amount, source) == ("vente-privee", 0, "PRIVE20", 20.0, "generic")
    assert order_id.startswith("row:")  # derived from the row: the same row, the same id
    assert summary["unmatched_codes"] == [  # the window starts at 10:00, not at the 10:05 send
        {"code": "PRIVE20", "count": 1, "reason": "order placed before the campaign was sent"},
        {"code": "PRIVE20", "count": 1, "reason": "order placed more than 7 days after the message"}]


def test_an_order_after_the_attribution_window_is_unmatched_with_the_reason(shop):
    write(shop / "orders.csv", "order_id,code,date,amount\n7,VP2HXR4T,2027-01-14 10:00:01,10\n")
    summary = imported(shop, shop / "orders.csv")
    assert summary["unmatched_codes"] == [{"code": "VP2HXR4T", "count": 1,
                                           "reason": "order placed more than 7 days after the message"}]
    assert imported(shop, shop / "orders.csv", "--attribution-days", "8")["added"] == 1


def test_the_attribution_window_is_set_in_smsops_yaml(shop):
    settings = shop / "smsops.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "conversions:\n  attribution_days: 1\n",
                        encoding="utf-8")
    write(shop / "orders.csv", "order_id,code,date,amount\n7,VP2HXR4T,2027-01-09 10:00,10\n")
    assert imported(shop, shop / "orders.csv")["unmatched_codes"][0]["reason"] == (
        "order placed more than 1 days after the message")


def test_test_sends_never_convert(project_dir):
    sent(project_dir, "nouvelle-bougie", 5, code="VPTEST22", test=True)
    sent(project_dir, "vente-privee", 6, test=True)
    write(project_dir / "orders.csv", "order_id,code,date,amount\n1,VPTEST22,2027-01-08 10:00,9\n"
          "2,PRIVE20,2027-01-08 10:00,9\n")
    summary = imported(project_dir, project_dir / "orders.csv")
    assert summary["added"] == 0 and conversions(project_dir) == []
    assert [(u["code"], u["reason"]) for u in summary["unmatched_codes"]] == [
        ("PRIVE20", "campaign vente-privee was never sent"), ("VPTEST22", "code of a test send")]


def test_importing_the_same_file_twice_adds_nothing(shop):
    first = imported(shop, ORDERS / "generic.csv")  # no order ids: a stable one per row
    again = imported(shop, ORDERS / "generic.csv")
    assert (first["added"], first["known"], again["added"], again["known"]) == (2, 0, 0, 2)
    assert len(conversions(shop)) == 2


@pytest.mark.parametrize("name, preset", [("shopify.csv", "shopify"), ("woocommerce.csv", "woocommerce"),
                                          ("prestashop.csv", "prestashop"), ("generic.csv", "generic")])
def test_the_preset_is_detected_from_the_header(shop, name, preset):
    assert imported(shop, ORDERS / name)["preset"] == preset
    assert imported(shop, ORDERS / name, "--preset", preset)["known"] >= 1


def test_a_shopify_export_groups_line_items_and_counts_the_amount_once(shop):
    summary = imported(shop, ORDERS / "shopify.csv")
    assert {k: summary[k] for k in ("rows", "orders", "without_code", "added", "known", "unmatched")} == {
        "rows": 4, "orders": 2, "without_code": 1, "added": 2, "known": 0, "unmatched": 1}
    assert conversions(shop) == [("nouvelle-bougie", 1, "VP7K3M9Q", 50.5, "#1001", "shopify"),
                                 ("vente-privee", 0, "PRIVE20", 0.0, "#1001", "shopify")]
    assert summary["unmatched_codes"] == [{"code": "WELCOME10", "count": 1,
                                           "reason": "unknown code: no campaign or message has it"}]


def test_woocommerce_coupon_items_and_a_french_prestashop_file(shop):
    imported(shop, ORDERS / "woocommerce.csv")
    summary = imported(shop, ORDERS / "prestashop.csv")  # cp1252, ';', "1 234,50 €", dd/mm/yyyy
    assert conversions(shop) == [
        ("nouvelle-bougie", 1, "VP2HXR4T", 34.9, "2001", "woocommerce"),
        ("vente-privee", 0, "PRIVE20", 120.0, "2002", "woocommerce"),
        ("vente-privee", 0, "PRIVE20", 1234.5, "XKBKNABJK", "prestashop")]
    assert summary["unmatched_codes"][0]["reason"] == "order placed more than 7 days after the message"


def test_a_bad_row_is_one_error_with_file_line_and_fix_and_nothing_is_written(shop):
    write(shop / "orders.csv", "order_id,code,date,amount\n1,VP7K3M9Q,2027-01-08 10:00,9\n"
          "2,VP2HXR4T,le 9 janvier,9\n")
    result = run_cli(shop, "conversions", "import", str(shop / "orders.csv"), "--at", AT)
    assert result.exit_code == 2
    assert result.stderr == (f"{shop / 'orders.csv'}:3:1: error[conversions]: column 'date': "
                             "'le 9 janvier' is not a date; write it as 2027-01-09 15:02 or "
                             "09/01/2027 15:02\n")
    assert conversions(shop) == []


def test_a_file_without_code_and_date_columns_names_what_to_export(shop):
    write(shop / "orders.csv", "Commande;Montant\n1;9\n")
    result = run_cli(shop, "conversions", "import", str(shop / "orders.csv"))
    assert result.exit_code == 2 and "orders.csv:1:1: error[conversions]: no known order-export " \
                                      "columns in the header (Commande, Montant)" in result.stderr


def test_text_output_lists_the_unmatched_codes(shop):
    shutil.copy(ORDERS / "shopify.csv", shop / "orders.csv")
    result = run_cli(shop, "conversions", "import", str(shop / "orders.csv"), "--at", AT)
    assert result.stdout == (
        "orders.csv (shopify): 4 rows, 2 orders with a code, 1 without; 2 conversions added, "
        "0 already known, 1 codes unmatched\n"
        "  WELCOME10  x1  unknown code: no campaign or message has it\n")


@pytest.mark.parametrize("text, value", [("57,00", 57.0), ("1 234,50 €", 1234.5), ("1,234.50", 1234.5),
                                         ("42.5 EUR", 42.5), ("", None), ("12.50", 12.5),
                                         ("12,50", 12.5), ("€12", 12.0), ("-5,00", -5.0)])
def test_amounts_as_shops_write_them(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1_000", "12.5.0", "1e3", "douze"])
def test_anything_but_a_plain_decimal_amount_is_refused(text):
    with pytest.raises(ValueError):
        parse_amount(text)


def test_two_identical_rows_without_order_number_are_two_orders_and_a_reimport_adds_none(shop):
    write(shop / "orders.csv", "code,date,amount\nPRIVE20,2027-01-08,20\nPRIVE20,2027-01-08,20\n")
    first = imported(shop, shop / "orders.csv")
    again = imported(shop, shop / "orders.csv")
    assert (first["orders"], first["added"], again["added"], again["known"]) == (2, 2, 0, 2)


def test_a_bad_date_without_order_number_names_the_file_line_and_column(shop):
    write(shop / "orders.csv", "code,date,amount\nPRIVE20,notadate,20\n")
    result = run_cli(shop, "conversions", "import", str(shop / "orders.csv"), "--at", AT)
    assert result.exit_code == 2 and result.stderr.startswith(
        f"{shop / 'orders.csv'}:2:1: error[conversions]: column 'date': 'notadate' is not a date")


@pytest.mark.parametrize("text, iso", [
    ("09/01/2027 14:20", "2027-01-09T14:20:00+01:00"), ("2027-01-09", "2027-01-09T00:00:00+01:00"),
    ("2027-01-09 15:02:26 +0000", "2027-01-09T15:02:26+00:00"),
    ("2027-01-09T15:02:26Z", "2027-01-09T15:02:26+00:00")])
def test_dates_as_shops_write_them(text, iso):
    assert parse_date(text, PARIS).isoformat() == iso
