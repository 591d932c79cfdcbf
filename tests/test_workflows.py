"""Every GitHub workflow is linted offline (vendored SchemaStore schema) and must be clean."""

import subprocess
import sys

import pytest

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
