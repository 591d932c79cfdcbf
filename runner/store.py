"""The results database: the only file Datasette serves. Masked numbers and keyed hashes only.

Every write to it goes through here. Schema changes are numbered migrations (PRAGMA
user_version), applied on open, so an old database is upgraded in place, never rebuilt."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import sqlite_utils

from runner.phones import mask_numbers

STATUSES = ("queued", "sending", "sent", "delivered", "failed", "expired", "in_doubt")


def _v1(db: sqlite_utils.Database) -> None:
    db.table("campaigns").create({"id": str, "name": str, "objective": str, "file_path": str,
                            "commit_sha": str, "provider": str, "updated_at": str}, pk="id")
    db.table("runs").create({"id": int, "started_at": str, "finished_at": str, "at": str,
                       "commit_sha": str, "dry_run": int, "summary": str}, pk="id")
    db.table("occurrences").create({"campaign_id": str, "occurrence": str, "starts_at": str,
                              "ends_at": str, "enqueued_at": str, "recipients": int,
                              "commit_sha": str, "file_path": str},
                             pk=("campaign_id", "occurrence"))
    db.execute(f"""CREATE TABLE messages (
        id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL, occurrence TEXT NOT NULL,
        phone_hash TEXT NOT NULL, phone_masked TEXT NOT NULL, region TEXT,
        status TEXT NOT NULL CHECK (status IN ({", ".join(repr(s) for s in STATUSES)})),
        failure TEXT CHECK (failure IN ('permanent', 'temporary')),
        provider TEXT, provider_id TEXT, encoding TEXT, parts INTEGER, cost_eur REAL,
        test INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
        commit_sha TEXT, file_path TEXT, run_id INTEGER,
        queued_at TEXT, sending_at TEXT, sent_at TEXT, delivered_at TEXT, failed_at TEXT,
        expired_at TEXT, updated_at TEXT,
        UNIQUE (campaign_id, occurrence, phone_hash))""")
    db.execute("CREATE INDEX messages_status ON messages (status, campaign_id, occurrence)")
    db.table("message_events").create({"id": int, "message_id": str, "at": str, "kind": str,
                                 "state": str, "detail": str}, pk="id")
    db.table("message_events").create_index(["message_id"])
    db.table("clicks").create({"id": int, "message_id": str, "campaign_id": str, "at": str,
                         "user_agent": str}, pk="id")
    db.table("conversions").create({"id": int, "campaign_id": str, "message_id": str, "code": str,
                              "at": str, "amount_eur": float}, pk="id")
    db.table("optouts").create({"phone_hash": str, "at": str, "source": str, "channel": str},
                         pk="phone_hash")


def _v2(db: sqlite_utils.Database) -> None:
    """Opt-outs know the campaign they answered; the KPI view of product.md."""
    db.execute("ALTER TABLE optouts ADD COLUMN campaign_id TEXT")
    db.execute("CREATE INDEX messages_campaign ON messages (campaign_id, status)")
    db.execute(CAMPAIGN_KPIS)


# product.md "Results database": every rate a fraction, NULL when its denominator is 0; test
# sends count nowhere; `sent` = reached the provider (sent, delivered, failed).
CAMPAIGN_KPIS = """
CREATE VIEW campaign_kpis AS
WITH m AS (SELECT * FROM messages WHERE test = 0),
speeds AS (
    SELECT campaign_id, ROUND((julianday(delivered_at) - julianday(sent_at)) * 86400, 3) AS secs,
           ROW_NUMBER() OVER (PARTITION BY campaign_id ORDER BY
               (julianday(delivered_at) - julianday(sent_at))) AS rn,
           COUNT(*) OVER (PARTITION BY campaign_id) AS n
    FROM m WHERE status = 'delivered' AND delivered_at IS NOT NULL AND sent_at IS NOT NULL),
speed AS (
    SELECT campaign_id,
           AVG(CASE WHEN rn IN ((n + 1) / 2, (n + 2) / 2) THEN secs END) AS median,
           MIN(CASE WHEN rn >= 0.9 * n THEN secs END) AS p90
    FROM speeds GROUP BY campaign_id),
