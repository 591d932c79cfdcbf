"""The ledger between scheduled runs, on a git branch: restored before, saved after; a ledger
that exists but cannot be restored, or a run that never saved, stops everything."""

import sqlite3
import subprocess

import pytest

from runner.diagnostics import SmsopsError
from runner.state import release, restore, save
from runner.store import open_store
from tests.conftest import run_cli


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)


@pytest.fixture
def repos(tmp_path):
    """A bare 'GitHub' remote and two checkouts of it (two runners), the first one empty."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    first, second = tmp_path / "first", tmp_path / "second"
    git(tmp_path, "clone", "--quiet", str(remote), str(first))
    git(tmp_path, "clone", "--quiet", str(remote), str(second))
    return remote, first, second


def ledger_with(path, rows):
    db = open_store(path)
    for n in range(rows):
        db.execute("INSERT INTO optouts (phone_hash, at, source, channel) "
                   "VALUES (?, '2027-01-01', 'test', 'sms')", (f"h{n}",))
    db.conn.close()


def optouts(path):
    return sqlite3.connect(path).execute("SELECT COUNT(*) FROM optouts").fetchone()[0]


def test_first_run_finds_no_ledger_then_the_next_runner_gets_it(repos):
    _remote, first, second = repos
    assert restore(first, "smsops.db", "run 1") is False
    ledger_with(first / "smsops.db", 3)
    save(first, "smsops.db", "run 1")
    assert restore(second, "smsops.db", "run 2") is True
    assert optouts(second / "smsops.db") == 3
    assert git(second, "status", "--porcelain", "--untracked-files=no").stdout == ""  # untouched


def test_a_run_that_never_saved_stops_the_next_one(repos):
    _remote, first, second = repos
    restore(first, "smsops.db", "run 1")
    ledger_with(first / "smsops.db", 1)
    save(first, "smsops.db", "run 1")
    restore(first, "smsops.db", "run 2")  # ... and run 2 dies before saving
    with pytest.raises(SmsopsError, match="the run 'run 2' restored the ledger but never saved"):
        restore(second, "smsops.db", "run 3")
    release(second)
    assert restore(second, "smsops.db", "run 3") is True
    assert optouts(second / "smsops.db") == 1


def test_saving_without_changes_adds_no_commit(repos):
    remote, first, _second = repos
    ledger_with(first / "smsops.db", 1)
    save(first, "smsops.db", "run 1")
    save(first, "smsops.db", "run 1 again")
    assert len(git(remote, "log", "--oneline", "smsops-state").stdout.splitlines()) == 1


def test_a_branch_without_the_ledger_refuses(repos):
    remote, first, second = repos
    (first / "README").write_text("not a ledger\n")
    git(first, "add", "README")
    git(first, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "x")
    git(first, "push", "--quiet", "origin", "HEAD:refs/heads/smsops-state")
    with pytest.raises(SmsopsError, match="holds no smsops.db; nothing is sent"):
        restore(second, "smsops.db", "run")


def test_a_damaged_ledger_refuses_and_leaves_nothing(repos):
    _remote, first, second = repos
    (first / "smsops.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    git(first, "add", "smsops.db")
    git(first, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "x")
    git(first, "push", "--quiet", "origin", "HEAD:refs/heads/smsops-state")
    with pytest.raises(SmsopsError, match="nothing is sent"):
        restore(second, "smsops.db", "run")
    assert not (second / "smsops.db").exists()


def test_an_unreachable_remote_refuses(repos):
    _remote, _first, second = repos
    git(second, "remote", "set-url", "origin", str(second / "missing.git"))
    with pytest.raises(SmsopsError, match="cannot reach origin"):
        restore(second, "smsops.db", "run")


def test_cli_restore_failure_exits_2(repos, project_dir):
    _remote, first, _second = repos
    restore(first, "smsops.db", "run 1")  # never saved
    git(project_dir, "init", "--quiet")
    git(project_dir, "remote", "add", "origin", str(repos[0]))
    result = run_cli(project_dir, "state", "restore")
    assert result.exit_code == 2
    assert "never saved it" in result.output
