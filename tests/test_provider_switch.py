"""Switching `provider:` in smsops.yaml changes nothing else: the example project still
validates, and the plan shows that provider's price (and counts the STOP text OVH appends)."""

import json

import pytest
import yaml

from runner.text import sms_parts
from tests.conftest import run_cli

AT = "2027-01-07T10:00+01:00"
SETTINGS = {
    "simulator": {"price_eur_per_part": 0.045},
    "kannel": {"url": "http://127.0.0.1:13013/cgi-bin/sendsms",
               "dlr_url": "http://127.0.0.1:8001/-/smsops/dlr/kannel", "price_eur_per_part": 0.03},
    "brevo": {"price_eur_per_part": 0.0525},
    "ovh": {"service_name": "sms-ab12345-1", "price_eur_per_part": 0.0432},
    "allmysms": {"price_eur_per_part": 0.049},
    "twilio": {"messaging_service_sid": "MG00000000000000000000000000000000",
               "price_eur_per_part": 0.0832},
}


def plan_with(project_dir, provider):
    path = project_dir / "smsops.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings["provider"] = provider
    settings["allow_fictional_numbers"] = True  # the example's numbers are ARCEP's fictional ones
    settings["providers"][provider] = SETTINGS[provider]
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    validated = run_cli(project_dir, "validate")
    assert validated.exit_code == 0, validated.output
    assert run_cli(project_dir, "contacts", "import").exit_code == 0
    result = run_cli(project_dir, "plan", "--format", "json", "--at", AT, "vente-privee")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)["campaigns"]
    return row


@pytest.fixture(autouse=True)
def hash_key(monkeypatch):
    monkeypatch.setenv("SMSOPS_HASH_KEY", "switch-test-key")


@pytest.mark.parametrize("provider", sorted(SETTINGS))
def test_every_provider_plans_the_example_at_its_own_price(project_dir, provider):
    row = plan_with(project_dir, provider)
    price = SETTINGS[provider]["price_eur_per_part"]
    assert row["recipients"] == 8
    assert row["cost_eur"] == round(row["sms_total"] * price, 2)
    text = run_cli(project_dir, "plan", "--at", AT, "vente-privee").stdout
    assert f"({provider}, {price} €/part)" in text


def test_ovh_s_own_stop_clause_is_counted_in_the_parts(project_dir, tmp_path):
    import shutil
    other = tmp_path / "other"
    shutil.copytree(project_dir, other)
    simulator, ovh = plan_with(project_dir, "simulator"), plan_with(other, "ovh")
    assert ovh["samples"][0]["text"] == simulator["samples"][0]["text"]
    worst = max((s["text"] for s in simulator["samples"]), key=len)
    assert ovh["parts_max"] == sms_parts(worst + "\nSTOP 36111")[1] > simulator["parts_max"] - 1
