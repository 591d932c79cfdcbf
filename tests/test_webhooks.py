"""`smsops serve` routes, through Datasette itself: provider webhooks (good, forged, duplicate,
out-of-order, malformed) and short links (302 with UTM tags, robots and HEAD not counted)."""

import asyncio
import json
import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from runner.phones import DEMO_HASH_KEY, phone_hash
from runner.project import load_project
from runner.web import make_datasette
from tests.test_dispatch import VENTE, Run

TOKEN = "s3cret-webhook-token"
NOW = datetime(2027, 1, 7, 10, 5, tzinfo=ZoneInfo("Europe/Paris"))
BROWSER = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/131.0 Mobile Safari/537.36")


class Web:
    """The example project after vente-privee went out (8 messages), served in-process."""

    def __init__(self, project_dir, env=None):
        self.dir = project_dir
        self.run = Run(project_dir)
        assert self.run("2027-01-07 10:00")[VENTE].sent == 8
        self.datasette = make_datasette(load_project(project_dir), hash_key=DEMO_HASH_KEY,
                                        env={"SMSOPS_WEBHOOK_TOKEN": TOKEN} if env is None else env,
                                        clock=lambda: NOW)

    def request(self, method, path, **kwargs):
        async def go():
            return await self.datasette.client.request(method, path, **kwargs)
        return asyncio.run(go())

    def db(self):
        return sqlite3.connect(self.dir / "smsops.db")

    def message(self, n=0):
        return self.db().execute("SELECT id, status, delivery_seconds, link_token FROM messages "
                                 "ORDER BY id LIMIT 1 OFFSET ?", (n,)).fetchone()

    def calls(self):
        return self.db().execute("SELECT kind, outcome, path, params FROM webhook_calls").fetchall()

    def dlr(self, mid, kind, token=TOKEN, ts="1799312410"):  # 2027-01-07 09:00:10 UTC
        return self.request("GET", f"/-/smsops/dlr/kannel?mid={mid}&type={kind}&smsc=fake1"
                                   f"&ts={ts}&reply=id:1+stat:DELIVRD&token={token}")


@pytest.fixture
def web(project_dir):
    return Web(project_dir)


def test_kannel_delivery_report_marks_the_message_delivered(web):
    mid = web.message()[0]
    response = web.dlr(mid, 1)
    assert (response.status_code, response.text) == (200, "OK")
    _id, status, seconds, _token = web.message()
    assert status == "delivered" and seconds == 10.0  # sent 10:00:00 Paris, delivered 10:00:10
    [(kind, outcome, path, params)] = web.calls()
    assert (kind, outcome, path) == ("dlr", "applied", "/-/smsops/dlr/kannel")
    assert "token" not in json.loads(params) and TOKEN not in params  # the secret is never kept


@pytest.mark.parametrize("token", ["wrong", ""])
def test_a_call_without_the_right_token_is_rejected_and_stored_nowhere(web, token):
    mid = web.message()[0]
    response = web.dlr(mid, 1, token=token)
    assert response.status_code == 403
    assert web.message()[1] == "sent"
    assert web.calls() == []


def test_without_a_configured_token_every_call_is_refused(project_dir):
    web = Web(project_dir, env={})
    assert web.dlr(web.message()[0], 1, token="").status_code == 403
    assert web.calls() == []


def test_a_duplicate_report_changes_nothing_and_is_acknowledged(web):
    mid = web.message()[0]
    web.dlr(mid, 1)
    again = web.dlr(mid, 1, ts="1799312490")
    assert again.status_code == 200
    assert web.message()[1:3] == ("delivered", 10.0)
    assert [outcome for _k, outcome, _p, _q in web.calls()] == ["applied", "no change"]


@pytest.mark.parametrize("late", [8, 2, 16])  # SMSC accepted, failed, rejected: after delivered
def test_a_late_report_never_downgrades_a_final_state(web, late):
    mid = web.message()[0]
    web.dlr(mid, 1)
    assert web.dlr(mid, late).status_code == 200
    assert web.message()[1] == "delivered"


def test_an_intermediate_report_then_the_final_one(web):
    mid = web.message()[0]
    web.dlr(mid, 8)  # the SMSC accepted it
    assert web.message()[1] == "sent"
    web.dlr(mid, 2)  # the phone was unreachable in the end
    failed = web.db().execute("SELECT status, failure FROM messages WHERE id = ?", (mid,)).fetchone()
    assert failed == ("failed", "permanent")


def test_a_malformed_report_is_kept_for_inspection_and_answered_400(web):
    response = web.request("GET", f"/-/smsops/dlr/kannel?type=1&token={TOKEN}")
    assert response.status_code == 400
    assert "dlr-url lost our reference" in response.text
    assert [(k, o) for k, o, _p, _q in web.calls()] == [("dlr", "malformed")]


def test_an_unknown_provider_is_404(web):
    assert web.request("GET", f"/-/smsops/dlr/nosuch?token={TOKEN}").status_code == 404


def stops(web):
    return web.db().execute("SELECT phone_hash, source, campaign_id FROM optouts").fetchall()


