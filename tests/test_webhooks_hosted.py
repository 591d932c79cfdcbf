"""Hosted providers' webhooks through the real `smsops serve` routes: Twilio's signed status
callbacks and replies (good, forged, duplicate, out of order) and OVH's account callback, which
knows only OVH's own message id."""

import asyncio
import json
from urllib.parse import urlencode

import pytest

from runner.phones import DEMO_HASH_KEY, phone_hash
from runner.project import load_project
from runner.providers.twilio import signature
from runner.web import make_datasette
from tests.test_webhooks import NOW, TOKEN, Web

AUTH = "twilio-auth-token-for-tests"
PUBLIC = "https://hooks.maisonlila.example"


class Hosted(Web):
    def __init__(self, project_dir):
        super().__init__(project_dir)
        self.datasette = make_datasette(
            load_project(project_dir), hash_key=DEMO_HASH_KEY, clock=lambda: NOW,
            env={"SMSOPS_WEBHOOK_TOKEN": TOKEN, "SMSOPS_TWILIO_AUTH_TOKEN": AUTH},
            public_url=PUBLIC)

    def twilio(self, kind, query, form, *, key=AUTH):
        path = f"/-/smsops/{kind}/twilio?{urlencode({**query, 'token': TOKEN})}"
        signed = signature(key, PUBLIC + path, list(form.items()))
        return self.request("POST", path, content=urlencode(form).encode(), headers={
            "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signed})

    def status(self, mid):
        return self.db().execute("SELECT status, failure FROM messages WHERE id = ?", (mid,)).fetchone()


@pytest.fixture
def hosted(project_dir):
    return Hosted(project_dir)


def test_a_signed_twilio_status_callback_is_applied(hosted):
    mid = hosted.message()[0]
    response = hosted.twilio("dlr", {"mid": mid}, {"MessageSid": "SM1", "MessageStatus": "delivered"})
    assert response.status_code == 200
    assert hosted.status(mid) == ("delivered", None)


def test_a_forged_twilio_callback_is_rejected_and_stored_nowhere(hosted):
    mid = hosted.message()[0]
    response = hosted.twilio("dlr", {"mid": mid}, {"MessageSid": "SM1", "MessageStatus": "delivered"},
                             key="not-the-auth-token")
    assert response.status_code == 403
    assert hosted.status(mid) == ("sent", None) and hosted.calls() == []


def test_twilio_duplicates_and_late_statuses_never_downgrade(hosted):
    mid = hosted.message()[0]
    for status in ("delivered", "delivered", "sent", "undelivered"):
        assert hosted.twilio("dlr", {"mid": mid}, {"MessageSid": "SM1",
                                                   "MessageStatus": status}).status_code == 200
    assert hosted.status(mid) == ("delivered", None)
    assert [o for _k, o, _p, _q in hosted.calls()] == ["applied", "no change", "no change",
                                                       "no change"]


def test_a_twilio_stop_reply_suppresses_the_sender(hosted):
    response = hosted.twilio("mo", {}, {"From": "+33639980004", "Body": "Stop", "MessageSid": "SM9"})
    assert response.status_code == 200
    assert hosted.db().execute("SELECT phone_hash FROM optouts").fetchall() == [
        (phone_hash("+33639980004", DEMO_HASH_KEY),)]


def test_without_the_auth_token_twilio_calls_cannot_be_checked(project_dir):
    web = Web(project_dir)  # SMSOPS_TWILIO_AUTH_TOKEN not set
    response = asyncio.run(web.datasette.client.post(
        f"/-/smsops/dlr/twilio?mid=x&token={TOKEN}", content=b"MessageStatus=delivered",
        headers={"content-type": "application/x-www-form-urlencoded"}))
    assert response.status_code == 503
    assert "SMSOPS_TWILIO_AUTH_TOKEN" in response.text and web.calls() == []


def test_an_ovh_callback_joins_on_ovh_s_own_id(hosted):
    mid = hosted.message()[0]
    db = hosted.db()
    db.execute("UPDATE messages SET provider_id = '123456789' WHERE id = ?", (mid,))
    db.commit()
    response = hosted.request("GET", f"/-/smsops/dlr/ovh?id=123456789&ptt=0&description=1&token={TOKEN}")
    assert response.status_code == 200
    assert hosted.status(mid) == ("delivered", None)
    again = hosted.request("GET", f"/-/smsops/dlr/ovh?id=123456789&ptt=0&description=2&token={TOKEN}")
    assert again.status_code == 200 and hosted.status(mid) == ("delivered", None)


def test_an_ovh_callback_for_an_id_we_never_sent_changes_nothing(hosted):
    response = hosted.request("GET", f"/-/smsops/dlr/ovh?id=999&description=1&token={TOKEN}")
    assert response.status_code == 200
    assert [o for _k, o, _p, _q in hosted.calls()] == ["no change"]


# One delivered and one late "failed" report per unsigned hosted provider, in its own shape.
SHAPES = {
    "brevo": lambda mid, pid, state: ("POST", f"/-/smsops/dlr/brevo?mid={mid}", json.dumps(
        {"msg_status": state, "to": "33639980001", "date": "2027-01-07 10:00:05"}).encode(),
        {"content-type": "application/json"}),
    "allmysms": lambda mid, pid, state: ("POST", "/-/smsops/dlr/allmysms", urlencode(
        {"smsId": pid, "phoneNumber": "33639980001", "status": state,
         "receptionDate": "2027-01-07 10:00:05"}).encode(),
        {"content-type": "application/x-www-form-urlencoded"}),
    "ovh": lambda mid, pid, state: ("GET", f"/-/smsops/dlr/ovh?id={pid}&ptt=0&description={state}",
                                     b"", {}),
}
WORDS = {"brevo": ("delivered", "hard_bounce"), "allmysms": ("1", "4"), "ovh": ("1", "2")}


@pytest.mark.parametrize("provider", sorted(SHAPES))
def test_each_hosted_webhook_good_forged_duplicate_and_late(hosted, provider):
    mid = hosted.message()[0]
    db = hosted.db()
    db.execute("UPDATE messages SET provider_id = '4242' WHERE id = ?", (mid,))
    db.commit()
    delivered, failed = WORDS[provider]

    def call(state, token=TOKEN):
        method, path, body, headers = SHAPES[provider](mid, "4242", state)
        path += ("&" if "?" in path else "?") + f"token={token}"
        return hosted.request(method, path, content=body, headers=headers)

    assert call(delivered, token="forged").status_code == 403
    assert hosted.status(mid) == ("sent", None) and hosted.calls() == []
    assert call(delivered).status_code == 200
    assert hosted.status(mid) == ("delivered", None)
    assert call(delivered).status_code == 200  # the provider retries
    assert call(failed).status_code == 200  # a late, contradicting report
    assert hosted.status(mid) == ("delivered", None)
    assert [o for _k, o, _p, _q in hosted.calls()] == ["applied", "no change", "no change"]
    assert "639980001" not in str(hosted.calls())  # kept raw, the number masked
