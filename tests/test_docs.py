"""Every rule and every command is documented, with the exact ids and names the code uses."""

import pytest

from runner.cli import cli
from runner.rules import RULES
from tests.conftest import REPO


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_id_is_documented(rule_id):
    assert f"### `{rule_id}`" in (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert f"| `{rule_id}` |" in (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_an_example(name):
    assert f"$ smsops {name}" in (REPO / "docs" / "cli.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands_that_ci_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8").split("```sh\n", 1)[1]
    setup, tests = readme.split("```", 1)[0].strip().splitlines()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert setup in ci and tests in ci
