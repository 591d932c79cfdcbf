"""`smsops providers check`: what is missing is named, nothing is sent, no secret is printed."""

import pytest
import yaml

from runner.providers import ENV_DEFAULTS
from tests.conftest import REPO, run_cli


def use(project_dir, provider):
    path = project_dir / "smsops.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings["provider"] = provider
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")


def test_the_simulator_needs_nothing(project_dir):
    result = run_cli(project_dir, "providers", "check")
    assert (result.exit_code, result.stdout) == (
        0, "simulator: ready (0.045 €/part, 50.0/s, up to 10 parts)\n")


def test_missing_kannel_credentials_and_secrets_are_named(project_dir, monkeypatch):
    for name in ("SMSOPS_KANNEL_USER", "SMSOPS_KANNEL_PASSWORD", "SMSOPS_HASH_KEY",
                 "SMSOPS_WEBHOOK_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    use(project_dir, "kannel")
    result = run_cli(project_dir, "providers", "check")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "kannel: Kannel credentials missing: set the environment variable(s) SMSOPS_KANNEL_USER "
        "and SMSOPS_KANNEL_PASSWORD",
        "SMSOPS_HASH_KEY is not set: it hashes numbers for the opt-out list",
        "SMSOPS_WEBHOOK_TOKEN is not set: it guards the webhooks of smsops serve"]


def test_a_complete_kannel_setup_is_ready_and_its_secrets_stay_hidden(project_dir, monkeypatch):
    secrets = {"SMSOPS_KANNEL_USER": "shop", "SMSOPS_KANNEL_PASSWORD": "pa55-w0rd-XYZ",
               "SMSOPS_HASH_KEY": "hash-key-123456", "SMSOPS_WEBHOOK_TOKEN": "tok-987654"}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    use(project_dir, "kannel")
    result = run_cli(project_dir, "providers", "check")
    assert (result.exit_code, result.stdout) == (
        0, "kannel: ready (0.045 €/part, 100.0/s, up to 10 parts)\n")
    assert not any(value in result.output for value in secrets.values())


HOSTED = {
    "brevo": ({"SMSOPS_BREVO_API_KEY": "xkeysib-EXAMPLE-0123456789"},
              "brevo: Brevo credentials missing: set the environment variable SMSOPS_BREVO_API_KEY",
              "brevo: ready (0.045 €/part, 10.0/s, up to 10 parts)"),
    "ovh": ({"SMSOPS_OVH_APPLICATION_KEY": "ak-EXAMPLE-123",
             "SMSOPS_OVH_APPLICATION_SECRET": "as-EXAMPLE-456",
             "SMSOPS_OVH_CONSUMER_KEY": "ck-EXAMPLE-789"},
            "ovh: OVH credentials missing: set the environment variable(s) SMSOPS_OVH_APPLICATION_KEY, "
            "SMSOPS_OVH_APPLICATION_SECRET, SMSOPS_OVH_CONSUMER_KEY",
            "ovh: ready (0.045 €/part, 10.0/s, up to 10 parts, appends 'STOP 36111')"),
    "allmysms": ({"SMSOPS_ALLMYSMS_LOGIN": "maisonlila", "SMSOPS_ALLMYSMS_API_KEY": "amk-EXAMPLE-0123"},
                 "allmysms: AllMySMS credentials missing: set the environment variable(s) "
                 "SMSOPS_ALLMYSMS_LOGIN and SMSOPS_ALLMYSMS_API_KEY",
                 "allmysms: ready (0.045 €/part, 10.0/s, up to 4 parts)"),
    "twilio": ({"SMSOPS_TWILIO_ACCOUNT_SID": "AC-EXAMPLE-0123",
                "SMSOPS_TWILIO_AUTH_TOKEN": "tw-EXAMPLE-4567"},
               "twilio: Twilio credentials missing: set the environment variable(s) "
               "SMSOPS_TWILIO_ACCOUNT_SID and SMSOPS_TWILIO_AUTH_TOKEN",
               "twilio: ready (0.08 €/part, 10.0/s, up to 10 parts)"),
}
SHARED = {"SMSOPS_HASH_KEY": "hash-key-123456", "SMSOPS_WEBHOOK_TOKEN": "tok-987654"}


def set_env(monkeypatch, values):
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def edit(project_dir, provider, change):
    path = project_dir / "smsops.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(settings["providers"][provider])
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize("provider", sorted(HOSTED))
def test_missing_hosted_provider_credentials_are_named(project_dir, monkeypatch, provider):
    secrets, missing, _ready = HOSTED[provider]
    for name in secrets:
        monkeypatch.delenv(name, raising=False)
    set_env(monkeypatch, SHARED)
    use(project_dir, provider)
    result = run_cli(project_dir, "providers", "check")
    assert (result.exit_code, result.stdout.splitlines()) == (1, [missing])


@pytest.mark.parametrize("provider", sorted(HOSTED))
def test_a_complete_hosted_setup_is_ready_and_its_secrets_stay_hidden(project_dir, monkeypatch, provider):
    secrets, _missing, ready = HOSTED[provider]
    set_env(monkeypatch, secrets | SHARED)
    use(project_dir, provider)
    result = run_cli(project_dir, "providers", "check")
    assert (result.exit_code, result.stdout.splitlines()) == (0, [ready])
    assert not any(value in result.output for value in (secrets | SHARED).values())


def test_ovh_without_service_name_still_names_the_missing_variables(project_dir, monkeypatch):
    for name in HOSTED["ovh"][0]:
        monkeypatch.delenv(name, raising=False)
    set_env(monkeypatch, SHARED)
    use(project_dir, "ovh")
    edit(project_dir, "ovh", lambda ovh: ovh.pop("service_name"))
    result = run_cli(project_dir, "providers", "check")
    assert result.exit_code == 1
    assert result.stdout == ("ovh: providers.ovh needs service_name (e.g. sms-ab12345-1) in smsops.yaml; "
                             + HOSTED["ovh"][1].removeprefix("ovh: ") + "\n")


def test_twilio_without_dlr_url_is_ready_with_a_warning(project_dir, monkeypatch):
    set_env(monkeypatch, HOSTED["twilio"][0] | SHARED)
    use(project_dir, "twilio")
    edit(project_dir, "twilio", lambda twilio: twilio.pop("dlr_url"))
    result = run_cli(project_dir, "providers", "check")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == (
        "twilio: warning: no dlr_url: Twilio reports a status only to the StatusCallback URL of each "
        "message, so reports come only when smsops sync asks, one request per message; set dlr_url "
        "to the /-/smsops/dlr/twilio URL of smsops serve")


def test_a_provider_without_a_price_is_ready_with_a_warning(project_dir, monkeypatch):
    set_env(monkeypatch, HOSTED["allmysms"][0] | SHARED)
    use(project_dir, "allmysms")
    edit(project_dir, "allmysms", lambda allmysms: allmysms.pop("price_eur_per_part"))
    result = run_cli(project_dir, "providers", "check")
    assert (result.exit_code, result.stdout.splitlines()) == (0, [
        "allmysms: ready (0.0 €/part, 10.0/s, up to 4 parts)",
        "allmysms: warning: no price_eur_per_part: the plan, the budgets and the report count 0 € per part"])


@pytest.mark.parametrize("provider", sorted(HOSTED))
def test_the_readme_has_a_section_per_hosted_provider_naming_its_secrets_and_webhooks(provider):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split(f"### `{provider}`\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    assert all(name in section for name in ENV_DEFAULTS[provider].values())
    assert f"/-/smsops/dlr/{provider}" in section
