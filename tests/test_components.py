"""A missing real component skips a developer's run but fails CI."""

from pathlib import Path

import pytest

from tests.components import require

NOWHERE = Path("/nonexistent/bearerbox")


def test_missing_component_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Kannel is not installed"):
        require("Kannel", NOWHERE)


def test_missing_component_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require("Kannel", NOWHERE)


def test_present_component_passes(monkeypatch):
    monkeypatch.setenv("CI", "true")
    require("Python", Path(__file__))