counts AS (
    SELECT campaign_id,
           SUM(status IN ('sent', 'delivered', 'failed')) AS sent,
           SUM(status = 'delivered') AS delivered,
           SUM(status = 'failed') AS failed,
           SUM(status = 'failed' AND failure = 'permanent') AS bounced,
           SUM(status = 'in_doubt') AS in_doubt,
           SUM(status = 'expired') AS expired,
           SUM(CASE WHEN status IN ('sent', 'delivered', 'failed', 'in_doubt') THEN parts END)
               AS sms_parts,
           SUM(CASE WHEN status IN ('sent', 'delivered', 'failed', 'in_doubt') THEN cost_eur END)
               AS cost_eur
    FROM m GROUP BY campaign_id),
clickers AS (SELECT campaign_id, COUNT(DISTINCT message_id) AS n FROM clicks
             GROUP BY campaign_id),
sales AS (SELECT campaign_id, COUNT(*) AS n, SUM(amount_eur) AS revenue FROM conversions
          GROUP BY campaign_id),
stops AS (SELECT campaign_id, COUNT(*) AS n FROM optouts WHERE campaign_id IS NOT NULL
          GROUP BY campaign_id)
SELECT counts.campaign_id, campaigns.objective, counts.sent, counts.delivered, counts.failed,
       counts.in_doubt, counts.expired,
       CAST(counts.delivered AS REAL) / NULLIF(counts.sent, 0) AS deliverability_rate,
       speed.median AS delivery_seconds_median, speed.p90 AS delivery_seconds_p90,
       COALESCE(clickers.n, 0) AS unique_clickers,
       CAST(COALESCE(clickers.n, 0) AS REAL) / NULLIF(counts.delivered, 0) AS click_rate,
       COALESCE(sales.n, 0) AS conversions,
       CAST(COALESCE(sales.n, 0) AS REAL) / NULLIF(counts.delivered, 0) AS conversion_rate,
       COALESCE(sales.revenue, 0) AS revenue_eur,
       CAST(counts.bounced AS REAL) / NULLIF(counts.sent, 0) AS bounce_rate,
       COALESCE(stops.n, 0) AS optouts,
       CAST(COALESCE(stops.n, 0) AS REAL) / NULLIF(counts.delivered, 0) AS optout_rate,
       COALESCE(counts.sms_parts, 0) AS sms_parts, ROUND(COALESCE(counts.cost_eur, 0), 4) AS cost_eur
