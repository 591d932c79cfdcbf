"""`.pre-commit-hooks.yaml` exposes smsops-validate and its file pattern matches project files."""

import re

from pre_commit.clientlib import load_manifest

from tests.conftest import REPO, run_cli


def hook():
    [only] = load_manifest(REPO / ".pre-commit-hooks.yaml")
    return only


def test_manifest_is_valid_for_pre_commit():
    assert hook()["id"] == "smsops-validate"
    assert hook()["entry"] == "smsops validate"


def test_pattern_selects_campaigns_audiences_and_settings_only():
    pattern = re.compile(hook()["files"])
    for path in ["campaigns/soldes.yaml", "audiences/clients.csv", "audiences/vip.yml",
                 "smsops.yaml"]:
        assert pattern.search(path), path
    for path in ["runner/cli.py", "README.md", "tests/campaigns/x.yaml"]:
        assert not pattern.search(path), path


def test_entry_accepts_the_filenames_pre_commit_passes(project_dir, monkeypatch):
    monkeypatch.chdir(project_dir)
    result = run_cli(project_dir, "validate", "campaigns/vente-privee.yaml", "smsops.yaml",
                     "--at", "2026-11-25T09:00+01:00")
    assert result.exit_code == 0, result.output
