import pytest

from tests.conftest import campaign_yaml


def test_field_and_fallback_placeholders_pass(diagnostics_of):
    assert diagnostics_of(campaign_yaml(), rule="template") == []


@pytest.mark.parametrize("placeholder", ["{first_name", "{first name}", "{a.b}", "{}",
                                         "{x!r}", "{{first_name}}"])
def test_malformed_placeholder_is_an_error_on_its_line(diagnostics_of, placeholder):
    text = campaign_yaml(**{"{first_name|Bonjour}": placeholder})
    found = diagnostics_of(text, rule="template")
    assert found and all(d.severity == "error" and d.line == 5 for d in found)


@pytest.mark.parametrize("fallback", ["www.x.fr", "STOP", "36111"])
def test_fallback_may_not_add_a_link_or_break_the_stop_mention(diagnostics_of, fallback):
    text = campaign_yaml(**{"{first_name|Bonjour}": f"{{first_name|{fallback}}}"})
    [found] = diagnostics_of(text, rule="template")
    assert found.message.startswith(f"the fallback '{fallback}' may not hold a link")
