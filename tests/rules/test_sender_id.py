import pytest

from runner.rules.sender_id import problem
from tests.conftest import campaign_yaml


@pytest.mark.parametrize("sender", ["MAISONLILA", "Lila", "ML2026", "Abc", "ABCDEFGHIJK",
                                    "36111", "38123"])
def test_valid_senders_pass(sender):
    assert problem(sender) is None


@pytest.mark.parametrize("sender,words", [
    ("ABCDEFGHIJKL", "3-11 characters"),           # 12 characters
    ("Crêperie", "without space, accent"),           # accent
    ("Maison Lila", "without space"),
    ("Lila!", "punctuation"),
    ("AB", "3-11 characters"),
    ("12345", "5-digit short code starting with 3-8"),
    ("29999", "5-digit short code starting with 3-8"),
    ("0639980001", "phone number"),
    ("+33639980001", "phone number"),
    ("INFO", "generic word"),
    ("sms", "generic word"),
    ("Alert", "generic word"),
    ("RDV", "generic word"),
])
def test_invalid_senders_are_refused(sender, words):
    assert words in problem(sender)


def test_accented_sender_suggests_the_plain_spelling():
    assert problem("Crêperie") .endswith("e.g. 'Creperie'")


def test_campaign_sender_is_reported_on_its_line(diagnostics_of):
    found = diagnostics_of(campaign_yaml() + "sender: Maison Lila\n", rule="sender-id")
    assert [(d.path, d.line, d.col, d.severity) for d in found] == [
        ("campaigns/test.yaml", 9, 9, "error")]


def test_settings_sender_is_checked(diagnostics_of, project_dir):
    settings = project_dir / "smsops.yaml"
    settings.write_text(settings.read_text().replace("sender: MAISONLILA", "sender: INFO"))
    [found] = diagnostics_of(rule="sender-id")
    assert (found.path, found.line) == ("smsops.yaml", 4)
