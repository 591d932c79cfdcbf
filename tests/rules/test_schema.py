import pytest

from tests.conftest import campaign_yaml


def test_unknown_key_suggests_the_nearest_known_key(diagnostics_of):
    [found] = diagnostics_of(campaign_yaml() + "promocode: HIVER20\n", rule="schema")
    assert (found.line, found.col) == (9, 1)
    assert found.message == "unknown key 'promocode'; did you mean 'promo_code'?"


def test_wrong_type_names_the_expected_type(diagnostics_of):
    [found] = diagnostics_of(campaign_yaml() + "max_cost_eur: cent\n", rule="schema")
    assert (found.line, found.col) == (9, 15)
    assert found.message == 'max_cost_eur must be a number, not "cent"'


def test_unknown_objective_lists_the_choices(diagnostics_of):
    text = campaign_yaml(**{"objective: store_visit": "objective: store-visit"})
    [found] = diagnostics_of(text, rule="schema")
    assert found.message == ('objective is "store-visit"; use one of: inform, store_visit, '
                             "loyalty, event (did you mean 'store_visit'?)")


def test_missing_required_key_is_reported(diagnostics_of):
    [found] = diagnostics_of(campaign_yaml().replace("objective: store_visit\n", ""),
                             rule="schema")
    assert found.message == "missing required key 'objective' in the file; add it"


@pytest.mark.parametrize("at", ["2027-01-09 10h", "09/01/2027 10:00", "2027-1-9 10:00"])
def test_badly_written_date_gives_the_expected_shape(diagnostics_of, at):
    [found] = diagnostics_of(campaign_yaml(at=at), rule="schema")
    assert (found.line, found.col) == (8, 7)
    assert found.message.endswith(
        "write it as 2027-01-09 10:00 (project time zone) or 2027-01-09T10:00+01:00")


def test_impossible_date_is_reported(diagnostics_of):
    [found] = diagnostics_of(campaign_yaml(at="2027-02-30 10:00"), rule="schema")
    assert found.message.startswith("2027-02-30 10:00 is not a real date and time")


def test_both_at_and_every_is_an_error(diagnostics_of):
    text = campaign_yaml() + "  every: {days: [mon], at: \"10:00\"}\n"
    text = text.replace("  every", "  every", 1)
    lines = text.splitlines()
    lines.insert(7, lines.pop())
    [found] = diagnostics_of("\n".join(lines) + "\n", rule="schema")
    assert "give exactly one of" in found.message


def test_unique_promo_code_must_say_true(diagnostics_of):
    [found] = diagnostics_of(campaign_yaml() + "promo_code: {unique: yes}\n", rule="schema")
    assert found.message == 'promo_code.unique is "yes"; write true'


def test_duplicate_ids_are_an_error(diagnostics_of):
    found = diagnostics_of(campaign_yaml() + "id: vente-privee\n", rule="schema")
    # Files load in name order: test.yaml takes the id first, vente-privee.yaml is refused.
    assert [(d.path, d.message) for d in found] == [(
        "campaigns/vente-privee.yaml",
        "id 'vente-privee' is already used by campaigns/test.yaml; give one of them another id")]


def test_audiences_file_without_kind_is_an_error(diagnostics_of):
    [found] = diagnostics_of(files={"audiences/x.yaml": "file: clients.csv\n"}, rule="schema")
    assert found.message == "an audiences file needs kind: contacts or kind: segment"
