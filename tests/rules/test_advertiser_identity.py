from tests.conftest import campaign_yaml


def test_advertiser_named_in_any_case_passes(diagnostics_of):
    text = campaign_yaml(**{"Maison Lila :": "MAISON  lila :"})
    assert diagnostics_of(text, rule="advertiser-identity") == []


def test_missing_advertiser_is_a_warning(diagnostics_of):
    [found] = diagnostics_of(campaign_yaml(**{"Maison Lila :": "Chez nous :"}),
                             rule="advertiser-identity")
    assert found.severity == "warning"
    assert found.message == ("the message does not name the advertiser; "
                             "start it with 'Maison Lila :'")


def test_advertiser_only_in_a_fallback_does_not_count(diagnostics_of):
    text = campaign_yaml(**{"Maison Lila : ": "", "{first_name|Bonjour}": "{first_name|Maison Lila}"})
    assert [d.severity for d in diagnostics_of(text, rule="advertiser-identity")] == ["warning"]
