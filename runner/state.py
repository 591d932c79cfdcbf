"""The ledger between scheduled runs: the results database kept on a git branch of its own.

GitHub runners start empty. Before a run the ledger is restored from the state branch and the
branch is marked `in-progress`; after the run the ledger is saved there and the mark removed.
A ledger that exists but cannot be restored, or a mark left by a run that never saved, stops
everything: starting from an older or empty ledger would send messages a second time."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from runner.diagnostics import Diagnostic, Location, SmsopsError
from runner.i18n import _

DEFAULT_BRANCH = "smsops-state"
MARK = "in-progress"


def _git(root: Path, *args: str, check: bool = True,
         stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, input=stdin)
    if check and result.returncode:
        raise _error(_("git {command} failed: {error}").format(
            command=args[0], error=result.stderr.strip() or result.stdout.strip()))
    return result


def _error(reason: str) -> SmsopsError:
    return SmsopsError(Diagnostic.at(Location("smsops.db"), "schema", _(
        "{reason}; nothing is sent until the ledger is in order").format(reason=reason)))


def _remote_head(root: Path, remote: str, branch: str) -> str | None:
    found = _git(root, "ls-remote", "--exit-code", "--heads", remote, branch, check=False)
    if found.returncode == 2:
        return None
    if found.returncode:
        raise _error(_("cannot reach {remote} to look for the {branch} branch ({error})").format(
            remote=remote, branch=branch, error=found.stderr.strip()))
    _git(root, "fetch", "--quiet", "--depth", "1", remote, f"refs/heads/{branch}")
    return _git(root, "rev-parse", "FETCH_HEAD").stdout.strip()


def _push(root: Path, files: dict[str, bytes], parent: str | None, message: str, remote: str,
          branch: str) -> None:
    """One commit holding exactly `files`, on top of `parent`, pushed (never forced)."""
    entries = ""
    for name, content in sorted(files.items()):
        blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=root, input=content,
                              capture_output=True, check=True).stdout.decode().strip()
        entries += f"100644 blob {blob}\t{name}\n"
    tree = _git(root, "mktree", stdin=entries).stdout.strip()
    if parent and _git(root, "rev-parse", f"{parent}^{{tree}}").stdout.strip() == tree:
        return
    commit = _git(root, "-c", "user.name=smsops", "-c", "user.email=smsops@users.noreply",
                  "commit-tree", tree, *(["-p", parent] if parent else []), "-m", message).stdout
    _git(root, "push", "--quiet", remote, f"{commit.strip()}:refs/heads/{branch}")


def restore(root: Path, database: str, label: str, branch: str = DEFAULT_BRANCH,
            remote: str = "origin") -> bool:
    """Restore the ledger and mark the branch in progress; False on the very first run."""
    head = _remote_head(root, remote, branch)
    files: dict[str, bytes] = {}
    if head is not None:
        names = _git(root, "ls-tree", "--name-only", head).stdout.split()
        if MARK in names:
            previous = _git(root, "show", f"{head}:{MARK}").stdout.strip()
            raise _error(_("the run '{previous}' restored the ledger but never saved it (it may "
                           "have sent messages this ledger does not know); check its log, then "
                           "run smsops state release").format(previous=previous))
        blob = subprocess.run(["git", "show", f"{head}:{database}"], cwd=root, capture_output=True)
        if blob.returncode:
            raise _error(_("the {branch} branch exists but holds no {file}").format(
                branch=branch, file=database))
        _write_checked(root / database, blob.stdout, branch)
        files[database] = blob.stdout
    _push(root, {**files, MARK: label.encode() + b"\n"}, head, f"{label}: in progress", remote,
          branch)
    return head is not None


def _write_checked(target: Path, content: bytes, branch: str) -> None:
    target.write_bytes(content)
    try:
        check = sqlite3.connect(target).execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as err:
        check = str(err)
    if check != "ok":
        target.unlink()
        raise _error(_("the ledger on {branch} is damaged ({check})").format(branch=branch,
                                                                             check=check))


def save(root: Path, database: str, label: str, branch: str = DEFAULT_BRANCH,
         remote: str = "origin") -> None:
    """Commit the ledger (checkpointed into one file) and remove the in-progress mark."""
    source = root / database
    db = sqlite3.connect(source)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    head = _remote_head(root, remote, branch)
    _push(root, {database: source.read_bytes()}, head, f"{label}: ledger saved", remote, branch)


def release(root: Path, branch: str = DEFAULT_BRANCH, remote: str = "origin") -> None:
    """Remove a mark left by a run that never saved, after a person has checked its log."""
    head = _remote_head(root, remote, branch)
    if head is None:
        return
    names = [n for n in _git(root, "ls-tree", "--name-only", head).stdout.split() if n != MARK]
    files = {name: subprocess.run(["git", "show", f"{head}:{name}"], cwd=root,
                                  capture_output=True, check=True).stdout for name in names}
    _push(root, files, head, "released by hand", remote, branch)
