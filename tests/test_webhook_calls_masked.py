"""What `webhook_calls` keeps of a provider's call: the call as it came, every phone number
starred, whatever the body's encoding (form, JSON, text)."""

import json
from urllib.parse import urlencode

import pytest

from tests.test_webhooks import TOKEN
from tests.test_webhooks_hosted import Hosted


@pytest.fixture
def hosted(project_dir):
    return Hosted(project_dir)


def kept(hosted):
    return hosted.db().execute("SELECT params, body, outcome FROM webhook_calls").fetchall()


def test_a_twilio_status_callback_is_kept_with_the_number_masked(hosted):
    mid = hosted.message()[0]
    form = {"MessageSid": "SM1", "MessageStatus": "delivered", "To": "+33639980001",
            "From": "MABOUTIQUE"}
    assert hosted.twilio("dlr", {"mid": mid}, form).status_code == 200
    [(params, body, outcome)] = kept(hosted)
    assert outcome == "applied"
    assert body == "MessageSid=SM1&MessageStatus=delivered&To=*********01&From=MABOUTIQUE"
    assert json.loads(params)["To"] == "*********01"


def test_a_twilio_stop_quoting_a_number_is_kept_masked(hosted):
    form = {"From": "+33639980004", "To": "+33757000000", "MessageSid": "SM9",
            "Body": "STOP le numero 06 39 98 00 02 aussi"}
    assert hosted.twilio("mo", {}, form).status_code == 200
    [(params, body, _outcome)] = kept(hosted)
    assert body.startswith("From=*********04&") and "Body=STOP+le+numero+********02+aussi" in body
    assert "639980" not in params + body and "39+98" not in body


def test_a_brevo_json_report_is_kept_with_every_string_masked(hosted):
    mid = hosted.message()[0]
    event = {"msg_status": "delivered", "to": "33639980001", "number": 33639980001,
             "reply": "\u002b33 6 39 98 00 01", "date": "2027-01-07 10:00:05"}
    response = hosted.request("POST", f"/-/smsops/dlr/brevo?mid={mid}&token={TOKEN}",
                              content=json.dumps(event, ensure_ascii=True).encode(),
                              headers={"content-type": "application/json"})
    assert response.status_code == 200
    [(_params, body, _outcome)] = kept(hosted)
    assert json.loads(body) == {"msg_status": "delivered", "to": "*********01",
                                "number": "*********01", "reply": "*********01",
                                "date": "2027-01-07 10:00:05"}


def test_an_allmysms_form_reply_is_kept_masked(hosted):
    form = urlencode({"phoneNumber": "0033639980005", "message": "Stop", "smsId": "77"})
    response = hosted.request("POST", f"/-/smsops/mo/allmysms?token={TOKEN}", content=form.encode(),
                              headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert "639980" not in str(kept(hosted))


def test_a_malformed_call_is_kept_masked_too(hosted):
    response = hosted.request("GET", f"/-/smsops/dlr/kannel?to=%2B33639980001&type=1&token={TOKEN}")
    assert response.status_code == 400
    [(params, body, outcome)] = kept(hosted)
    assert outcome == "malformed" and "639980" not in params + body
