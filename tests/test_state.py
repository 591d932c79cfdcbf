"""The ledger between scheduled runs, on a git branch: restored before, saved after, and a
ledger that exists but cannot be restored stops everything (never an empty ledger by accident)."""

import sqlite3
import subprocess

import pytest

from runner.diagnostics import SmsopsError
from runner.state import restore, save
from runner.store import open_store


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)


@pytest.fixture
def repos(tmp_path):
    """A bare 'GitHub' remote and two checkouts of it (two runners)."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    first = tmp_path / "first"
    git(tmp_path, "clone", "--quiet", str(remote), str(first))
    (first / "smsops.yaml").write_text("sender: X\n")
    git(first, "add", ".")
    git(first, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "start")
    git(first, "push", "--quiet", "origin", "HEAD:main")
    second = tmp_path / "second"
    git(tmp_path, "clone", "--quiet", "--branch", "main", str(remote), str(second))
    return remote, first, second


def ledger_with(path, rows):
    db = open_store(path)
    for n in range(rows):
        db.execute("INSERT INTO optouts VALUES (?, '2027-01-01', 'test', 'sms')", (f"h{n}",))
    db.conn.close()


def test_first_run_finds_no_ledger_then_the_next_runner_gets_it(repos):
    _remote, first, second = repos
    assert restore(first, "smsops.db") is False
    ledger_with(first / "smsops.db", 3)
    save(first, "smsops.db", "after run 1")
    assert restore(second, "smsops.db") is True
    count = sqlite3.connect(second / "smsops.db").execute("SELECT COUNT(*) FROM optouts")
    assert count.fetchone() == (3,)
    assert "smsops.db" not in git(second, "ls-files").stdout  # never on the main branch


def test_saving_twice_without_changes_adds_no_commit(repos):
    remote, first, _second = repos
    ledger_with(first / "smsops.db", 1)
    save(first, "smsops.db", "run 1")
    save(first, "smsops.db", "run 2")
    log = git(remote, "log", "--oneline", "smsops-state").stdout.splitlines()
    assert len(log) == 1


def test_a_branch_without_the_ledger_refuses(repos):
    _remote, first, second = repos
    git(first, "push", "--quiet", "origin", "HEAD:refs/heads/smsops-state")  # no smsops.db in it
    with pytest.raises(SmsopsError, match="holds no smsops.db; nothing will be sent"):
        restore(second, "smsops.db")


def test_a_damaged_ledger_refuses_and_leaves_nothing(repos):
    _remote, first, second = repos
    (first / "smsops.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    git(first, "checkout", "--quiet", "--orphan", "broken")
    git(first, "add", "smsops.db")
    git(first, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "x")
    git(first, "push", "--quiet", "origin", "HEAD:refs/heads/smsops-state")
    with pytest.raises(SmsopsError, match="nothing will be sent"):
        restore(second, "smsops.db")
    assert not (second / "smsops.db").exists()


def test_an_unreachable_remote_refuses(repos):
    _remote, _first, second = repos
    git(second, "remote", "set-url", "origin", str(second / "missing.git"))
    with pytest.raises(SmsopsError, match="cannot reach origin"):
        restore(second, "smsops.db")
