"""Free-text columns of the results database (messages.last_error, message_events.detail) hold
what providers said, which often quotes the number: the store stars it, whoever writes."""

import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from runner import ledger
from runner.providers.base import InDoubt, NotSent, Refused
from runner.store import event, open_store
from tests.test_dispatch import VENTE, Scripted, scripted_run

NOW = datetime(2027, 1, 7, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
TWILIO_21211 = Refused("Twilio refused (400, code 21211): Invalid 'To' Phone Number: +33639980001",
                       raw='{"code": 21211, "message": "Invalid \'To\' Phone Number: +33639980001"}')
BREVO_400 = Refused("Brevo refused (400): invalid recipient 33639980001",
                    raw='{"code":"invalid_parameter","message":"recipient 0033639980001 invalid"}')


def results(run):
    db = sqlite3.connect(run.dir / "smsops.db")
    return str(db.execute("SELECT last_error FROM messages").fetchall()
               + db.execute("SELECT detail FROM message_events").fetchall())


@pytest.mark.parametrize("answer", [TWILIO_21211, BREVO_400, NotSent("no route to +33639980001"),
                                    InDoubt("timeout sending to 06 39 98 00 01")])
def test_a_provider_error_quoting_the_number_is_stored_masked(project_dir, answer):
    run = scripted_run(project_dir, Scripted(answer))
    run("2027-01-07 10:00")
    stored = results(run)
    assert "*********01" in stored or "********01" in stored
    assert "639980001" not in stored and "39 98 00" not in stored


def test_an_event_written_by_any_caller_is_masked():
    conn = open_store(Path(":memory:")).conn
    event(conn, "m1", NOW, "status", "failed", "To=%2B33639980001&Body=06+39+98+00+02")
    assert conn.execute("SELECT detail FROM message_events").fetchone() == (
        "To=*********01&Body=********02",)


def test_an_expiry_reason_is_masked():
    conn = open_store(Path(":memory:")).conn
    ledger.enqueue(conn, [("h1", "+33 6 39 98 ** 01", "FR")], campaign_id=VENTE, occurrence="o",
                   starts=NOW, ends=NOW, now=NOW, provider="simulator", commit_sha=None,
                   file_path="campaigns/vente-privee.yaml")
    ledger.expire(conn, VENTE, NOW, "opted out: 06 39 98 00 01 replied STOP")
    assert conn.execute("SELECT last_error FROM messages").fetchone() == (
        "opted out: ********01 replied STOP",)
