"""`smsops purge`: the retention periods of compliance.md §1.7 over both databases and the
reports; KPIs and the suppression list survive; after `forget` and `purge` no clear number is left."""

import json
import sqlite3
from datetime import datetime, timedelta

import pytest

from runner.phones import DEMO_HASH_KEY, phone_hash
from tests.conftest import PARIS, run_cli
from tests.test_cli_optout import every_text
from tests.test_conversions import ORDERS, sent

AT = "2027-01-07T10:00+01:00"
LATER = max(datetime(2031, 1, 10, 10, tzinfo=PARIS),  # every retention period is over, even
            datetime.now(PARIS) + timedelta(days=1200)).isoformat()  # for today's imports


def numbers(project_dir):
    """The last eight digits of every number in the contacts file: 39980001..."""
    lines = (project_dir / "audiences" / "clients.csv").read_text(encoding="utf-8").splitlines()[1:]
    return {"".join(filter(str.isdigit, line.split(";")[0]))[-8:] for line in lines}


def clear_forms(digits):
    pairs = [digits[i:i + 2] for i in range(0, 8, 2)]
    return {digits, " ".join(pairs), ".".join(pairs), "6" + digits, "6 " + " ".join(pairs)}


def raw_bytes(project_dir):
    """Every byte smsops left: databases with their WAL and free pages, and report files."""
    return b"".join(path.read_bytes() for path in sorted(project_dir.rglob("*"))
                    if path.is_file() and path.suffix in (".db", ".csv", ".db-wal", ".db-journal")
                    and "audiences" not in path.parts)


def kpis(project_dir):
    return json.loads(run_cli(project_dir, "report", "--format", "json").stdout)["campaigns"]


def purge(project_dir, *args):
    result = run_cli(project_dir, "purge", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["purged"]


@pytest.fixture
def sent_campaign(project_dir):
    csv = project_dir / "audiences" / "clients.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("06 39 98 00 06;Zoé", "6,39980006E+08;Zoé"),
                   encoding="utf-8")  # rejected: its value sits in the rejected-rows report
    assert run_cli(project_dir, "contacts", "import").exit_code == 0
    assert run_cli(project_dir, "run", "--at", AT).exit_code == 0
    assert run_cli(project_dir, "sync").exit_code == 0
    return project_dir


def test_after_forget_and_purge_no_clear_number_is_left_anywhere(sent_campaign):
    project_dir = sent_campaign
    assert run_cli(project_dir, "optout", "add", "06 39 98 00 03").exit_code == 0
    assert run_cli(project_dir, "forget", "06 39 98 00 01").exit_code == 0
    before, found = kpis(project_dir), numbers(project_dir)
    assert any(d.encode() in raw_bytes(project_dir) for d in found)
    counts = purge(project_dir, "--at", LATER)
    assert counts["messages anonymised"] == 6 and counts["contacts deleted"] > 0  # 7 sent, 1 erased
    text, raw = every_text(project_dir), raw_bytes(project_dir)
    for digits in sorted(found):
        for form in clear_forms(digits):
            assert form not in text and form.encode() not in raw, form
    assert "Camille" not in text and "Zoé" not in text
    assert kpis(project_dir) == before  # old campaigns keep their KPIs
    assert json.loads(run_cli(project_dir, "optout", "list", "--format", "json").stdout)["optouts"][0][
        "phone_hash"] in {phone_hash(n, DEMO_HASH_KEY) for n in ("+33639980001", "+33639980003")}
    assert len(json.loads(run_cli(project_dir, "optout", "list", "--format", "json").stdout)[
        "optouts"]) == 2  # the suppression list is kept whole


