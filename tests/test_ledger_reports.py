"""Delivery reports that overtake the send call (Kannel reports as soon as the SMSC has the
message, before our sendsms answer is settled): nothing the settle brings is lost, the delivery
speed is still known, and a final state is never downgraded."""

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from runner import ledger
from runner.providers.base import Report
from runner.store import open_store

SENDING = datetime(2027, 1, 7, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
MID = ledger.message_id("vente-privee", "o", "h1")


def seconds(n):
    return SENDING + timedelta(seconds=n)


@pytest.fixture
def conn():
    conn = open_store(Path(":memory:")).conn
    ledger.enqueue(conn, [("h1", "+33 6 39 98 ** 01", "FR")], campaign_id="vente-privee",
                   occurrence="o", starts=SENDING, ends=seconds(3600), now=SENDING,
                   provider="kannel", commit_sha=None, file_path="campaigns/vente-privee.yaml")
    assert ledger.claim(conn, MID, SENDING, None, encoding="GSM-7", parts=1, cost_eur=0.045)
    return conn


def row(conn):
    return conn.execute("SELECT status, sent_at, provider_id, delivered_at, delivery_seconds "
                        "FROM messages WHERE id = ?", (MID,)).fetchone()


def report(conn, state, at):
    return ledger.report(conn, Report(MID, state, at=at), at)


def test_an_smsc_accepted_report_before_the_settle_keeps_the_settle_s_id_and_send_time(conn):
    report(conn, "pending", seconds(1))  # Kannel type 8
    ledger.settle(conn, MID, seconds(2), "sent", detail="0: Accepted", provider_id="k-1")
    report(conn, "delivered", seconds(9))
    status, sent_at, provider_id, delivered_at, speed = row(conn)
    assert (status, provider_id) == ("delivered", "k-1")
    assert sent_at == "2027-01-07T10:00:00.000+01:00"  # it left with the request
    assert delivered_at == "2027-01-07T10:00:09.000+01:00" and speed == 9.0


def test_a_delivered_report_before_the_settle_stays_delivered_with_id_and_speed(conn):
    report(conn, "delivered", seconds(3))
    ledger.settle(conn, MID, seconds(4), "sent", detail="0: Accepted", provider_id="k-1")
    assert row(conn) == ("delivered", "2027-01-07T10:00:00.000+01:00", "k-1",
                         "2027-01-07T10:00:03.000+01:00", 3.0)
    assert conn.execute("SELECT seconds, messages FROM delivery_speeds").fetchall() == [(3.0, 1)]


@pytest.mark.parametrize("settled", ["queued", "in_doubt", "failed"])
def test_a_settle_after_a_final_report_never_changes_its_state(conn, settled):
    report(conn, "delivered", seconds(3))
    ledger.settle(conn, MID, seconds(4), settled, detail="timeout", last_error="timeout")
    assert row(conn)[0] == "delivered"


def test_a_settle_after_an_smsc_report_never_puts_the_message_back_in_the_queue(conn):
    report(conn, "pending", seconds(1))
    ledger.settle(conn, MID, seconds(2), "queued", detail="connect error")
    assert row(conn)[0] == "sent"
    assert ledger.pending(conn, "vente-privee", "o") == []  # never sent twice


def test_a_failed_report_before_the_settle_keeps_the_failure_and_the_provider_id(conn):
    report(conn, "failed", seconds(2))
    ledger.settle(conn, MID, seconds(3), "sent", detail="0: Accepted", provider_id="k-1")
    status, sent_at, provider_id, _delivered, _speed = row(conn)
    assert (status, provider_id, sent_at) == ("failed", "k-1", "2027-01-07T10:00:00.000+01:00")


def test_a_report_for_an_in_doubt_message_gives_its_delivery_speed(conn):
    ledger.settle(conn, MID, seconds(30), "in_doubt", detail="read timeout")
    report(conn, "delivered", seconds(40))
    assert row(conn)[0::4] == ("delivered", 40.0)


def test_the_usual_order_is_unchanged(conn):
    ledger.settle(conn, MID, seconds(1), "sent", detail="0: Accepted", provider_id="k-1")
    report(conn, "pending", seconds(2))
    report(conn, "delivered", seconds(6))
    assert row(conn) == ("delivered", "2027-01-07T10:00:01.000+01:00", "k-1",
                         "2027-01-07T10:00:06.000+01:00", 5.0)