FROM counts
LEFT JOIN campaigns ON campaigns.id = counts.campaign_id
LEFT JOIN speed ON speed.campaign_id = counts.campaign_id
LEFT JOIN clickers ON clickers.campaign_id = counts.campaign_id
LEFT JOIN sales ON sales.campaign_id = counts.campaign_id
LEFT JOIN stops ON stops.campaign_id = counts.campaign_id
"""

def _v3(db: sqlite_utils.Database) -> None:
    """Delivery speed stored when the report arrives, indexed per campaign: the median and p90
    then read the index in order instead of sorting every delivered message."""
    db.execute("ALTER TABLE messages ADD COLUMN delivery_seconds REAL")
    db.execute("UPDATE messages SET delivery_seconds = "
               "ROUND((julianday(delivered_at) - julianday(sent_at)) * 86400, 3) "
               "WHERE delivered_at IS NOT NULL AND sent_at IS NOT NULL")
    db.execute("CREATE INDEX messages_speed ON messages (campaign_id, test, status, "
               "delivery_seconds)")
    db.execute("CREATE INDEX messages_counts ON messages (campaign_id, test, status, failure, "
               "parts, cost_eur)")
    db.execute("DROP VIEW campaign_kpis")
    db.execute(CAMPAIGN_KPIS.replace(SPEEDS_V2, SPEEDS_V3).replace(
        "WITH m AS (SELECT * FROM messages WHERE test = 0),", "WITH m AS (SELECT campaign_id, "
        "status, failure, parts, cost_eur FROM messages WHERE test = 0),"))


SPEEDS_V2 = """speeds AS (
    SELECT campaign_id, ROUND((julianday(delivered_at) - julianday(sent_at)) * 86400, 3) AS secs,
           ROW_NUMBER() OVER (PARTITION BY campaign_id ORDER BY
               (julianday(delivered_at) - julianday(sent_at))) AS rn,
           COUNT(*) OVER (PARTITION BY campaign_id) AS n
    FROM m WHERE status = 'delivered' AND delivered_at IS NOT NULL AND sent_at IS NOT NULL),"""
SPEEDS_V3 = """speeds AS (
    SELECT campaign_id, delivery_seconds AS secs,
           ROW_NUMBER() OVER (PARTITION BY campaign_id ORDER BY delivery_seconds) AS rn,
           COUNT(*) OVER (PARTITION BY campaign_id) AS n
    FROM messages INDEXED BY messages_speed
    WHERE test = 0 AND status = 'delivered' AND delivery_seconds IS NOT NULL),"""

def _v4(db: sqlite_utils.Database) -> None:
    """Per-recipient short links and promo codes (set when the message is claimed), the raw
    webhook calls (numbers masked), and conversions that know the order they came from."""
    db.execute("ALTER TABLE campaigns ADD COLUMN link TEXT")  # where its short links lead
    db.execute("ALTER TABLE messages ADD COLUMN link_token TEXT")
    db.execute("ALTER TABLE messages ADD COLUMN promo_code TEXT")
    db.execute("CREATE UNIQUE INDEX messages_link_token ON messages (link_token) "
               "WHERE link_token IS NOT NULL")
    db.execute("CREATE UNIQUE INDEX messages_promo_code ON messages (promo_code) "
               "WHERE promo_code IS NOT NULL")
    db.table("webhook_calls").create({"id": int, "received_at": str, "provider": str, "kind": str,
                                      "method": str, "path": str, "params": str, "body": str,
                                      "outcome": str, "detail": str}, pk="id")
    db.execute("ALTER TABLE conversions ADD COLUMN order_id TEXT")
    db.execute("ALTER TABLE conversions ADD COLUMN source TEXT")
    db.execute("ALTER TABLE conversions ADD COLUMN imported_at TEXT")
    db.execute("CREATE UNIQUE INDEX conversions_order ON conversions (code, order_id)")
    db.table("clicks").create_index(["campaign_id"])


def _v5(db: sqlite_utils.Database) -> None:
    """The delivery-speed histogram (messages per campaign per delivery time), kept by triggers,
    so the median and p90 walk a few hundred buckets instead of every delivered message; the
    counts read the covering index `messages_counts` in its own order (no temporary sort)."""
    db.execute("CREATE TABLE delivery_speeds (campaign_id TEXT NOT NULL, seconds REAL NOT NULL, "
               "messages INTEGER NOT NULL, PRIMARY KEY (campaign_id, seconds))")
    db.execute(f"INSERT INTO delivery_speeds SELECT campaign_id, delivery_seconds, COUNT(*) "
               f"FROM messages WHERE {_counted('messages')} GROUP BY 1, 2")
    for statement in DELIVERY_SPEED_TRIGGERS:
        db.execute(statement)
    db.execute("DROP VIEW campaign_kpis")
    db.execute(CAMPAIGN_KPIS_V5)


def _counted(row: str) -> str:
    """A message in the delivery-speed KPI: a real send, delivered, with both timestamps."""
    return f"{row}.test = 0 AND {row}.status = 'delivered' AND {row}.delivery_seconds IS NOT NULL"


_ADD = ("INSERT INTO delivery_speeds (campaign_id, seconds, messages) "
        "SELECT NEW.campaign_id, NEW.delivery_seconds, 1 WHERE {counted} "
        "ON CONFLICT (campaign_id, seconds) DO UPDATE SET messages = messages + 1;")
_REMOVE = ("UPDATE delivery_speeds SET messages = messages - 1 WHERE {counted} "
           "AND campaign_id = OLD.campaign_id AND seconds = OLD.delivery_seconds; "
           "DELETE FROM delivery_speeds WHERE campaign_id = OLD.campaign_id "
           "AND seconds = OLD.delivery_seconds AND messages <= 0;")
DELIVERY_SPEED_TRIGGERS = (
    f"CREATE TRIGGER delivery_speeds_insert AFTER INSERT ON messages WHEN {_counted('NEW')} "
    f"BEGIN {_ADD.format(counted=_counted('NEW'))} END",
    f"CREATE TRIGGER delivery_speeds_delete AFTER DELETE ON messages WHEN {_counted('OLD')} "
    f"BEGIN {_REMOVE.format(counted=_counted('OLD'))} END",
    "CREATE TRIGGER delivery_speeds_update AFTER UPDATE OF campaign_id, test, status, "
    f"delivery_seconds ON messages WHEN ({_counted('OLD')}) OR ({_counted('NEW')}) "
    f"BEGIN {_REMOVE.format(counted=_counted('OLD'))} {_ADD.format(counted=_counted('NEW'))} END",
)

# product.md's definitions, unchanged: over the n delivered messages ranked by speed, the median
# is the mean of ranks (n+1)/2 and (n+2)/2 (integer division), the p90 the smallest speed of rank
# >= 0.9 * n. A bucket holds ranks upto - messages + 1 .. upto, so the speed at rank r is the
# first bucket with upto >= r. `+test`: a plain `test = 0` is pushed into `groups`, where it
# makes SQLite sort the million index entries again instead of streaming them in index order.
CAMPAIGN_KPIS_V5 = """
CREATE VIEW campaign_kpis AS
WITH buckets AS (
    SELECT campaign_id, seconds,
           SUM(messages) OVER (PARTITION BY campaign_id ORDER BY seconds) AS upto,
           SUM(messages) OVER (PARTITION BY campaign_id) AS n
    FROM delivery_speeds WHERE messages > 0),
