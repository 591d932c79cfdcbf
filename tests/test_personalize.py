"""Each recipient's own short link and unique promo code: in the text they receive, in the
ledger before the provider hears of it, unique across all messages, and counted by the plan."""

import sqlite3

import pytest

from runner import personalize
from runner.personalize import Extras, campaign_link, with_utm
from runner.project import load_project
from tests.test_dispatch import VENTE, Run, edit


@pytest.fixture
def unique_codes(project_dir):
    edit(project_dir / "campaigns" / "vente-privee.yaml", "promo_code: PRIVE20",
         "promo_code: {unique: true, prefix: VP}")
    edit(project_dir / "campaigns" / "vente-privee.yaml", "le code PRIVE20", "le code {promo_code}")
    return project_dir


def ledger_rows(project_dir):
    db = sqlite3.connect(project_dir / "smsops.db")
    return {ref: (token, code) for ref, token, code in db.execute(
        "SELECT id, link_token, promo_code FROM messages")}


def test_every_recipient_gets_their_own_link_and_code_recorded_before_sending(unique_codes):
    run = Run(unique_codes)
    assert run("2027-01-07 10:00")[VENTE].sent == 8
    rows = ledger_rows(unique_codes)
    assert len({token for token, _code in rows.values()}) == 8
    assert len({code for _token, code in rows.values()}) == 8
    for reference, _to, text, _at in run.outbox():
        token, code = rows[reference]
        assert f"s.maisonlila.example/{token} STOP au 36111" in text
        assert f"le code {code}." in text
        assert len(token) == 8 and token.isalnum()
        assert code.startswith("VP") and len(code) == 8
        assert not set(code[2:]) & set("01IO")


def test_a_token_already_taken_is_drawn_again(unique_codes, monkeypatch):
    draws = iter([Extras("SameSame", "VPAAAAAA")] * 2 + [
        Extras(f"Token{n:03d}", f"VPBBBB{n:02d}") for n in range(10)])
    monkeypatch.setattr("runner.dispatch.new_extras", lambda campaign, settings: next(draws))
    run = Run(unique_codes)
    assert run("2027-01-07 10:00")[VENTE].sent == 8
    tokens = [token for token, _code in ledger_rows(unique_codes).values()]
    assert sorted(tokens)[-1] == "Token006" and "SameSame" in tokens
    assert len(run.outbox()) == 8


def test_a_unique_code_the_message_never_shows_is_a_field_ref_error(diagnostics_of):
    from tests.conftest import campaign_yaml
    found = diagnostics_of(campaign_yaml() + "promo_code: {unique: true, prefix: HIV}\n",
                           rule="field-ref")
    assert [d.message for d in found] == [
        "each recipient gets a unique promo code, but the message never shows it; "
        "write {promo_code} where the code goes"]


def test_promo_code_placeholder_is_not_a_contacts_column(diagnostics_of):
    from tests.conftest import campaign_yaml
    text = campaign_yaml(HIVER20="{promo_code}") + "promo_code: {unique: true, prefix: HIV}\n"
    assert diagnostics_of(text, rule="field-ref") == []


def test_plan_counts_the_short_link_and_the_code_at_their_fixed_length(unique_codes):
    project = load_project(unique_codes)
    campaign = project.campaigns[VENTE]
    worst = personalize.personalize(campaign, project.settings, {"first_name": "Camille"})
    assert "le code VPXXXXXX." in worst and "s.maisonlila.example/xxxxxxxx STOP" in worst
    real = personalize.personalize(campaign, project.settings, {"first_name": "Camille"},
                                   personalize.new_extras(campaign, project.settings))
    assert len(real) == len(worst)


def test_landing_url_gets_utm_tags_and_keeps_the_shop_s_own():
    assert with_utm("https://maisonlila.example/vente-privee", "vente-privee") == (
        "https://maisonlila.example/vente-privee?utm_source=sms&utm_medium=sms"
        "&utm_campaign=vente-privee")
    assert with_utm("https://x.fr/a?utm_source=promo&p=1#top", "c") == (
        "https://x.fr/a?utm_source=promo&utm_medium=sms&utm_campaign=c&p=1#top")


def test_campaign_link_adds_the_scheme_a_browser_needs(project_dir):
    campaign = load_project(project_dir).campaigns[VENTE]
    assert campaign_link(campaign) == "https://maisonlila.example/vente-privee"
