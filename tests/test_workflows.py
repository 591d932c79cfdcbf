"""Every GitHub workflow is linted offline (vendored SchemaStore schema) and must be clean."""

import subprocess
import sys

import pytest
import yaml

from runner.phones import HASH_KEY_ENV
from runner.providers import ENV_DEFAULTS
from runner.providers.base import WEBHOOK_TOKEN_ENV
from tests.conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def lint(*paths):
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
         *map(str, paths)], capture_output=True, text=True)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_has_no_findings(path):
    result = lint(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_linter_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text((REPO / ".github/workflows/validate.yml").read_text().replace(
        "runs-on: ubuntu-latest", "runs_on: ubuntu-latest"))
    assert lint(broken).returncode == 1


def test_validate_workflow_runs_smsops_with_github_annotations():
    text = (REPO / ".github/workflows/validate.yml").read_text()
    assert "smsops validate --format github" in text
    assert "pull_request:" in text


def run_job():
    return yaml.safe_load((REPO / ".github/workflows/run.yml").read_text())["jobs"]["run"]


@pytest.mark.parametrize("variable", sorted(
    {name for defaults in ENV_DEFAULTS.values() for name in defaults.values()}
    | {WEBHOOK_TOKEN_ENV, HASH_KEY_ENV}))
def test_scheduled_run_passes_every_provider_secret(variable):
    assert run_job()["env"].get(variable) == f"${{{{ secrets.{variable} }}}}"


def test_scheduled_run_checks_the_provider_and_syncs_before_and_after_sending():
    commands = [step["run"].split(" --")[0] for step in run_job()["steps"] if "run" in step]
    smsops = [c for c in commands if c.startswith("smsops")]
    assert smsops[0] == "smsops providers check"
    at = smsops.index("smsops run")
    assert smsops[at - 1] == "smsops sync" and smsops[at + 1] == "smsops sync"
    assert smsops[-1] == "smsops state save"
