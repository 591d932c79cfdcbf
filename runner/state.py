"""The ledger between scheduled runs: the results database kept on a git branch of its own.

GitHub runners start empty. Before a run the ledger is restored from the state branch; after
it, saved there. When the branch exists but the ledger cannot be restored, nothing may be
sent: starting from an empty ledger would send every message a second time."""

from __future__ import annotations

import sqlite3
import subprocess
import tempfile
from pathlib import Path

from runner.diagnostics import Diagnostic, Location, SmsopsError
from runner.i18n import _

DEFAULT_BRANCH = "smsops-state"


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if check and result.returncode:
        raise _refuse(_("git {command} failed: {error}").format(
            command=args[0], error=result.stderr.strip() or result.stdout.strip()))
    return result


def _refuse(reason: str) -> SmsopsError:
    return SmsopsError(Diagnostic.at(Location("smsops.db"), "schema", _(
        "{reason}; nothing will be sent until the ledger is restored").format(reason=reason)))


def restore(root: Path, database: str, branch: str = DEFAULT_BRANCH, remote: str = "origin") -> bool:
    """True when a ledger was restored, False on the very first run (no branch yet)."""
    found = _git(root, "ls-remote", "--exit-code", "--heads", remote, branch, check=False)
    if found.returncode == 2:
        return False
    if found.returncode:
        raise _refuse(_("cannot reach {remote} to look for the {branch} branch ({error})").format(
            remote=remote, branch=branch, error=found.stderr.strip()))
    _git(root, "fetch", "--quiet", "--depth", "1", remote, f"refs/heads/{branch}")
    blob = subprocess.run(["git", "show", f"FETCH_HEAD:{database}"], cwd=root, capture_output=True)
    if blob.returncode:
        raise _refuse(_("the {branch} branch exists but holds no {file}").format(
            branch=branch, file=database))
    target = root / database
    target.write_bytes(blob.stdout)
    try:
        check = sqlite3.connect(target).execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as err:
        check = str(err)
    if check != "ok":
        target.unlink()
        raise _refuse(_("the ledger on {branch} is damaged ({check})").format(
            branch=branch, check=check))
    return True


def save(root: Path, database: str, message: str, branch: str = DEFAULT_BRANCH,
         remote: str = "origin") -> None:
    """Commit the ledger (checkpointed into one file) to the state branch and push it."""
    source = root / database
    db = sqlite3.connect(source)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    with tempfile.TemporaryDirectory(prefix="smsops-state-") as tmp:
        work = Path(tmp) / "state"
        exists = _git(root, "ls-remote", "--exit-code", "--heads", remote, branch,
                      check=False).returncode == 0
        if exists:
            _git(root, "fetch", "--quiet", "--depth", "1", remote, f"refs/heads/{branch}")
            _git(root, "worktree", "add", "--detach", str(work), "FETCH_HEAD")
        else:
            _git(root, "worktree", "add", "--detach", str(work))
            _git(work, "checkout", "--quiet", "--orphan", branch)
            _git(work, "rm", "-rf", "--quiet", ".")
        try:
            (work / database).write_bytes(source.read_bytes())
            _git(work, "add", database)
            if _git(work, "diff", "--cached", "--quiet", check=False).returncode:
                _git(work, "-c", "user.name=smsops", "-c", "user.email=smsops@users.noreply",
                     "commit", "--quiet", "-m", message)
                _git(work, "push", "--quiet", remote, f"HEAD:refs/heads/{branch}")
        finally:
            _git(root, "worktree", "remove", "--force", str(work), check=False)