speed AS (
    SELECT campaign_id,
           (MIN(CASE WHEN upto >= (n + 1) / 2 THEN seconds END)
            + MIN(CASE WHEN upto >= (n + 2) / 2 THEN seconds END)) / 2.0 AS median,
           MIN(CASE WHEN upto >= 0.9 * n THEN seconds END) AS p90
    FROM buckets GROUP BY campaign_id),
groups AS (
    SELECT campaign_id, test, status, failure, COUNT(*) AS n, SUM(parts) AS parts,
           SUM(cost_eur) AS cost_eur
    FROM messages INDEXED BY messages_counts GROUP BY campaign_id, test, status, failure),
counts AS (
    SELECT campaign_id,
           SUM(CASE WHEN status IN ('sent', 'delivered', 'failed') THEN n ELSE 0 END) AS sent,
           SUM(CASE WHEN status = 'delivered' THEN n ELSE 0 END) AS delivered,
           SUM(CASE WHEN status = 'failed' THEN n ELSE 0 END) AS failed,
           SUM(CASE WHEN status = 'failed' AND failure = 'permanent' THEN n ELSE 0 END) AS bounced,
           SUM(CASE WHEN status = 'in_doubt' THEN n ELSE 0 END) AS in_doubt,
           SUM(CASE WHEN status = 'expired' THEN n ELSE 0 END) AS expired,
           SUM(CASE WHEN status IN ('sent', 'delivered', 'failed', 'in_doubt') THEN parts END)
               AS sms_parts,
           SUM(CASE WHEN status IN ('sent', 'delivered', 'failed', 'in_doubt') THEN cost_eur END)
               AS cost_eur
    FROM groups WHERE +test = 0 GROUP BY campaign_id),
