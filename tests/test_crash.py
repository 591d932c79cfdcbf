"""Kill `smsops run` (a real subprocess, SIGKILL) at several points of a campaign, run it
again, and count what reached the far end: never twice, every recipient once or in doubt."""

import os
import signal
import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import run_cli

AT = "2027-01-07T10:00+01:00"


def smsops_run(project_dir, crash=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSOPS_")}
    if crash:
        env["SMSOPS_SIMULATOR_CRASH"] = crash
    return subprocess.run([sys.executable, "-m", "runner", "--project", str(project_dir), "run",
                           "--at", AT, "--campaign", "vente-privee"],
                          env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("crash", ["before:0", "after:1", "before:4", "after:4", "before:7",
                                   "after:7", "after:8"])
def test_killed_run_then_rerun_sends_each_recipient_exactly_once(project_dir, crash):
    assert run_cli(project_dir, "contacts", "import").exit_code == 0
    killed = smsops_run(project_dir, crash)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    again = smsops_run(project_dir)
    assert again.returncode == 0, again.stderr
    outbox = sqlite3.connect(project_dir / "simulator.db").execute(
        "SELECT reference, sent_to FROM outbox").fetchall()
    references = [ref for ref, _to in outbox]
    assert len(references) == len(set(references)) == 8  # nothing twice at the far end
    assert len({to for _ref, to in outbox}) == 8
    ledger = dict(sqlite3.connect(project_dir / "smsops.db").execute(
        "SELECT status, COUNT(*) FROM messages GROUP BY status"))
    assert ledger == {"sent": 8}  # the simulator can be asked, so nothing stays in doubt


def test_killed_run_with_a_provider_that_cannot_be_asked_leaves_in_doubt(project_dir):
    assert run_cli(project_dir, "contacts", "import").exit_code == 0
    assert smsops_run(project_dir, "after:3").returncode == -signal.SIGKILL
    db = sqlite3.connect(project_dir / "smsops.db")
    db.execute("UPDATE messages SET provider = 'blind' WHERE status = 'sending'")
    db.commit()
    from runner.dispatch import Dispatcher  # reconcile with a provider without lookup
    from runner.providers.base import Capabilities

    class Blind:
        name = "blind"
        capabilities = Capabilities(lookup=False)

    import asyncio
    from datetime import datetime

    from runner.project import load_project

    dispatcher = Dispatcher(load_project(project_dir), db, None, lambda name: Blind(),
                            lambda: datetime.now().astimezone())
    assert asyncio.run(dispatcher.reconcile()) == {"sent": 0, "queued": 0, "in_doubt": 1}
    db.execute("UPDATE messages SET provider = 'simulator' WHERE provider = 'blind'")
    db.commit()
    assert smsops_run(project_dir).returncode == 0
    outbox = sqlite3.connect(project_dir / "simulator.db").execute(
        "SELECT COUNT(*), COUNT(DISTINCT reference) FROM outbox").fetchone()
    assert outbox == (8, 8)  # the doubtful message was not sent again
    assert dict(db.execute("SELECT status, COUNT(*) FROM messages GROUP BY status")) == {
        "sent": 7, "in_doubt": 1}
