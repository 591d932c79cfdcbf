"""The JSON Schemas: shipped in the package, mirrored in schemas/ for editors, usable offline."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runner.providers import ENV_DEFAULTS, PROVIDERS
from runner.rules import RULES
from runner.schema import SCHEMA_DIR
from tests.conftest import REPO

SCHEMAS = sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json"))
EXAMPLES = sorted([*REPO.glob("campaigns/*.yaml"), *REPO.glob("audiences/*.yaml"),
                   REPO / "smsops.yaml"])


@pytest.mark.parametrize("name", SCHEMAS)
def test_editor_copy_is_identical_to_the_shipped_schema(name):
    assert (REPO / "schemas" / name).read_text() == (SCHEMA_DIR / name).read_text()


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_is_draft_2020_12_without_id(name):
    schema = json.loads((SCHEMA_DIR / name).read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "$id" not in json.dumps(schema)


@pytest.mark.parametrize("name", ["campaign", "contacts", "config"])
def test_every_top_level_key_has_a_description_for_editors(name):
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text())
    defs = json.loads((SCHEMA_DIR / "defs.schema.json").read_text())["$defs"]
    for key, prop in schema["properties"].items():
        target = defs[prop["$ref"].rsplit("/", 1)[1]] if "$ref" in prop else {}
        assert prop.get("description") or target.get("description") or key == "kind", key


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_example_file_starts_with_its_schema_line(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    target = (path.parent / first.split("=", 1)[1]).resolve()
    assert target.is_file()


def test_campaigns_pass_check_jsonschema_offline():
    """What an editor or another tool sees: sibling $ref resolved from the folder, no network."""
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile",
         "schemas/campaign.schema.json", *[str(p) for p in REPO.glob("campaigns/*.yaml")]],
        cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_jsonschema_rejects_a_typo(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((REPO / "campaigns" / "vente-privee.yaml").read_text() + "promocode: X\n")
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile",
         str(REPO / "schemas" / "campaign.schema.json"), str(bad)],
        capture_output=True, text=True)
    assert result.returncode == 1
    assert "promocode" in result.stdout


def test_rule_table_holds_exactly_the_contract_ids():
    assert set(RULES) == {"schema", "stop-mention", "one-link", "send-window", "sender-id",
                          "advertiser-identity", "segment-ref", "field-ref", "template",
                          "length", "consent", "schedule-past"}


def test_rule_modules_are_one_per_rule():
    modules = {p.stem for p in Path(SCHEMA_DIR.parent, "rules").glob("*.py")} - {
        "__init__", "context"}
    assert modules == {rule.replace("-", "_") for rule in RULES}


def test_each_provider_has_a_closed_schema_whose_keys_are_described():
    providers = json.loads((SCHEMA_DIR / "config.schema.json").read_text())["properties"]["providers"]
    assert providers["additionalProperties"] is False
    assert set(providers["properties"]) == set(PROVIDERS)
    for name, schema in providers["properties"].items():
        assert schema["additionalProperties"] is False, name
        assert all(prop.get("description") for prop in schema["properties"].values()), name


@pytest.mark.parametrize("name", sorted(ENV_DEFAULTS))
def test_each_providers_secret_settings_are_in_its_schema(name):
    providers = json.loads((SCHEMA_DIR / "config.schema.json").read_text())["properties"]["providers"]
    assert set(ENV_DEFAULTS[name]) <= set(providers["properties"][name]["properties"])
