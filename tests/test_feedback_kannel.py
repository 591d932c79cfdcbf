"""The whole feedback loop with real parts: `smsops run` sends through a real Kannel, its delivery
reports reach a real `smsops serve`, a `STOP merci` comes in through the fake SMSC's MO link,
a recipient clicks their short link, an order export with two codes is imported, and the report
shows exactly the expected KPIs; the next campaign skips the person who said STOP."""

import json
import os
import socket
import sqlite3
import statistics
import urllib.error
import urllib.request

import pytest
import yaml

from runner.phones import phone_hash
from tests.components import require
from tests.conftest import NoRedirect, run_cli, serving
from tests.kannel_gateway import KANNEL, _free_ports, _wait, start_gateway

TOKEN = "e2e-webhook-token"
HASH_KEY = "e2e-hash-key"
AT = "2026-11-19T10:00+01:00"  # a past Thursday: Kannel stamps its reports with the real clock
CAMPAIGN = """\
name: Vente privée (test de bout en bout)
objective: store_visit
segment: clients-actifs
message: >-
  Maison Lila : {first_name|Bonjour}, -20% samedi avec le code {promo_code}.
  maisonlila.example/vente-privee STOP au 36111
promo_code: {unique: true, prefix: VP}
schedule:
  at: 2026-11-19 10:00
"""
NEXT = CAMPAIGN.replace("Vente privée (test de bout en bout)", "La suite").replace(
    "2026-11-19 10:00", "2026-11-20 10:00").replace("prefix: VP", "prefix: VS")
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile"


@pytest.fixture
def loop(project_dir, tmp_path, monkeypatch):
    require("Kannel", *KANNEL)
    port = _free_ports(["serve"])["serve"]
    serve_url = f"http://127.0.0.1:{port}"
    (tmp_path / "kannel").mkdir()
    gateway = start_gateway(tmp_path / "kannel", mo_url=f"{serve_url}/-/smsops/mo/kannel?token={TOKEN}")
    env = {**os.environ, **gateway.env, "SMSOPS_WEBHOOK_TOKEN": TOKEN, "SMSOPS_HASH_KEY": HASH_KEY}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings_path = project_dir / "smsops.yaml"
    settings = yaml.safe_load(settings_path.read_text(encoding="utf-8"))
    settings |= {"provider": "kannel", "allow_fictional_numbers": True}
    settings["providers"]["kannel"] = gateway.config(dlr_url=f"{serve_url}/-/smsops/dlr/kannel")
    settings_path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    for stale in project_dir.glob("campaigns/*.yaml"):
        stale.unlink()
    (project_dir / "campaigns" / "e2e.yaml").write_text(CAMPAIGN, encoding="utf-8")
    assert run_cli(project_dir, "contacts", "import").exit_code == 0
    try:
        with serving(project_dir, env, port):
            yield project_dir, gateway, serve_url
    finally:
        gateway.stop()


def _rows(project_dir, sql, *params):
    db = sqlite3.connect(project_dir / "smsops.db")
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def test_send_reports_stop_click_orders_then_exact_kpis(loop):
    project_dir, gateway, serve_url = loop
    sent = run_cli(project_dir, "run", "--at", AT)
    assert sent.exit_code == 0, sent.output
    assert sent.stdout.startswith("e2e 2026-11-19T10:00+0100: 9 sent, 0 refused")

    # every delivery report reaches serve through the dlr-url (fakesmsc acknowledges them all)
    _wait(lambda: _rows(project_dir, "SELECT id FROM messages WHERE status = 'delivered'"), 9, 20.0,
          "delivered")

    # a customer answers STOP through the fake SMSC's MO link
    with socket.create_connection(("127.0.0.1", gateway.mo_port)) as link:
        link.sendall(b"+33639980002 36111 text STOP merci\n")
        _wait(lambda: _rows(project_dir, "SELECT * FROM optouts"), 1, 20.0, "opt-out")
    assert _rows(project_dir, "SELECT phone_hash, source, campaign_id FROM optouts") == [
        (phone_hash("+33639980002", HASH_KEY), "reply", "e2e")]

    # another one taps their short link (a link preview robot fetched it first)
    [(token,)] = _rows(project_dir, "SELECT link_token FROM messages WHERE phone_hash = ?",
                       phone_hash("+33639980006", HASH_KEY))
    opener = urllib.request.build_opener(NoRedirect)
    for agent in ("WhatsApp/2.24.1", BROWSER):
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(urllib.request.Request(f"{serve_url}/{token}", headers={"User-Agent": agent}))
        assert redirect.value.code == 302
        assert redirect.value.headers["Location"].startswith(
            "https://maisonlila.example/vente-privee?utm_source=sms&utm_medium=sms&utm_campaign=e2e")

    # the shop's order export: two orders carry two recipients' codes, one an unknown code
    codes = dict(_rows(project_dir, "SELECT phone_hash, promo_code FROM messages"))
    first, second = (codes[phone_hash(n, HASH_KEY)] for n in ("+33639980001", "+33639980004"))
    orders = project_dir / "orders.csv"
    orders.write_text("order_id,code,date,amount\n"
                      f"1001,{first.lower()},2026-11-20 15:02,42.50\n"
                      f"1002,{second},2026-11-21 11:40,\"57,00\"\n"
                      "1003,NOPE123,2026-11-21 12:00,10.00\n", encoding="utf-8")
    imported = run_cli(project_dir, "conversions", "import", str(orders))
    assert imported.exit_code == 0, imported.output

    report = run_cli(project_dir, "report", "e2e", "--format", "json")
    assert report.exit_code == 0, report.output
    [kpis] = json.loads(report.stdout)["campaigns"]
    speeds = [s for (s,) in _rows(project_dir, "SELECT delivery_seconds FROM messages")]
    assert {key: kpis[key] for key in (
        "campaign_id", "sent", "delivered", "failed", "in_doubt", "deliverability_rate",
        "unique_clickers", "click_rate", "conversions", "conversion_rate", "revenue_eur",
        "bounce_rate", "optouts", "optout_rate")} == {
        "campaign_id": "e2e", "sent": 9, "delivered": 9, "failed": 0, "in_doubt": 0,
        "deliverability_rate": 1.0, "unique_clickers": 1, "click_rate": 1 / 9, "conversions": 2,
        "conversion_rate": 2 / 9, "revenue_eur": 99.5, "bounce_rate": 0.0, "optouts": 1,
        "optout_rate": 1 / 9}
    assert kpis["delivery_seconds_median"] == pytest.approx(statistics.median(speeds), abs=1e-3)
    assert all(s > 0 for s in speeds)  # stamped by Kannel, after our send

    # the next campaign goes to everyone but the person who said STOP
    (project_dir / "campaigns" / "suite.yaml").write_text(NEXT, encoding="utf-8")
    before = len(gateway.received())
    later = run_cli(project_dir, "run", "--at", "2026-11-20T10:00+01:00", "--campaign", "suite")
    assert later.stdout.startswith("suite 2026-11-20T10:00+0100: 8 sent"), later.output
    got = gateway.wait_received(before + 8)[before:]
    assert "+33639980002" not in {r.to for r in got} and len(got) == 8