""" + CAMPAIGN_KPIS.split("               AS cost_eur\n    FROM m GROUP BY campaign_id),\n", 1)[1]


def _v6(db: sqlite_utils.Database) -> None:
    """Reports of providers that cannot carry our reference (OVH's account callback) join on
    the provider's own id."""
    db.execute("CREATE INDEX messages_provider_id ON messages (provider_id) "
               "WHERE provider_id IS NOT NULL")


def _v7(db: sqlite_utils.Database) -> None:
    """The dashboard's sent/delivered per hour read these indexes instead of every message
    (0.2 s instead of 2.4 s over 10^6 messages, bench/serve)."""
    db.execute("CREATE INDEX messages_sent_hours ON messages "
               "(test, status, campaign_id, substr(sent_at, 1, 13))")
    db.execute("CREATE INDEX messages_delivered_hours ON messages "
               "(test, status, campaign_id, substr(delivered_at, 1, 13))")


STOPS_V2 = """stops AS (SELECT campaign_id, COUNT(*) AS n FROM optouts WHERE campaign_id IS NOT NULL
          GROUP BY campaign_id)"""
STOPS_V8 = """stops AS (SELECT m.campaign_id, COUNT(DISTINCT e.message_id) AS n
          FROM message_events AS e INDEXED BY message_events_stops
          JOIN messages AS m ON m.id = e.message_id
          WHERE e.kind = 'stop' AND m.test = 0 GROUP BY m.campaign_id)"""
CAMPAIGN_KPIS_V8 = CAMPAIGN_KPIS_V5.replace(STOPS_V2, STOPS_V8)


def _v8(db: sqlite_utils.Database) -> None:
    """STOP replies counted from message_events (kind 'stop' on the message answered), which only
    grows: taking someone off the suppression list (`optout remove`) no longer lowers the
    opt-out rate of the campaigns they answered. Existing attributed opt-outs are carried over."""
    db.execute("CREATE INDEX message_events_stops ON message_events (message_id) WHERE kind = 'stop'")
    db.execute("""INSERT INTO message_events (message_id, at, kind, state, detail)
        SELECT answered, at, 'stop', 'optout', '' FROM (SELECT o.at, (SELECT m.id FROM messages AS m
            WHERE m.phone_hash = o.phone_hash AND m.campaign_id = o.campaign_id AND m.test = 0
            ORDER BY m.sent_at DESC LIMIT 1) AS answered
            FROM optouts AS o WHERE o.campaign_id IS NOT NULL) WHERE answered IS NOT NULL""")
    db.execute("DROP VIEW campaign_kpis")
    db.execute(CAMPAIGN_KPIS_V8)


def _v9(db: sqlite_utils.Database) -> None:
    """The message counts per campaign, status and failure, and per campaign and hour sent or
    delivered (real sends only), kept by triggers like the delivery-speed histogram:
    campaign_kpis and the dashboard's deliveries chart then read a few dozen rows instead of
    grouping every message, so the dashboard stays fast at 10^6 messages."""
    db.execute("CREATE TABLE message_counts (campaign_id TEXT NOT NULL, status TEXT NOT NULL, "
               "failure TEXT NOT NULL, messages INTEGER NOT NULL, parts INTEGER NOT NULL, "
               "cost_eur REAL NOT NULL, PRIMARY KEY (campaign_id, status, failure))")
    db.execute("INSERT INTO message_counts SELECT campaign_id, status, COALESCE(failure, ''), "
               "COUNT(*), COALESCE(SUM(parts), 0), COALESCE(SUM(cost_eur), 0) FROM messages "
               "WHERE test = 0 GROUP BY 1, 2, 3")
    db.execute("CREATE TABLE message_hours (campaign_id TEXT NOT NULL, hour TEXT NOT NULL, "
               "status TEXT NOT NULL, messages INTEGER NOT NULL, "
               "PRIMARY KEY (campaign_id, hour, status))")
    for status, stamp, counted in HOURS:
        db.execute(f"INSERT INTO message_hours SELECT campaign_id, substr({stamp}, 1, 13), "
                   f"'{status}', COUNT(*) FROM messages m WHERE {counted.format(row='m')} "
                   "GROUP BY 1, 2")
    for statement in MESSAGE_COUNT_TRIGGERS + MESSAGE_HOUR_TRIGGERS:
        db.execute(statement)
    db.execute("DROP VIEW campaign_kpis")
    assert GROUPS_V5 in CAMPAIGN_KPIS_V8
    db.execute(CAMPAIGN_KPIS_V8.replace(GROUPS_V5, GROUPS_V9))


# failure is '' rather than NULL: NULLs never conflict in a primary key, so upserts need a value
_COUNT_ADD = ("INSERT INTO message_counts VALUES (NEW.campaign_id, NEW.status, "
              "COALESCE(NEW.failure, ''), 1, COALESCE(NEW.parts, 0), COALESCE(NEW.cost_eur, 0)) "
              "ON CONFLICT (campaign_id, status, failure) DO UPDATE SET messages = messages + 1, "
              "parts = parts + excluded.parts, cost_eur = cost_eur + excluded.cost_eur;")
_COUNT_KEY = ("campaign_id = OLD.campaign_id AND status = OLD.status "
              "AND failure = COALESCE(OLD.failure, '')")
_COUNT_REMOVE = ("UPDATE message_counts SET messages = messages - 1, "
                 "parts = parts - COALESCE(OLD.parts, 0), cost_eur = cost_eur - COALESCE(OLD.cost_eur, 0) "
                 f"WHERE {_COUNT_KEY}; DELETE FROM message_counts WHERE {_COUNT_KEY} AND messages <= 0;")
MESSAGE_COUNT_TRIGGERS = (
    f"CREATE TRIGGER message_counts_insert AFTER INSERT ON messages WHEN NEW.test = 0 "
    f"BEGIN {_COUNT_ADD} END",
    f"CREATE TRIGGER message_counts_delete AFTER DELETE ON messages WHEN OLD.test = 0 "
    f"BEGIN {_COUNT_REMOVE} END",
    "CREATE TRIGGER message_counts_update_old AFTER UPDATE OF campaign_id, test, status, failure, "
    f"parts, cost_eur ON messages WHEN OLD.test = 0 BEGIN {_COUNT_REMOVE} END",
    "CREATE TRIGGER message_counts_update_new AFTER UPDATE OF campaign_id, test, status, failure, "
    f"parts, cost_eur ON messages WHEN NEW.test = 0 BEGIN {_COUNT_ADD} END",
)
# (status, its time column, when a message counts there): the dashboard's sent and delivered
# per hour; `sent` means reached the provider, as in campaign_kpis
HOURS = (("sent", "sent_at", "{row}.test = 0 AND {row}.status IN ('sent', 'delivered', 'failed') "
          "AND {row}.sent_at IS NOT NULL"),
         ("delivered", "delivered_at", "{row}.test = 0 AND {row}.status = 'delivered' "
          "AND {row}.delivered_at IS NOT NULL"))


def _hours(row: str, change: str) -> str:
    """The statements that add (change '+') or remove ('-') one message row's hours."""
    statements = []
    for status, stamp, counted in HOURS:
        key = f"{row}.campaign_id, substr({row}.{stamp}, 1, 13), '{status}'"
        if change == "+":
            statements.append(
                f"INSERT INTO message_hours SELECT {key}, 1 WHERE {counted.format(row=row)} "
                "ON CONFLICT (campaign_id, hour, status) DO UPDATE SET messages = messages + 1;")
        else:
            where = f"(campaign_id, hour, status) = ({key})"
            statements.append(f"UPDATE message_hours SET messages = messages - 1 WHERE {where} "
                              f"AND {counted.format(row=row)}; DELETE FROM message_hours "
                              f"WHERE {where} AND messages <= 0;")
    return " ".join(statements)


MESSAGE_HOUR_TRIGGERS = (
    f"CREATE TRIGGER message_hours_insert AFTER INSERT ON messages BEGIN {_hours('NEW', '+')} END",
    f"CREATE TRIGGER message_hours_delete AFTER DELETE ON messages BEGIN {_hours('OLD', '-')} END",
    "CREATE TRIGGER message_hours_update AFTER UPDATE OF campaign_id, test, status, sent_at, "
    f"delivered_at ON messages BEGIN {_hours('OLD', '-')} {_hours('NEW', '+')} END",
)
GROUPS_V5 = """groups AS (
    SELECT campaign_id, test, status, failure, COUNT(*) AS n, SUM(parts) AS parts,
           SUM(cost_eur) AS cost_eur
    FROM messages INDEXED BY messages_counts GROUP BY campaign_id, test, status, failure),"""
GROUPS_V9 = """groups AS (
    SELECT campaign_id, 0 AS test, status, NULLIF(failure, '') AS failure, messages AS n,
           parts, cost_eur
    FROM message_counts),"""


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8,
                                                            _v9]


