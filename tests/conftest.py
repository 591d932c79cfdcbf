"""Shared fixtures: a copy of the example project, the CLI, a fixed clock."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from runner.cli import cli
from runner.diagnostics import Diagnostic
from runner.project import Project, load_project
from runner.validate import validate

REPO = Path(__file__).resolve().parent.parent
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def no_real_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may read a real SMSOPS_* secret from the machine."""
    import os

    for name in list(os.environ):
        if name.startswith("SMSOPS_"):
            monkeypatch.delenv(name)


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """A copy of the example project shipped in this repository."""
    shutil.copy(REPO / "smsops.yaml", tmp_path / "smsops.yaml")
    for folder in ("campaigns", "audiences"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


CAMPAIGN = """\
name: Test
objective: store_visit
segment: clients-actifs
message: >-
  Maison Lila : {{first_name|Bonjour}}, -20% samedi avec le code HIVER20 !
  maisonlila.example/soldes STOP au 36111
schedule:
  at: {at}
"""


def campaign_yaml(at: str = "2027-01-09 10:00", **replace: str) -> str:
    text = CAMPAIGN.format(at=at)
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


@pytest.fixture
def diagnostics_of(project_dir: Path) -> Callable[..., list[Diagnostic]]:
    """Write campaigns/test.yaml (or any files) into the example project and validate it."""

    def run(campaign: str | None = None, *, rule: str | None = None,
            files: dict[str, str] | None = None, now: datetime = NOW) -> list[Diagnostic]:
        if campaign is not None:
            write(project_dir / "campaigns" / "test.yaml", campaign)
        for name, text in (files or {}).items():
            write(project_dir / name, text)
        found = validate(load_project(project_dir), now, changed=["campaigns/test.yaml"])
        return [d for d in found if rule is None or d.rule == rule]

    return run


def only_test_file(found: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in found if d.path == "campaigns/test.yaml"]


def loaded(project_dir: Path) -> Project:
    return load_project(project_dir)


def run_cli(project_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--project", str(project_dir), *args])


def assert_json_diagnostics_shape(payload: dict[str, object]) -> None:
    """product.md 'Machine-readable outputs': exactly these keys, in this order."""
    assert list(payload) == ["ok", "diagnostics"]
    assert isinstance(payload["ok"], bool)
    for diagnostic in payload["diagnostics"]:  # type: ignore[attr-defined]
        assert list(diagnostic) == ["path", "line", "col", "severity", "rule", "message"]
        assert diagnostic["severity"] in ("error", "warning")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib that shows a 302 as an HTTPError instead of following it off the machine."""

    def redirect_request(self, *args, **kwargs):
        return None


def _answers(url: str) -> list[bool]:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return [True]
    except OSError:
        return []


@contextlib.contextmanager
def serving(project: Path, env: dict[str, str], port: int | None = None):
    """A real `smsops serve` process on a (free) loopback port; yields its base URL."""
    from tests.kannel_gateway import _free_ports, _wait
    port = port or _free_ports(["serve"])["serve"]
    server = subprocess.Popen([sys.executable, "-m", "runner", "--project", str(project), "serve",
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _answers(f"{url}/-/versions.json"), 1, 20.0, "serve answer")
        yield url
    finally:
        server.terminate()
        server.wait(10)
