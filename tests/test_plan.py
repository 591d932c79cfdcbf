"""`smsops plan`: due times, recipients and exclusions, deferral by time zone, parts and cost."""

import json
import sqlite3

import phonenumbers
import pytest

from runner.phones import DEMO_HASH_KEY, phone_hash
from tests.conftest import REPO, run_cli, write

GOLDEN = REPO / "tests" / "golden"
AT = "2027-01-07T10:00+01:00"  # a Thursday: vente-privee is due
CONTRACT_KEYS = ["id", "due", "due_at", "recipients", "excluded", "deferred", "encoding",
                 "ucs2_characters", "parts_max", "sms_total", "cost_eur", "first_send_local",
                 "last_send_local", "samples"]


def imported(project_dir):
    result = run_cli(project_dir, "contacts", "import")
    assert result.exit_code == 0, result.output
    return project_dir


def plan_json(project_dir, *args, at=AT):
    result = run_cli(project_dir, "plan", "--format", "json", "--at", at, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def example(number_region):
    number = phonenumbers.example_number_for_type(number_region, phonenumbers.PhoneNumberType.MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@pytest.mark.parametrize("fmt,suffix", [("text", "txt"), ("markdown", "md"), ("json", "json")])
def test_plan_of_the_example_campaigns_is_pinned(project_dir, fmt, suffix):
    imported(project_dir)
    result = run_cli(project_dir, "plan", "--format", fmt, "--at", AT)
    assert result.exit_code == 0, result.output
    assert result.stdout == (GOLDEN / f"plan.{suffix}").read_text(encoding="utf-8")


def test_json_rows_start_with_the_contract_keys(project_dir):
    payload = plan_json(imported(project_dir))
    assert list(payload) == ["at", "campaigns"]
    for row in payload["campaigns"]:
        assert list(row)[:len(CONTRACT_KEYS)] == CONTRACT_KEYS
        assert list(row["excluded"]) == ["no_consent", "opted_out", "invalid", "duplicate"]


def test_every_segment_row_lands_in_one_bucket(project_dir):
    csv = project_dir / "audiences" / "clients.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    lines += [lines[1].replace("Camille", "Camille bis"),  # duplicate of line 2
              lines[2].replace("06 39 98 00 02", "01 99 00 12 34")]  # landline: invalid
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [row] = plan_json(imported(project_dir), "vente-privee")["campaigns"]
    assert row["recipients"] == 8
    assert row["excluded"] == {"no_consent": 1, "opted_out": 0, "invalid": 1, "duplicate": 1}


def test_opted_out_contacts_are_excluded(project_dir):
    imported(project_dir)
    results = sqlite3.connect(project_dir / "smsops.db")
    results.execute("CREATE TABLE optouts (phone_hash TEXT PRIMARY KEY)")
    results.execute("INSERT INTO optouts VALUES (?)", (phone_hash("+33639980001", DEMO_HASH_KEY),))
    results.commit()
    [row] = plan_json(project_dir, "vente-privee")["campaigns"]
    assert (row["recipients"], row["excluded"]["opted_out"]) == (7, 1)
    assert "+33 6 39 98 ** 01" not in [s["to"] for s in row["samples"]]


def test_overseas_recipients_are_deferred_to_their_own_window(project_dir):
    csv = project_dir / "audiences" / "clients.csv"
    rows = csv.read_text(encoding="utf-8").splitlines()
    rows.append(rows[1].replace("06 39 98 00 01", example("PF")))  # Tahiti: 23:00 at 10:00 Paris
    rows.append(rows[1].replace("06 39 98 00 01", example("RE")))  # Réunion: 13:00, open
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    [row] = plan_json(imported(project_dir), "vente-privee")["campaigns"]
    assert row["recipients"] == 10
    assert row["deferred"] == 1
    assert row["by_region"] == {"FR": 8, "PF": 1, "RE": 1}
    # Tahiti opens at 08:00 local = 19:00 in Paris, before the campaign expires (09/01 18:00)
    assert row["last_send_local"].startswith("2027-01-07T19:00")


def test_recipients_whose_window_opens_after_expiry_are_missed(project_dir):
    campaign = project_dir / "campaigns" / "vente-privee.yaml"
    campaign.write_text(campaign.read_text().replace("expires: 2027-01-09 18:00",
                                                     "expires: 2027-01-07 12:00"))
    csv = project_dir / "audiences" / "clients.csv"
    rows = csv.read_text(encoding="utf-8").splitlines()
    rows.append(rows[1].replace("06 39 98 00 01", example("PF")))
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    [row] = plan_json(imported(project_dir), "vente-privee")["campaigns"]
    assert (row["deferred"], row["missed"]) == (0, 1)


def test_worst_case_parts_and_ucs2_characters_come_from_the_contacts(project_dir):
    csv = project_dir / "audiences" / "clients.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("Camille", "Françoise"), encoding="utf-8")
    [row] = plan_json(imported(project_dir), "vente-privee")["campaigns"]
    assert (row["encoding"], row["ucs2_characters"], row["parts_max"]) == ("UCS-2", ["ç"], 3)
    assert row["sms_total"] == 3 + 7 * 2
    assert row["cost_eur"] == round(17 * 0.045, 2)


def test_campaign_not_due_yet_shows_its_next_time(project_dir):
    [row] = plan_json(imported(project_dir), "carte-hiver")["campaigns"]
    assert (row["due"], row["due_at"], row["deferred"]) == (False, "2027-01-11T11:30:00+01:00", 0)


def test_recurring_birthday_campaign_is_due_each_day_for_that_days_birthdays(project_dir):
    [row] = plan_json(imported(project_dir), "anniversaire", at="2027-01-22T10:05+01:00")["campaigns"]
    assert (row["due"], row["due_at"], row["recipients"]) == (True, "2027-01-22T10:00:00+01:00", 1)
    assert row["samples"][0]["to"] == "+33 6 39 98 ** 04"


def test_plan_before_import_asks_for_it(project_dir):
    result = run_cli(project_dir, "plan", "--at", AT)
    assert result.exit_code == 2
    assert result.output.startswith(
        "audiences/clients.yaml:5:7: error[segment-ref]: clients.csv has not been imported; "
        "run smsops contacts import clients")


def test_plan_after_the_file_changed_asks_for_a_new_import(project_dir):
    imported(project_dir)
    csv = project_dir / "audiences" / "clients.csv"
    csv.write_text(csv.read_text(encoding="utf-8") + "06 39 98 00 40;Zed;;;;;;;opt_in;;\n",
                   encoding="utf-8")
    result = run_cli(project_dir, "plan", "--at", AT)
    assert result.exit_code == 2
    assert "clients.csv changed since its import" in result.output


def test_segment_on_a_missing_field_is_a_positioned_error(project_dir):
    imported(project_dir)
    write(project_dir / "audiences" / "clients-actifs.yaml",
          "kind: segment\ncontacts: clients\nwhere:\n  ville: Nantes\n")
    result = run_cli(project_dir, "plan", "--at", AT, "vente-privee")
    assert result.exit_code == 2
    assert result.output.startswith("audiences/clients-actifs.yaml:4:3: error[field-ref]: 'ville'")


def test_unknown_campaign_id_is_a_usage_error(project_dir):
    result = run_cli(imported(project_dir), "plan", "vente-privée")
    assert result.exit_code == 2
    assert "no campaign 'vente-privée' (did you mean 'vente-privee'?)" in result.output
