"""The private contacts database: clear numbers, never served, never in git.

One row per non-blank input row, so that a segment counts every bucket of product.md:
`_bucket` is invalid | duplicate | no_consent | ok (opt-outs are checked at plan and send time).
System columns start with `_`; every other column is a field of the file, stored as text."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from runner.audience.segments import quote

SYSTEM_COLUMNS = ("_list", "_line", "_raw_phone", "_phone", "_region", "_timezone", "_bucket",
                  "_reason", "_hash", "_consent_basis", "_consent_date", "_consent_source")
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS contacts ({", ".join(SYSTEM_COLUMNS)}, PRIMARY KEY (_list, _line))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS imports (list TEXT PRIMARY KEY, file TEXT, fingerprint TEXT,
    imported_at TEXT, fields TEXT);
"""


VERSION = 1  # bump when SCHEMA changes: the database is then rebuilt by the next import


def connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    if db.execute("PRAGMA user_version").fetchone()[0] != VERSION:
        db.executescript(f"DROP TABLE IF EXISTS contacts; DROP TABLE IF EXISTS imports; "
                         f"PRAGMA user_version = {VERSION};")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.executescript(SCHEMA)
    return db


def ensure_columns(db: sqlite3.Connection, names: Iterable[str]) -> None:
    present = {row[1] for row in db.execute("PRAGMA table_info(contacts)")}
    for name in names:
        if name not in present:
            db.execute(f"ALTER TABLE contacts ADD COLUMN {quote(name)} TEXT DEFAULT ''")


def insert_sql(fields: Sequence[str]) -> str:
    columns = [*SYSTEM_COLUMNS, *fields]
    return (f"INSERT INTO contacts ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})")


# product.md: a later row with the same number is a duplicate; it merges into the first row,
# which takes the first valid consent evidence among them. Done in SQL over small temporary
# tables (a few % of the rows), so that the import needs no index on the phone column.
MERGE_DUPLICATES = ("""
CREATE TEMP TABLE firsts AS
    SELECT _phone, MIN(_line) AS first FROM contacts
    WHERE _list = :list AND _phone IS NOT NULL GROUP BY _phone HAVING COUNT(*) > 1
""", "CREATE INDEX temp.firsts_phone ON firsts (_phone)", """
CREATE TEMP TABLE dups AS
    SELECT c._line, c._phone, c._consent_basis, c._consent_date, c._consent_source
    FROM contacts AS c JOIN firsts AS f ON c._phone = f._phone WHERE c._list = :list
""", "CREATE INDEX temp.dups_phone ON dups (_phone, _line)", """
UPDATE contacts SET _bucket = 'duplicate', _reason = 'same number as line ' || f.first
FROM dups AS d JOIN firsts AS f ON d._phone = f._phone
WHERE contacts._list = :list AND contacts._line = d._line AND d._line > f.first
""", """
UPDATE contacts SET (_bucket, _reason, _consent_basis, _consent_date, _consent_source) = (
    SELECT 'ok', NULL, later._consent_basis, later._consent_date, later._consent_source
    FROM dups AS later WHERE later._phone = contacts._phone AND later._consent_basis IS NOT NULL
    ORDER BY later._line LIMIT 1)
FROM firsts AS f
WHERE contacts._list = :list AND contacts._line = f.first AND contacts._bucket = 'no_consent'
    AND EXISTS (SELECT 1 FROM dups AS later
                WHERE later._phone = contacts._phone AND later._consent_basis IS NOT NULL)
""", "DROP TABLE firsts", "DROP TABLE dups")
