"""`smsops optout ...` and `smsops forget`: one suppression list of hashes; erasure that
leaves no clear number anywhere and keeps the person suppressed."""

import json
import sqlite3

import pytest

from runner.phones import DEMO_HASH_KEY, phone_hash
from tests.conftest import run_cli, write

AT = "2027-01-07T10:00+01:00"


def optouts(project_dir):
    return json.loads(run_cli(project_dir, "optout", "list", "--format", "json").stdout)["optouts"]


def test_add_then_list_shows_hashes_never_numbers(project_dir):
    result = run_cli(project_dir, "optout", "add", "06 39 98 00 07", "--source", "phone-call")
    assert result.stdout == "06 39 98 00 07: suppressed\n"
    again = run_cli(project_dir, "optout", "add", "+33639980007")
    assert again.stdout == "+33639980007: already suppressed\n"
    [row] = optouts(project_dir)
    assert (row["phone_hash"], row["source"]) == (phone_hash("+33639980007", DEMO_HASH_KEY),
                                                  "phone-call")
    listing = run_cli(project_dir, "optout", "list").stdout
    assert "39980007" not in listing and "1 suppressed" in listing


def test_removing_needs_new_consent_evidence_kept_privately(project_dir):
    run_cli(project_dir, "optout", "add", "06 39 98 00 07")
    assert run_cli(project_dir, "optout", "remove", "06 39 98 00 07").exit_code == 2
    result = run_cli(project_dir, "optout", "remove", "06 39 98 00 07", "--consent-evidence",
                     "store:Nantes-paper-form-v3 2027-02-01")
    assert result.exit_code == 0 and optouts(project_dir) == []
    private = sqlite3.connect(project_dir / "contacts.db")
    assert private.execute("SELECT evidence FROM resubscriptions").fetchall() == [
        ("store:Nantes-paper-form-v3 2027-02-01",)]


def test_a_provider_stop_list_is_imported(project_dir):
    write(project_dir / "brevo-blacklist.csv", "Téléphone;Date\n+33639980001;2026-10-01\n"
          "06 39 98 00 02;2026-10-02\nnot a number;2026-10-03\n")
    result = run_cli(project_dir, "optout", "import", str(project_dir / "brevo-blacklist.csv"),
                     "--source", "brevo")
    assert result.stdout == "2 numbers added to the suppression list, 1 invalid\n"
    assert "brevo-blacklist.csv:4: letters in the number" in result.stderr
    assert {row["source"] for row in optouts(project_dir)} == {"brevo"}


def every_text(project_dir):
    """Everything smsops wrote, as text: the databases' rows and the files beside them."""
    texts = []
    for name in ("smsops.db", "contacts.db", "simulator.db"):
        db = sqlite3.connect(project_dir / name)
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            texts += [repr(row) for row in db.execute(f'SELECT * FROM "{table}"')]
    texts += [p.read_text(encoding="utf-8") for p in (project_dir / "rejected").glob("*.csv")]
    return "\n".join(texts)


def test_forget_leaves_no_trace_of_the_number_and_keeps_it_suppressed(project_dir):
    csv = project_dir / "audiences" / "clients.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("06 39 98 00 06;Zoé", "6,39980006E+08;Zoé"),
                   encoding="utf-8")  # rejected: its value sits in the rejected-rows report
    assert run_cli(project_dir, "contacts", "import").exit_code == 0
    assert run_cli(project_dir, "run", "--at", AT).exit_code == 0
    assert run_cli(project_dir, "sync").exit_code == 0
    assert "39980001" in every_text(project_dir)
    result = run_cli(project_dir, "forget", "06 39 98 00 01")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("erased: 1 contact rows, 1 messages anonymised")
    assert "clients, line 2" in result.stdout
    text = every_text(project_dir)
    for form in ("39980001", "39 98 00 01", "** 01", "Camille"):
        assert form not in text, form
    assert phone_hash("+33639980001", DEMO_HASH_KEY) in text  # only on the suppression list
    assert json.loads(run_cli(project_dir, "report", "--format", "json").stdout)[
        "campaigns"][0]["sent"] == 7  # the KPIs keep the erased message (Zoé was invalid)
    # the CSV still has the person: re-imported, still never sent to
    assert run_cli(project_dir, "contacts", "import").exit_code == 0
    later = run_cli(project_dir, "run", "--at", "2027-01-11T11:31+01:00", "--campaign",
                    "carte-hiver")
    sent_to = sqlite3.connect(project_dir / "simulator.db").execute("SELECT sent_to FROM outbox")
    assert ("+33639980001",) not in sent_to.fetchall(), later.output


def sent_to_all(project_dir):
    assert run_cli(project_dir, "contacts", "import").exit_code == 0
    assert run_cli(project_dir, "run", "--at", AT).exit_code == 0
    assert run_cli(project_dir, "sync").exit_code == 0
    return sqlite3.connect(project_dir / "smsops.db", isolation_level=None)


