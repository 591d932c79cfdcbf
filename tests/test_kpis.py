"""The delivery-speed KPIs of campaign_kpis: product.md's median and p90, exactly, however the
messages got there (inserted, reported, corrected, deleted, or already there before migration 5)."""

import random
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlite_utils

from runner import ledger
from runner.analytics import kpis
from runner.providers.base import Report
from runner.store import CAMPAIGN_KPIS, MIGRATIONS, SPEEDS_V2, SPEEDS_V3, open_store

SENT = datetime(2027, 1, 7, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


def median(values):
    """product.md: the mean of the two middle values when n is even."""
    ranked, n = sorted(values), len(values)
    return (ranked[(n + 1) // 2 - 1] + ranked[(n + 2) // 2 - 1]) / 2


def p90(values):
    """product.md: the smallest value whose rank (from 1) is >= 0.9 n."""
    ranked, n = sorted(values), len(values)
    return min(v for rank, v in enumerate(ranked, 1) if rank >= 0.9 * n)


def add(db, campaign, seconds, *, status="delivered", test=0, n=0):
    db.execute("INSERT INTO messages (id, campaign_id, occurrence, phone_hash, phone_masked, status, "
               "test, sent_at, delivery_seconds) VALUES (?, ?, 'o', ?, 'm', ?, ?, ?, ?)",
               (f"{campaign}-{n}", campaign, f"{campaign}-h{n}", status, test, SENT.isoformat(),
                seconds))


def speeds(db):
    return {row["campaign_id"]: (row["delivery_seconds_median"], row["delivery_seconds_p90"])
            for row in kpis(db)}


@pytest.fixture
def db(tmp_path):
    return open_store(tmp_path / "smsops.db").conn


def test_median_and_p90_for_odd_and_even_counts_in_several_campaigns(db):
    samples = {"odd": [7, 1, 3, 9, 5], "even": [4, 1, 3, 2], "one": [12.5],
               "ties": [2, 2, 2, 8, 8, 8, 8], "seventy": list(range(1, 71))}
    for campaign, values in samples.items():
        for n, seconds in enumerate(values):
            add(db, campaign, seconds, n=n)
    assert speeds(db) == {"odd": (5, 9), "even": (2.5, 4), "one": (12.5, 12.5), "ties": (8, 8),
                          "seventy": (35.5, 63)}
    assert speeds(db) == {c: (median(v), p90(v)) for c, v in samples.items()}


def test_test_sends_undelivered_and_unmeasured_messages_are_not_ranked(db):
    for n, seconds in enumerate([10, 20, 30]):
        add(db, "c", seconds, n=n)
    add(db, "c", 1, test=1, n=3)
    add(db, "c", None, status="sent", n=4)
    add(db, "c", None, n=5)  # delivered without a sent time: no speed
    add(db, "only-tests", 5, test=1, n=6)
    assert speeds(db) == {"c": (20, 30)}
    assert [row["delivered"] for row in kpis(db)] == [4]


def test_reports_corrections_and_deletions_keep_the_speeds_exact(db):
    for n in range(4):
        add(db, "c", None, status="sent", n=n)
    for n, seconds in enumerate([30, 10, 20, 40]):
        assert ledger.report(db, Report(f"c-{n}", "delivered", SENT + timedelta(seconds=seconds)),
                             SENT + timedelta(minutes=5))
    assert speeds(db) == {"c": (25, 40)}
    db.execute("UPDATE messages SET delivery_seconds = 1 WHERE id = 'c-3'")  # 10 20 30 1
    assert speeds(db) == {"c": (15, 30)}
    db.execute("UPDATE messages SET test = 1 WHERE id = 'c-2'")  # 10 30 1
    assert speeds(db) == {"c": (10, 30)}
    db.execute("UPDATE messages SET campaign_id = 'd' WHERE id = 'c-0'")  # c: 10 1, d: 30
    assert speeds(db) == {"c": (5.5, 10), "d": (30, 30)}
    db.execute("DELETE FROM messages WHERE campaign_id = 'd'")
    assert speeds(db) == {"c": (5.5, 10)}
    db.execute("UPDATE messages SET status = 'failed' WHERE id IN ('c-1', 'c-3')")
    assert speeds(db) == {"c": (None, None)}
    assert db.execute("SELECT COUNT(*) FROM delivery_speeds").fetchone() == (0,)


def legacy_kpis(db):
    """The view as migration 3 defined it (window functions over every delivered message)."""
    legacy = CAMPAIGN_KPIS.replace(SPEEDS_V2, SPEEDS_V3).replace(
        "CREATE VIEW campaign_kpis", "CREATE TEMP VIEW legacy_kpis")
    db.execute(legacy)
    return db.execute("SELECT * FROM legacy_kpis ORDER BY campaign_id").fetchall()


def test_every_column_matches_the_window_function_view_on_random_campaigns(db):
    rng = random.Random(5)
    db.execute("INSERT INTO campaigns (id, objective) VALUES ('c0', 'inform')")
    for n in range(3000):
        status = rng.choice(["delivered"] * 6 + ["sent", "failed", "in_doubt", "expired", "queued"])
        db.execute("INSERT INTO messages (id, campaign_id, occurrence, phone_hash, phone_masked, "
                   "status, failure, parts, cost_eur, test, delivery_seconds) "
                   "VALUES (?, ?, 'o', ?, 'm', ?, ?, ?, ?, ?, ?)",
                   (f"m{n}", f"c{n % 7}", f"h{n}", status,
                    rng.choice(["permanent", "temporary"]) if status == "failed" else None,
                    rng.randint(1, 3), rng.choice([0.045, 0.09]), int(rng.random() < 0.05),
                    round(rng.uniform(0, 90), rng.choice([0, 3])) if status == "delivered" else None))
    db.execute("INSERT INTO clicks (message_id, campaign_id, at) VALUES ('m1', 'c1', 'x')")
    current = db.execute("SELECT * FROM campaign_kpis ORDER BY campaign_id").fetchall()
    assert len(current) == 7
    assert current == legacy_kpis(db)


def database_at(path, version):
    """A results database as migration `version` left it (no later migration applied)."""
    old = sqlite_utils.Database(path)
    for migrate in MIGRATIONS[:version]:
        migrate(old)
    old.execute(f"PRAGMA user_version = {version}")
    return old


def test_migration_5_fills_the_histogram_from_messages_already_delivered(tmp_path):
    path = tmp_path / "smsops.db"
    old = database_at(path, 4)
    for n, seconds in enumerate([3, 1, 2, 10]):
        add(old.conn, "c", seconds, n=n)
    old.conn.commit()
    old.close()
    assert speeds(open_store(path).conn) == {"c": (2.5, 10)}
    assert sqlite3.connect(path).execute("SELECT * FROM delivery_speeds ORDER BY seconds").fetchall() == [
        ("c", 1.0, 1), ("c", 2.0, 1), ("c", 3.0, 1), ("c", 10.0, 1)]


def test_migration_8_carries_the_attributed_opt_outs_over(tmp_path):
    path = tmp_path / "smsops.db"
    old = database_at(path, 7)
    old.execute("INSERT INTO messages (id, campaign_id, occurrence, phone_hash, phone_masked, "
                "status, sent_at) VALUES ('m1', 'c', 'o', 'h1', 'm', 'delivered', 'x')")
    old.execute("INSERT INTO optouts VALUES ('h1', 'y', 'reply', 'sms', 'c'), "
                "('h2', 'y', 'manual', 'manual', NULL)")
    old.conn.commit()
    old.close()
    [row] = kpis(open_store(path).conn)
    assert (row["optouts"], row["optout_rate"]) == (1, 1.0)


def test_an_empty_database_has_no_kpi_rows(tmp_path):
    assert kpis(open_store(Path(tmp_path / "smsops.db")).conn) == []
