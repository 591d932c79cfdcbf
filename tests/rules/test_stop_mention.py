import pytest

from tests.conftest import campaign_yaml

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
