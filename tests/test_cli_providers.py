"""`smsops providers check`: what is missing is named, nothing is sent, no secret is printed."""

import yaml

from tests.conftest import run_cli


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
