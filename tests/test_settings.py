"""smsops.yaml: loaded in one place; a bad settings file is exit 2 with file:line and the fix."""

import pytest

from tests.conftest import run_cli, write

SETTINGS = "smsops.yaml"


def with_settings(project_dir, old, new):
    path = project_dir / SETTINGS
    path.write_text(path.read_text().replace(old, new))


def test_example_settings_are_valid(project_dir):
    assert run_cli(project_dir, "validate").exit_code == 0


@pytest.mark.parametrize("old,new,expected", [
    ("provider: simulator", "provider: sendinblue",
     "smsops.yaml:9:11: error[schema]: provider is \"sendinblue\"; use one of: simulator"),
    ("max_parts: 3", "max_part: 3",
     "smsops.yaml:41:1: error[schema]: unknown key 'max_part'; did you mean 'max_parts'?"),
    ('start: "08:00"', 'start: "07:00"',
     "smsops.yaml:37:10: error[send-window]: send_window.start 07:00 is before 08:00"),
    ('end: "20:00"', 'end: "22:00"',
     "smsops.yaml:38:8: error[send-window]: send_window.end 22:00 is after 21:30"),
    ("stop_mention: STOP au 36111", "stop_mention: Répondez STOP",
     "smsops.yaml:6:15: error[schema]: stop_mention is \"Répondez STOP\"; write STOP followed"),
    ("timezone: Europe/Paris", "timezone: Paris",
     "smsops.yaml:3:11: error[schema]: timezone is \"Paris\"; use one of: Europe/Paris"),

    ("    base_url: https://api.brevo.com/v3", "    base_ulr: https://api.brevo.com/v3",
     "smsops.yaml:23:5: error[schema]: unknown key 'base_ulr'; did you mean 'base_url'?"),
    ("    service_name: sms-ab12345-1", "    servicename: sms-ab12345-1",
     "smsops.yaml:27:5: error[schema]: unknown key 'servicename'; did you mean 'service_name'?"),
    ("    api_key_env: SMSOPS_BREVO_API_KEY", "    api_key_envv: SMSOPS_BREVO_API_KEY",
     "smsops.yaml:22:5: error[schema]: unknown key 'api_key_envv'; did you mean 'api_key_env'?"),
    ("    messaging_service_sid: MG", "    service_name: sms-1\n    messaging_service_sid: MG",
     "smsops.yaml:32:5: error[schema]: unknown key 'service_name'; known keys: base_url, "),
])
def test_bad_settings_exit_2_with_line_and_fix(project_dir, old, new, expected):
    with_settings(project_dir, old, new)
    result = run_cli(project_dir, "validate")
    assert result.exit_code == 2
    assert result.output.startswith(expected)
    assert "Traceback" not in result.output


def test_broken_settings_yaml_exits_2(project_dir):
    write(project_dir / SETTINGS, "sender: MAISONLILA\n\tadvertiser: x\n")
    result = run_cli(project_dir, "validate")
    assert result.exit_code == 2
    assert result.output.startswith("smsops.yaml:2:1: error[schema]: a tab character")


def test_missing_settings_file_exits_2(tmp_path):
    result = run_cli(tmp_path, "validate")
    assert result.exit_code == 2
    assert "no smsops.yaml in" in result.output


def test_sunday_sending_is_a_warning(project_dir):
    with_settings(project_dir, "fri, sat]", "fri, sat, sun]")
    result = run_cli(project_dir, "validate")
    assert result.exit_code == 0
    assert "smsops.yaml:36:9: warning[send-window]: Sunday sending is tolerated" in result.output


def test_settings_error_in_json_format_keeps_the_shape(project_dir):
    import json

    with_settings(project_dir, "provider: simulator", "provider: sendinblue")
    result = run_cli(project_dir, "validate", "--format", "json")
    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert payload["ok"] is False
    assert payload["diagnostics"][0]["path"] == "smsops.yaml"
