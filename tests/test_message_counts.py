"""The per-campaign message counts behind campaign_kpis, and the per-hour ones behind the
dashboard's deliveries chart, follow every change of the ledger (triggers): what is read from
them equals a count over every message."""

from datetime import UTC, datetime, timedelta

from runner import ledger
from runner.providers.base import Report
from runner.store import open_store

T0 = datetime(2027, 1, 7, 9, 0, tzinfo=UTC)
FROM_MESSAGES = """SELECT campaign_id, status, COALESCE(failure, ''), COUNT(*), COALESCE(SUM(parts), 0),
    ROUND(COALESCE(SUM(cost_eur), 0), 6) FROM messages WHERE test = 0 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""
HOURS_FROM_MESSAGES = """SELECT campaign_id, substr(sent_at, 1, 13), 'sent', COUNT(*) FROM messages
    WHERE test = 0 AND status IN ('sent', 'delivered', 'failed') GROUP BY 1, 2 UNION ALL
    SELECT campaign_id, substr(delivered_at, 1, 13), 'delivered', COUNT(*) FROM messages
    WHERE test = 0 AND status = 'delivered' GROUP BY 1, 2 ORDER BY 1, 2, 3"""
FROM_COUNTS = """SELECT campaign_id, status, failure, messages, parts, ROUND(cost_eur, 6)
    FROM message_counts ORDER BY 1, 2, 3"""


def test_message_counts_follow_every_ledger_change(tmp_path):
    db = open_store(tmp_path / "smsops.db").conn
    for campaign, test in (("a", False), ("b", False), ("t", True)):
        ledger.enqueue(db, [(f"{campaign}-h{n}", "m", "FR") for n in range(6)], campaign_id=campaign,
                       occurrence="o", starts=T0, ends=T0 + timedelta(days=1), now=T0,
                       provider="simulator", commit_sha=None, file_path="c.yaml", test=test)
        for n, message in enumerate(ledger.pending(db, campaign, "o")[:5]):
            assert ledger.claim(db, message.id, T0, None, encoding="GSM-7", parts=1 + n % 2,
                                cost_eur=0.045 * (1 + n % 2))
            ledger.settle(db, message.id, T0 + timedelta(hours=n), "in_doubt" if n == 4 else "sent")
            outcome = {0: "delivered", 1: "failed", 2: "unknown"}.get(n)
            if outcome:
                ledger.report(db, Report(message.id, outcome, T0 + timedelta(hours=n + 1)), T0)
        ledger.expire(db, campaign, T0, "over")
    db.execute("DELETE FROM messages WHERE id = (SELECT MIN(id) FROM messages WHERE campaign_id = 'b')")
    db.execute("UPDATE messages SET test = 1 WHERE campaign_id = 'a' AND status = 'expired'")
    counts = db.execute(FROM_COUNTS).fetchall()
    assert counts == db.execute(FROM_MESSAGES).fetchall()
    assert {row[0] for row in counts} == {"a", "b"}  # test sends count nowhere
    assert ("a", "failed", "permanent", 1, 2, 0.09) in counts
    hours = db.execute("SELECT * FROM message_hours ORDER BY 1, 2, 3").fetchall()
    assert hours == db.execute(HOURS_FROM_MESSAGES).fetchall()
    assert [row for row in hours if row[0] == "a"] == [
        ("a", "2027-01-07T09", "sent", 1), ("a", "2027-01-07T10", "delivered", 1),
        ("a", "2027-01-07T10", "sent", 1), ("a", "2027-01-07T11", "sent", 1),
        ("a", "2027-01-07T12", "sent", 1)]
    assert db.execute("SELECT sent, delivered, failed, in_doubt, expired, sms_parts FROM campaign_kpis "
                      "WHERE campaign_id = 'a'").fetchone() == (4, 1, 2, 1, 0, 7)