def open_store(path: Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(path)
    db.conn.isolation_level = None  # explicit transactions only: every commit is deliberate
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA busy_timeout = 5000")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number, migrate in enumerate(MIGRATIONS[version:], version + 1):
        with transaction(db.conn):
            migrate(db)
            db.execute(f"PRAGMA user_version = {number}")
    return db


class transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: object, *_rest: object) -> None:
        self.conn.execute("COMMIT" if kind is None else "ROLLBACK")


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def free_text(text: str) -> str:
    """What may be written to a free-text column (provider errors and raw answers, webhook calls):
    Datasette serves every column, so every phone number in it is starred here, once for all."""
    return mask_numbers(text)


def event(conn: sqlite3.Connection, message_id: str, at: datetime, kind: str, state: str,
          detail: str = "") -> None:
    conn.execute("INSERT INTO message_events (message_id, at, kind, state, detail) "
                 "VALUES (?, ?, ?, ?, ?)", (message_id, iso(at), kind, state, free_text(detail)))


def webhook_call(conn: sqlite3.Connection, received_at: datetime, provider: str, kind: str,
                 method: str, path: str, *, params: str, body: str, outcome: str,
                 detail: str) -> None:
    conn.execute("INSERT INTO webhook_calls (received_at, provider, kind, method, path, params, "
                 "body, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (iso(received_at), provider, kind, method, path, free_text(params),
                  free_text(body), outcome, free_text(detail)))