def test_forget_erases_what_purge_erases_order_number_code_link_clicks_and_webhook_calls(
        project_dir):
    db = sent_to_all(project_dir)
    hashed = phone_hash("+33639980001", DEMO_HASH_KEY)
    [message] = db.execute("SELECT id FROM messages WHERE phone_hash = ?", (hashed,)).fetchone()
    db.execute("UPDATE messages SET provider_id = 'prov-4711', link_token = 'tok12345', "
               "promo_code = 'VP7K3M9Q', last_error = 'x' WHERE id = ?", (message,))
    db.execute("INSERT INTO clicks (message_id, campaign_id, at, user_agent) VALUES "
               "(?, 'vente-privee', 'x', 'Mozilla/5.0 (iPhone; Camille)')", (message,))
    db.execute("INSERT INTO conversions (campaign_id, message_id, code, at, amount_eur, order_id) "
               "VALUES ('vente-privee', ?, 'VP7K3M9Q', 'x', 30.0, '#1042')", (message,))
    db.execute("INSERT INTO webhook_calls (provider, params, body) VALUES ('kannel', ?, ''), "
               "('brevo', '{}', '{\"messageId\": \"prov-4711\"}'), ('kannel', '{}', 'other')",
               (f'{{"mid": "{message}"}}',))
    result = run_cli(project_dir, "forget", "06 39 98 00 01")
    assert result.exit_code == 0 and "2 webhook calls deleted" in result.stdout
    text = every_text(project_dir)
    for trace in (message, "prov-4711", "tok12345", "VP7K3M9Q", "#1042", "Camille"):
        assert trace not in text, trace
    assert db.execute("SELECT COUNT(*) FROM clicks JOIN messages ON messages.id = "
                      "clicks.message_id").fetchone() == (1,)  # the KPIs keep the click
    assert db.execute("SELECT body FROM webhook_calls").fetchall() == [("other",)]


def test_forget_drops_rejected_rows_in_any_form_of_the_number(project_dir):
    write(project_dir / "rejected" / "clients.csv", """\
        file,line,value,bucket,reason
        clients.csv,3,0692 12 34 56,duplicate,duplicate of line 2
        clients.csv,4,+262 692 12 34 56,no_consent,no consent
        clients.csv,5,"6,39980006E+08",invalid,Excel scientific notation
        clients.csv,6,0693 00 00 01,no_consent,no consent
        """)
    assert run_cli(project_dir, "forget", "+262692123456").exit_code == 0
    assert run_cli(project_dir, "forget", "06 39 98 00 06").exit_code == 0
    lines = (project_dir / "rejected" / "clients.csv").read_text(encoding="utf-8").splitlines()
    assert lines == ["file,line,value,bucket,reason",
                     "clients.csv,6,0693 00 00 01,no_consent,no consent"]


def test_forgetting_an_unknown_number_warns_and_still_suppresses_it(project_dir):
    result = run_cli(project_dir, "forget", "06 39 98 00 99")
    assert result.exit_code == 0
    assert "warning: nothing was found under 06 39 98 00 99 (+33639980099)" in result.stderr
    assert [row["phone_hash"] for row in optouts(project_dir)] == [
        phone_hash("+33639980099", DEMO_HASH_KEY)]


def test_forgetting_a_number_that_is_not_one_is_a_one_line_error(project_dir):
    result = run_cli(project_dir, "forget", "06 39 98 00")
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1, result.output
    assert result.stderr.startswith("Error: 06 39 98 00: ")
    assert optouts(project_dir) == []


def test_blank_consent_evidence_is_refused_and_the_number_stays_suppressed(project_dir):
    run_cli(project_dir, "optout", "add", "06 39 98 00 07")
    for blank in ("", "   "):
        result = run_cli(project_dir, "optout", "remove", "06 39 98 00 07", "--consent-evidence",
                         blank)
        assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1, result.output
        assert "--consent-evidence is empty" in result.stderr
    assert len(optouts(project_dir)) == 1


def test_a_brevo_export_imports_only_the_blacklisted_numbers_detected_from_its_header(project_dir):
    write(project_dir / "brevo.csv", """\
        EMAIL,SMS,SMS_BLACKLISTED
        camille@example.org,33639980001,true
        zoe@example.org,33639980002,false
        leo@example.org,+33639980003,Yes
        """)
    result = run_cli(project_dir, "optout", "import", str(project_dir / "brevo.csv"))
    assert result.exit_code == 0, result.output
    assert result.stdout == ("2 numbers added to the suppression list, 0 invalid, "
                             "1 rows not blacklisted (brevo)\n")
    assert {row["phone_hash"] for row in optouts(project_dir)} == {
        phone_hash(n, DEMO_HASH_KEY) for n in ("+33639980001", "+33639980003")}


@pytest.mark.parametrize("fmt, text", [
    ("ovh", "number,dateCreation,batchID,smsOutgoingID\n+33639980001,2026-10-01,,\n"),
    ("allmysms", "phoneNumber;comment;receptionDate\n33639980001;stop;2026-10-01 10:00\n"),
])
def test_ovh_and_allmysms_blacklists_are_read_with_or_without_format(project_dir, fmt, text):
    write(project_dir / "stops.csv", text)
    for args in ((), ("--format", fmt)):
        result = run_cli(project_dir, "optout", "import", str(project_dir / "stops.csv"), *args)
        assert result.exit_code == 0, result.output
    assert [row["phone_hash"] for row in optouts(project_dir)] == [
        phone_hash("+33639980001", DEMO_HASH_KEY)]


def test_an_export_without_a_known_number_column_names_the_columns_looked_for(project_dir):
    write(project_dir / "emails.csv", "EMAIL,NAME\ncamille@example.org,Camille\n")
    result = run_cli(project_dir, "optout", "import", str(project_dir / "emails.csv"))
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert "emails.csv:1: no STOP-list columns in the header (EMAIL, NAME)" in result.stderr
    assert "SMS_BLACKLISTED" in result.stderr and "phoneNumber" in result.stderr
    brevo = run_cli(project_dir, "optout", "import", str(project_dir / "emails.csv"), "--format",
                    "brevo")
    assert brevo.exit_code == 2 and "looked for brevo: SMS and SMS_BLACKLISTED" in brevo.stderr
    assert optouts(project_dir) == []
