"""`smsops run` end to end through a real Kannel gateway: at fakesmsc, each recipient got
exactly one message, with exactly the text of its rendering (UCS-2 and multi-part included)."""

import sqlite3

import pytest

from runner.phones import phone_hash
from runner.project import load_project
from runner.text import render
from tests.conftest import run_cli
from tests.kannel_gateway import kannel_gateway  # noqa: F401

AT = "2027-01-07T10:00+01:00"


@pytest.fixture
def kannel_project(project_dir, kannel_gateway, monkeypatch):  # noqa: F811
    import yaml

    settings_path = project_dir / "smsops.yaml"
    settings = yaml.safe_load(settings_path.read_text(encoding="utf-8"))
    settings["provider"] = "kannel"
    settings["allow_fictional_numbers"] = True  # a local test gateway, never a real network
    settings["providers"]["kannel"] = kannel_gateway.config()
    settings_path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    csv = project_dir / "audiences" / "clients.csv"
    # Two renderings that must travel as UCS-2: ç forces it (compliance.md §4.4)
    csv.write_text(csv.read_text(encoding="utf-8").replace("Camille", "Françoise")
                   .replace("Lucas", "Loïc"), encoding="utf-8")
    for name, value in kannel_gateway.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SMSOPS_HASH_KEY", "kannel-end-to-end")
    assert run_cli(project_dir, "contacts", "import").exit_code == 0
    return project_dir


def test_each_recipient_gets_exactly_one_correct_text_through_kannel(kannel_project,
                                                                     kannel_gateway):  # noqa: F811
    before = len(kannel_gateway.received())  # the gateway is shared with other tests
    result = run_cli(kannel_project, "run", "--at", AT, "--campaign", "vente-privee")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("vente-privee 2027-01-07T10:00+0100: 8 sent, 0 refused")
    db = sqlite3.connect(kannel_project / "contacts.db")
    contacts = {phone: first for phone, first in db.execute(
        "SELECT _phone, first_name FROM contacts WHERE _bucket = 'ok'")}
    ours = kannel_gateway.wait_received(before + 8)[before:]
    message = load_project(kannel_project).campaigns["vente-privee"].message
    sent = {r.to: r.text for r in ours}
    assert len(ours) == len(sent) == 8  # one each, nobody twice
    ledger = sqlite3.connect(kannel_project / "smsops.db")
    tokens = dict(ledger.execute("SELECT phone_hash, link_token FROM messages"))
    for to, text in sent.items():
        short = f"s.maisonlila.example/{tokens[phone_hash(to, 'kannel-end-to-end')]}"
        assert text == render(message, {"first_name": contacts[to]}).replace(
            "maisonlila.example/vente-privee", short)  # each recipient's own short link
    assert "Françoise" in sent["+33639980001"] and "Loïc" in sent["+33639980004"]
    again = run_cli(kannel_project, "run", "--at", AT, "--campaign", "vente-privee")
    assert again.stdout.startswith("vente-privee 2027-01-07T10:00+0100: 0 sent")
    assert len(kannel_gateway.received()) == before + 8
    assert dict(ledger.execute("SELECT encoding, COUNT(*) FROM messages GROUP BY 1")) == {
        "UCS-2": 2, "GSM-7": 6}
