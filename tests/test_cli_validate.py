"""`smsops validate`: text, GitHub and JSON output, paths, exit codes 0/1/2."""

import json
import subprocess

from tests.conftest import assert_json_diagnostics_shape, campaign_yaml, run_cli, write

AT = ("--at", "2026-11-25T09:00+01:00")


def add_bad_campaign(project_dir):
    return write(project_dir / "campaigns" / "fete-des-meres.yaml",
                 campaign_yaml(at="2027-05-30 10:00", **{" STOP au 36111": ""}))


def test_example_project_is_valid(project_dir):
    result = run_cli(project_dir, "validate", *AT)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == "9 files checked: 0 error(s), 0 warning(s)\n"


def test_text_format_is_path_line_col_severity_rule_message(project_dir):
    add_bad_campaign(project_dir)
    result = run_cli(project_dir, "validate", *AT)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "campaigns/fete-des-meres.yaml:4:10: error[stop-mention]: the message has no STOP "
        "mention; end it with 'STOP au 36111'",
        "campaigns/fete-des-meres.yaml:8:7: error[send-window]: 2027-05-30 10:00 is a Sunday; "
        "send within mon, tue, wed, thu, fri, sat 08:00-20:00, not on a public holiday",
    ]


def test_github_format_annotates_the_line(project_dir):
    add_bad_campaign(project_dir)
    result = run_cli(project_dir, "validate", "--format", "github", *AT)
    assert result.exit_code == 1
    first = result.stdout.splitlines()[0]
    assert first == ("::error file=campaigns/fete-des-meres.yaml,line=4,col=10,"
                     "title=stop-mention::the message has no STOP mention; end it with "
                     "'STOP au 36111'")


def test_json_format_has_the_contract_shape(project_dir):
    add_bad_campaign(project_dir)
    result = run_cli(project_dir, "validate", "--format", "json", *AT)
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert_json_diagnostics_shape(payload)
    assert payload["ok"] is False
    assert payload["diagnostics"][0] == {
        "path": "campaigns/fete-des-meres.yaml", "line": 4, "col": 10, "severity": "error",
        "rule": "stop-mention",
        "message": "the message has no STOP mention; end it with 'STOP au 36111'"}


def test_json_of_a_valid_project_is_ok(project_dir):
    result = run_cli(project_dir, "validate", "--format", "json", *AT)
    assert json.loads(result.stdout) == {"ok": True, "diagnostics": []}


def test_paths_limit_the_report_to_those_files(project_dir):
    add_bad_campaign(project_dir)
    result = run_cli(project_dir, "validate", str(project_dir / "campaigns" / "vente-privee.yaml"),
                     *AT)
    assert (result.exit_code, result.stdout) == (0, "")


def test_contacts_file_path_selects_the_list_naming_it(project_dir):
    lst = project_dir / "audiences" / "clients.yaml"
    lst.write_text(lst.read_text().replace("phone: phone", "phone: mobile"))
    result = run_cli(project_dir, "validate", str(project_dir / "audiences" / "clients.csv"), *AT)
    assert result.exit_code == 1
    assert result.stdout.startswith("audiences/clients.yaml:6:8: error[field-ref]")


def test_missing_path_is_a_usage_error(project_dir):
    result = run_cli(project_dir, "validate", str(project_dir / "campaigns" / "nope.yaml"))
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_bad_at_is_a_usage_error(project_dir):
    result = run_cli(project_dir, "validate", "--at", "tomorrow")
    assert result.exit_code == 2
    assert "--at" in result.output


def test_changed_from_marks_changed_files_for_schedule_past(project_dir):
    def git(*args):
        subprocess.run(["git", *args], cwd=project_dir, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "start")
    write(project_dir / "campaigns" / "late.yaml", campaign_yaml(at="2026-11-21 10:00"))
    git("add", ".")
    result = run_cli(project_dir, "validate", "--changed-from", "HEAD", *AT)
    assert result.exit_code == 0
    assert result.stdout.startswith("campaigns/late.yaml:8:7: warning[schedule-past]")


def test_changed_from_an_unknown_ref_is_a_usage_error(project_dir):
    result = run_cli(project_dir, "validate", "--changed-from", "origin/nope")
    assert result.exit_code == 2
    assert "git cannot compare with 'origin/nope'" in result.output


def test_broken_campaign_yaml_exits_1_without_traceback(project_dir):
    write(project_dir / "campaigns" / "broken.yaml", "name: 'Soldes\nmessage: x\n")
    result = run_cli(project_dir, "validate", *AT)
    assert result.exit_code == 1
    assert result.stdout == ("campaigns/broken.yaml:1:7: error[schema]: unclosed quote; "
                             "close the quote that starts here\n")
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_show_lists_every_campaign(project_dir):
    result = run_cli(project_dir, "show", "--format", "json", *AT)
    assert result.exit_code == 0
    rows = {row["id"]: row for row in json.loads(result.stdout)["campaigns"]}
    assert sorted(rows) == ["anniversaire", "carte-hiver", "nouvelle-bougie", "vente-privee"]
    assert rows["anniversaire"]["when"] == "mon,tue,wed,thu,fri,sat 10:00"
    assert rows["vente-privee"] == {
        "id": "vente-privee", "status": "scheduled", "objective": "store_visit",
        "when": "2027-01-07 10:00", "segment": "clients-actifs", "contacts": 12,
        "encoding": "GSM-7", "parts_max": 2}