def test_a_dry_run_counts_and_changes_nothing(sent_campaign):
    before = every_text(sent_campaign)
    result = run_cli(sent_campaign, "purge", "--at", LATER, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "messages anonymised: 7\n" in result.stdout
    assert result.stdout.endswith("dry run: nothing was changed\n")
    assert every_text(sent_campaign) == before
    assert (sent_campaign / "rejected" / "clients.csv").exists()


def test_recent_data_is_kept_and_periods_come_from_smsops_yaml(sent_campaign):
    soon = "2027-02-10T10:00+01:00"
    assert purge(sent_campaign, "--at", soon)["messages anonymised"] == 0
    settings = sent_campaign / "smsops.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "retention:\n  messages_days: 30\n",
                        encoding="utf-8")
    counts = purge(sent_campaign, "--at", soon)
    assert (counts["messages anonymised"], counts["contacts deleted"]) == (7, 0)
    rows = sqlite3.connect(sent_campaign / "smsops.db").execute(
        "SELECT DISTINCT phone_masked, region, provider_id, link_token FROM messages").fetchall()
    assert rows == [("purged", None, None, None)]


def test_old_conversions_lose_order_and_unique_code_and_are_not_imported_again(project_dir):
    sent(project_dir, "nouvelle-bougie", 1, code="VP7K3M9Q")
    sent(project_dir, "vente-privee", 3)
    assert run_cli(project_dir, "conversions", "import", str(ORDERS / "shopify.csv"), "--at",
                   "2027-01-20T10:00+01:00").exit_code == 0
    counts = purge(project_dir, "--at", "2030-02-01T10:00+01:00")
    assert counts["conversions orders and unique codes removed"] == 2
    db = sqlite3.connect(project_dir / "smsops.db")
    assert db.execute("SELECT campaign_id, code, order_id, amount_eur FROM conversions").fetchall() == [
        ("nouvelle-bougie", None, None, 50.5), ("vente-privee", "PRIVE20", None, 0.0)]
    again = run_cli(project_dir, "conversions", "import", str(ORDERS / "shopify.csv"), "--at",
                    "2030-02-01T10:00+01:00", "--format", "json")
    assert json.loads(again.stdout)["added"] == 0
    assert db.execute("SELECT COUNT(*) FROM conversions").fetchone() == (2,)


def test_raw_provider_payloads_go_after_90_days(sent_campaign):
    db = sqlite3.connect(sent_campaign / "smsops.db")
    db.execute("INSERT INTO webhook_calls (received_at, provider, kind, params, body) VALUES "
               "('2027-01-07T10:01:00.000+01:00', 'kannel', 'dlr', '{}', 'to=*********01')")
    db.execute("UPDATE message_events SET detail = '{\"to\": \"+33639980002\"}'")
    db.commit()
    assert purge(sent_campaign, "--at", "2027-03-01T10:00+01:00")["webhook_calls deleted"] == 0
    counts = purge(sent_campaign, "--at", "2027-04-08T10:00+01:00")
    assert counts["webhook_calls deleted"] == 1 and counts["message_events payloads cleared"] > 0
    assert db.execute("SELECT COUNT(*) FROM message_events WHERE detail != ''").fetchone() == (0,)


def test_forget_alone_leaves_no_byte_of_the_number_even_where_secure_delete_is_off(
        sent_campaign, monkeypatch):
    project_dir, connect = sent_campaign, sqlite3.connect

    def insecure(*args, **kwargs):  # SQLite's default outside Debian's build
        conn = connect(*args, **kwargs)
        conn.execute("PRAGMA secure_delete = OFF")
        return conn

    monkeypatch.setattr(sqlite3, "connect", insecure)
    forms = clear_forms("39980001") | clear_forms("39980006")  # 06: only in a rejected row
    assert any(form.encode() in raw_bytes(project_dir) for form in forms)
    assert run_cli(project_dir, "forget", "06 39 98 00 01").exit_code == 0
    assert run_cli(project_dir, "forget", "06 39 98 00 06").exit_code == 0
    raw = raw_bytes(project_dir) + b"".join(p.read_bytes() for p in project_dir.glob("*.db*"))
    for form in sorted(forms | {"6,39980006E+08"}):
        assert form.encode() not in raw, form