def test_a_stop_reply_through_kannel_suppresses_the_number(web):
    response = web.request("GET", f"/-/smsops/mo/kannel?from=%2B33639980002&to=36111"
                                  f"&text=STOP+merci&token={TOKEN}")
    assert response.status_code == 200
    assert stops(web) == [(phone_hash("+33639980002", DEMO_HASH_KEY), "reply", VENTE)]
    [(kind, outcome, _path, params)] = web.calls()
    assert (kind, outcome) == ("mo", "applied")
    assert json.loads(params) == {"from": "*********02", "to": "36111", "text": "STOP merci"}


@pytest.mark.parametrize("sender", ["0639980002", "33639980002", "0033639980002"])
def test_the_sender_in_any_writing_hashes_to_the_same_opt_out(web, sender):
    web.request("GET", f"/-/smsops/mo/kannel?from={sender}&text=ARR%C3%8AT&token={TOKEN}")
    assert [h for h, _s, _c in stops(web)] == [phone_hash("+33639980002", DEMO_HASH_KEY)]


def test_a_post_url_reply_carries_its_text_in_the_body(web):
    response = web.request("POST", f"/-/smsops/mo/kannel?from=%2B33639980003&token={TOKEN}",
                           content=b"Stop SMS", headers={"content-type": "text/plain"})
    assert response.status_code == 200
    assert len(stops(web)) == 1


def test_a_reply_that_is_not_a_stop_suppresses_nobody(web):
    web.request("GET", f"/-/smsops/mo/kannel?from=%2B33639980002&text=nonstop+merci&token={TOKEN}")
    assert stops(web) == []
    assert [o for _k, o, _p, _q in web.calls()] == ["no change"]


def test_a_forged_stop_is_rejected_and_stored_nowhere(web):
    response = web.request("GET", "/-/smsops/mo/kannel?from=%2B33639980002&text=STOP&token=x")
    assert response.status_code == 403
    assert stops(web) == [] and web.calls() == []


def clicks(web):
    return web.db().execute("SELECT message_id, campaign_id, user_agent FROM clicks").fetchall()


def test_a_short_link_redirects_to_the_landing_page_with_utm_tags(web):
    mid, _status, _secs, token = web.message()
    response = web.request("GET", f"/{token}", headers={"user-agent": BROWSER})
    assert response.status_code == 302
    assert response.headers["location"] == (
        "https://maisonlila.example/vente-privee?utm_source=sms&utm_medium=sms"
        "&utm_campaign=vente-privee")
    assert clicks(web) == [(mid, VENTE, BROWSER)]


@pytest.mark.parametrize("method,agent", [
    ("HEAD", BROWSER),
    ("GET", "WhatsApp/2.23.20.0"),
    ("GET", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"),
    ("GET", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
    ("GET", "TelegramBot (like TwitterBot)"),
    ("GET", ""),
])
def test_previews_robots_and_head_requests_redirect_but_are_not_clicks(web, method, agent):
    token = web.message()[3]
    response = web.request(method, f"/{token}", headers={"user-agent": agent})
    assert response.status_code == 302
    assert clicks(web) == []


def test_two_clicks_by_one_recipient_count_once_in_the_kpis(web):
    token = web.message()[3]
    for _ in range(2):
        web.request("GET", f"/{token}", headers={"user-agent": BROWSER})
    db = web.db()
    assert db.execute("SELECT COUNT(*) FROM clicks").fetchone() == (2,)
    assert db.execute("SELECT unique_clickers FROM campaign_kpis").fetchone() == (1,)


def test_an_unknown_short_link_is_a_plain_404(web):
    response = web.request("GET", "/Zz9Zz9Zz", headers={"user-agent": BROWSER})
    assert response.status_code == 404
    assert clicks(web) == []


def test_a_report_s_raw_words_are_kept_with_the_number_masked(web):
    mid = web.message()[0]
    web.request("GET", f"/-/smsops/dlr/kannel?mid={mid}&type=1&to=%2B33639980001&token={TOKEN}")
    [(detail,)] = web.db().execute("SELECT detail FROM message_events WHERE kind = 'report'").fetchall()
    assert json.loads(detail)["to"] == "*********01"
    assert "639980001" not in detail


@pytest.mark.parametrize("sender", ["garbage", "36111", "MABOUTIQUE", "+"])
def test_a_stop_from_a_sender_that_is_no_phone_number_is_refused_and_opts_nobody_out(web, sender):
    response = web.request("GET", f"/-/smsops/mo/kannel?from={sender}&text=STOP&token={TOKEN}")
    assert response.status_code == 400
    assert "is not a phone number" in response.text
    assert stops(web) == []
    assert [(k, o) for k, o, _p, _q in web.calls()] == [("mo", "malformed")]


def test_a_post_url_reply_quoting_a_number_is_kept_masked(web):
    web.request("POST", f"/-/smsops/mo/kannel?from=%2B33639980003&token={TOKEN}",
                content=b"STOP, c'est le 06 39 98 00 02 pas le 06-39-98-00-03",
                headers={"content-type": "text/plain"})
    [(body,)] = web.db().execute("SELECT body FROM webhook_calls").fetchall()
    assert body == "STOP, c'est le ********02 pas le ********03"
