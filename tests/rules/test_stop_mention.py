import pytest

from tests.conftest import campaign_yaml, only_test_file

OK = "STOP au 36111"


@pytest.mark.parametrize("ending", ["STOP au 36111", "stop AU 36111", "STOP  au   36111"])
def test_configured_mention_with_any_case_and_spacing_passes(diagnostics_of, ending):
    assert diagnostics_of(campaign_yaml(**{OK: ending}), rule="stop-mention") == []


def test_missing_mention_is_an_error_with_the_fix(diagnostics_of):
    [found] = diagnostics_of(campaign_yaml(**{" STOP au 36111": ""}), rule="stop-mention")
    assert (found.severity, found.line) == ("error", 4)
    assert found.message == "the message has no STOP mention; end it with 'STOP au 36111'"


def test_bare_stop_is_an_error(diagnostics_of):
    [found] = diagnostics_of(campaign_yaml(**{OK: "Répondez STOP"}), rule="stop-mention")
    assert found.message == "a bare 'STOP' gives no number to reply to; write 'STOP au 36111'"
    assert (found.line, found.col) == (6, 38)


def test_another_short_code_is_an_error(diagnostics_of):
    [found] = diagnostics_of(campaign_yaml(**{OK: "STOP au 36180"}), rule="stop-mention")
    assert found.message == (
        "'STOP au 36180' names another short code; your provider's opt-out is 'STOP au 36111'")


def test_mention_inside_a_fallback_does_not_count(diagnostics_of):
    text = campaign_yaml(**{"{first_name|Bonjour}": "{first_name|STOP au 36111}",
                            " STOP au 36111": ""})
    assert [d.rule for d in diagnostics_of(text, rule="stop-mention")] == ["stop-mention"]


def test_mention_not_at_the_end_is_a_warning(diagnostics_of):
    text = campaign_yaml(**{"maisonlila.example/soldes STOP au 36111":
                            "STOP au 36111 maisonlila.example/soldes"})
    [found] = diagnostics_of(text, rule="stop-mention")
    assert found.severity == "warning"
    assert "at the very end" in found.message


def _use(project_dir, provider, *replacements):
    settings = project_dir / "smsops.yaml"
    text = settings.read_text().replace("provider: simulator", f"provider: {provider}")
    for old, new in replacements:
        text = text.replace(old, new)
    settings.write_text(text)


def _use_ovh(project_dir, extra=""):
    account = "    service_name: sms-ab12345-1"
    _use(project_dir, "ovh", (account, f"{account}\n{extra}"))


def test_a_provider_that_appends_stop_itself_needs_none_in_the_text(diagnostics_of, project_dir):
    _use_ovh(project_dir)
    text = campaign_yaml(**{" STOP au 36111": ""})
    assert only_test_file(diagnostics_of(text, rule="stop-mention")) == []


def test_our_own_mention_beside_the_provider_s_is_a_warning(diagnostics_of, project_dir):
    _use_ovh(project_dir)
    [found] = only_test_file(diagnostics_of(campaign_yaml(), rule="stop-mention"))
    assert (found.severity, found.message) == ("warning", (
        "ovh adds 'STOP 36111' to every message itself; remove the STOP mention from the text, "
        "or it is printed (and paid for) twice"))


def test_without_the_provider_s_clause_the_mention_is_required_again(diagnostics_of, project_dir):
    _use_ovh(project_dir, "    no_stop_clause: true")
    text = campaign_yaml(**{" STOP au 36111": ""})
    assert [d.severity for d in only_test_file(diagnostics_of(text, rule="stop-mention"))] == ["error"]


def _use_allmysms(project_dir, mention):
    _use(project_dir, "allmysms", ("stop_mention: STOP au 36111", f"stop_mention: {mention}"))


def test_allmysms_with_another_short_code_in_the_mention_is_a_warning(diagnostics_of, project_dir):
    _use_allmysms(project_dir, "STOP au 36111")
    [found] = only_test_file(diagnostics_of(campaign_yaml(), rule="stop-mention"))
    assert (found.severity, found.message) == ("warning", (
        "allmysms takes STOP replies on 36180 only; set stop_mention: 'STOP au 36180' in "
        "smsops.yaml"))


def test_allmysms_with_its_own_short_code_passes(diagnostics_of, project_dir):
    _use_allmysms(project_dir, "STOP au 36180")
    text = campaign_yaml(**{"STOP au 36111": "STOP au 36180"})
    assert only_test_file(diagnostics_of(text, rule="stop-mention")) == []
