"""Delivery reports and STOP replies into the ledger (never downgrading a final state), and
the KPIs of the CCI sheet with product.md's exact definitions."""

import json
import sqlite3
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from runner import ledger
from runner.analytics import kpis
from runner.phones import phone_hash
from runner.providers.base import Inbound, Report
from runner.store import open_store
from runner.sync import apply_reply
from tests.conftest import run_cli

PARIS = ZoneInfo("Europe/Paris")
SENT = datetime(2027, 1, 7, 10, 0, tzinfo=PARIS)


def results_with(tmp_path, rows):
    """A results database holding messages (id, status, failure, seconds to delivery)."""
    db = open_store(tmp_path / "smsops.db").conn
    db.execute("INSERT INTO campaigns (id, objective) VALUES ('c', 'store_visit')")
    for n, (status, failure, seconds) in enumerate(rows):
        delivered = (SENT + timedelta(seconds=seconds)).isoformat() if seconds is not None else None
        db.execute("INSERT INTO messages (id, campaign_id, occurrence, phone_hash, phone_masked, "
                   "status, failure, parts, cost_eur, sent_at, delivered_at, delivery_seconds) "
                   "VALUES (?, 'c', 'o', ?, 'm', ?, ?, 2, 0.09, ?, ?, ?)",
                   (f"m{n}", f"h{n}", status, failure, SENT.isoformat(), delivered, seconds))
    return db


def test_kpis_follow_the_contract_definitions(tmp_path):
    rows = [("delivered", None, s) for s in (1, 2, 3, 4, 10, 20, 30, 40, 50, 100)]
    rows += [("failed", "permanent", None), ("failed", "temporary", None),
             ("in_doubt", None, None), ("expired", None, None), ("sent", None, None)]
    db = results_with(tmp_path, rows)
    db.execute("INSERT INTO clicks (message_id, campaign_id, at) VALUES ('m0', 'c', 'x'), "
               "('m0', 'c', 'y'), ('m1', 'c', 'z')")
    db.execute("INSERT INTO conversions (campaign_id, message_id, code, at, amount_eur) "
               "VALUES ('c', 'm0', 'A', 'x', 30.0), ('c', 'm2', 'B', 'y', 12.5)")
    db.execute("INSERT INTO message_events (message_id, at, kind, state) VALUES "
               "('m3', 'x', 'stop', 'optout'), ('m3', 'y', 'stop', 'optout')")  # STOP twice
    [row] = kpis(db)
    assert (row["sent"], row["delivered"], row["failed"], row["in_doubt"]) == (13, 10, 2, 1)
    assert row["deliverability_rate"] == 10 / 13
    assert row["delivery_seconds_median"] == 15  # (10 + 20) / 2
    assert row["delivery_seconds_p90"] == 50  # the 9th of 10
    assert (row["unique_clickers"], row["click_rate"]) == (2, 0.2)
    assert (row["conversions"], row["conversion_rate"], row["revenue_eur"]) == (2, 0.2, 42.5)
    assert row["bounce_rate"] == 1 / 13  # only the permanent failure: the NPAI of the sheet
    assert (row["optouts"], row["optout_rate"]) == (1, 0.1)
    assert (row["sms_parts"], row["cost_eur"]) == (28, 1.26)  # sent + delivered + failed + in doubt


def test_rates_are_null_when_nothing_was_delivered(tmp_path):
    [row] = kpis(results_with(tmp_path, [("in_doubt", None, None)]))
    assert row["deliverability_rate"] is None and row["click_rate"] is None


def test_reports_never_downgrade_a_final_state(tmp_path):
    db = results_with(tmp_path, [("sent", None, None)])
    now = SENT + timedelta(minutes=1)
    assert ledger.report(db, Report("m0", "pending"), now) is True
    assert ledger.report(db, Report("m0", "delivered", SENT + timedelta(seconds=9)), now) is True
    assert ledger.report(db, Report("m0", "failed", failure="permanent"), now) is False  # late
    assert ledger.report(db, Report("m0", "delivered"), now) is False  # duplicate
    assert ledger.report(db, Report("unknown", "delivered"), now) is False
    assert db.execute("SELECT status, delivered_at, delivery_seconds FROM messages").fetchone() == (
        "delivered", (SENT + timedelta(seconds=9)).isoformat(timespec="milliseconds"), 9.0)


def test_a_report_for_a_message_in_doubt_settles_it(tmp_path):
    db = results_with(tmp_path, [("in_doubt", None, None)])
    assert ledger.report(db, Report("m0", "failed", failure="permanent"), SENT)
    assert db.execute("SELECT status, failure FROM messages").fetchone() == ("failed", "permanent")


def test_a_stop_reply_suppresses_the_number_for_the_campaign_it_answers(tmp_path):
    db = results_with(tmp_path, [])
    db.execute("INSERT INTO messages (id, campaign_id, occurrence, phone_hash, phone_masked, "
               "status, sent_at) VALUES ('x', 'c', 'o', ?, 'm', 'delivered', ?)",
               (phone_hash("+33639980001", "k"), SENT.isoformat()))
    assert apply_reply(db, Inbound("+33639980001", "Stop merci", SENT), "k") is True
    assert apply_reply(db, Inbound("+33639980001", "STOP", SENT), "k") is False  # already
    assert apply_reply(db, Inbound("+33639980002", "Merci !", SENT), "k") is False
    assert db.execute("SELECT campaign_id, source FROM optouts").fetchall() == [("c", "reply")]


def sent_on_a_simulator_with(project_dir, behaviour):
    settings = project_dir / "smsops.yaml"
    settings.write_text(settings.read_text().replace(
        "  simulator:\n", "  simulator:\n" + "".join(f"    {line}\n" for line in behaviour)))
    assert run_cli(project_dir, "contacts", "import").exit_code == 0
    assert run_cli(project_dir, "run", "--at", "2027-01-07T10:00+01:00").exit_code == 0


def sent_to_people_who_all_answer_stop(project_dir):
    sent_on_a_simulator_with(project_dir, ["stop_rate: 1.0"])


def test_sync_then_report_on_the_simulator_and_the_next_run_skips_the_opt_out(project_dir):
    sent_to_people_who_all_answer_stop(project_dir)
    synced = run_cli(project_dir, "sync")
    assert synced.stdout == "simulator: 8 reports applied, 8 replies, 8 new opt-outs\n"
    report = json.loads(run_cli(project_dir, "report", "--format", "json").stdout)
    [row] = report["campaigns"]
    assert (row["campaign_id"], row["sent"], row["optouts"], row["optout_rate"]) == (
        "vente-privee", 8, 8, row["optouts"] / row["delivered"])
    later = run_cli(project_dir, "run", "--at", "2027-01-11T11:31+01:00", "--campaign",
                    "carte-hiver")
    # 7 regulars; 6 of them said STOP to the private sale; the 7th never received it
    assert later.stdout.startswith("carte-hiver 2027-01-11T11:30+0100: 1 sent")
    outbox = sqlite3.connect(project_dir / "simulator.db").execute(
        "SELECT sent_to FROM outbox ORDER BY id").fetchall()
    assert len(outbox) == 9 and outbox[8] not in outbox[:8]


class _Blacklisting:
    """A provider with its own STOP list and no pull API."""

    name = "brevo"

    async def stop_list(self):
        return ["+33639980007", "+33639980012"]


def test_sync_copies_the_provider_s_stop_list_into_the_one_suppression_list(tmp_path):
    import asyncio
    from datetime import UTC, datetime

    from runner.phones import phone_hash
    from runner.store import open_store
    from runner.sync import sync
    conn = open_store(tmp_path / "smsops.db").conn
    now = datetime(2027, 1, 7, 9, tzinfo=UTC)
    first = asyncio.run(sync(conn, _Blacklisting(), now, "key"))
    again = asyncio.run(sync(conn, _Blacklisting(), now, "key"))
    assert (first.optouts, again.optouts) == (2, 0)
    assert sorted(conn.execute("SELECT phone_hash, source FROM optouts")) == sorted(
        (phone_hash(n, "key"), "provider") for n in ("+33639980007", "+33639980012"))


class _PullingAndBlacklisting(_Blacklisting):
    """Brevo, OVH, AllMySMS: a pull API whose STOP replies also land on the provider's STOP list."""

    def __init__(self, replies):
        self.replies = replies

    async def pull(self):
        return [], self.replies


def test_a_stop_that_is_also_on_the_provider_s_list_counts_for_the_campaign_it_answered(tmp_path):
    import asyncio

    from runner.sync import sync
    db = results_with(tmp_path, [("delivered", None, 5)])
    db.execute("UPDATE messages SET phone_hash = ?", (phone_hash("+33639980007", "k"),))
    stop = Inbound("+33639980007", "STOP", SENT + timedelta(minutes=5))
    result = asyncio.run(sync(db, _PullingAndBlacklisting([stop]), SENT, "k"))
    assert (result.replies, result.optouts) == (1, 2)  # ...07 by its reply, ...12 by the list
    assert db.execute("SELECT campaign_id, source FROM optouts WHERE phone_hash = ?",
                      (phone_hash("+33639980007", "k"),)).fetchone() == ("c", "reply")
    [row] = kpis(db)
    assert (row["optouts"], row["optout_rate"]) == (1, 1.0)


def test_a_stop_reply_pulled_after_the_provider_s_list_still_counts_for_its_campaign(tmp_path):
    import asyncio

    from runner.sync import sync
    db = results_with(tmp_path, [("delivered", None, 5)])
    db.execute("UPDATE messages SET phone_hash = ?", (phone_hash("+33639980007", "k"),))
    asyncio.run(sync(db, _PullingAndBlacklisting([]), SENT, "k"))  # the list arrives first
    stop = Inbound("+33639980007", "Stop merci", SENT + timedelta(minutes=5))
    later = asyncio.run(sync(db, _PullingAndBlacklisting([stop]), SENT, "k"))
    assert later.optouts == 0  # already suppressed, but now attributed
    assert kpis(db)[0]["optouts"] == 1


def test_a_provider_that_fails_is_one_line_and_the_others_are_still_synced(project_dir, monkeypatch):
    settings = project_dir / "smsops.yaml"
    settings.write_text(settings.read_text().replace("https://api.brevo.com/v3",
                                                     "http://127.0.0.1:9/v3"))  # nothing listens
    campaign = project_dir / "campaigns" / "nouvelle-bougie.yaml"
    campaign.write_text(campaign.read_text() + "provider: brevo\n")
    monkeypatch.setenv("SMSOPS_BREVO_API_KEY", "xkeysib-test")
    assert run_cli(project_dir, "contacts", "import").exit_code == 0
    assert run_cli(project_dir, "run", "--at", "2027-01-07T10:00+01:00").exit_code == 0
    synced = run_cli(project_dir, "sync")
    assert synced.exit_code == 2
    assert synced.stdout == "simulator: 8 reports applied, 0 replies, 0 new opt-outs\n"
    [line] = [x for x in synced.stderr.splitlines() if not x.startswith("note:")]
    assert line.startswith("brevo: not synced: Brevo") and "unreachable" in line
    assert "providers.brevo" in line and "Traceback" not in synced.output


def test_a_provider_without_its_api_key_is_named_and_not_a_traceback(project_dir):
    campaign = project_dir / "campaigns" / "nouvelle-bougie.yaml"
    campaign.write_text(campaign.read_text() + "provider: brevo\n")
    synced = run_cli(project_dir, "sync")
    assert synced.exit_code == 2
    [line] = [x for x in synced.stderr.splitlines() if not x.startswith("note:")]
    assert line.startswith("brevo: not synced: ") and "SMSOPS_BREVO_API_KEY" in line


def test_report_of_an_unknown_campaign_is_refused_like_plan_and_run(project_dir):
    for command in ("report", "plan"):
        result = run_cli(project_dir, command, "nosuch")
        assert result.exit_code == 2 and "no campaign 'nosuch'" in result.output, command
        assert "nothing sent yet" not in result.output


def test_report_checks_the_chart_and_html_paths_before_printing_anything(project_dir):
    for args in (("--chart", "/nonexistent/x.svg"), ("--format", "html", "-o", "/nonexistent/r.html")):
        result = run_cli(project_dir, "report", *args)
        assert result.exit_code == 2 and result.stdout == "", args
        assert result.stderr.splitlines() == [f"{args[-1]}:1:1: error[chart]: folder /nonexistent "
                                              "does not exist; create it or write the file elsewhere"]


def test_an_html_report_of_two_campaigns_charts_those_two(project_dir):
    sent_on_a_simulator_with(project_dir, [])
    assert run_cli(project_dir, "sync").exit_code == 0
    empty_charts = []
    for ids in (["vente-privee", "carte-hiver"], ["carte-hiver", "anniversaire"]):
        out = project_dir / "r.html"
        assert run_cli(project_dir, "report", "--format", "html", *ids, "-o", str(out)).exit_code == 0
        empty_charts.append(out.read_text().count("no data"))
    assert empty_charts[0] < empty_charts[1]  # only the first pair holds vente-privee's sends


def test_re_subscribing_someone_keeps_the_opt_out_rate_of_the_campaign_they_answered(project_dir):
    sent_to_people_who_all_answer_stop(project_dir)
    assert run_cli(project_dir, "sync").exit_code == 0
    removed = run_cli(project_dir, "optout", "remove", "06 39 98 00 01", "--consent-evidence",
                      "store:Nantes-paper-form-v3 2027-02-01")
    assert removed.exit_code == 0, removed.output
    [row] = json.loads(run_cli(project_dir, "report", "--format", "json").stdout)["campaigns"]
    assert (row["optouts"], row["optout_rate"]) == (8, 1.0)


def test_a_campaign_wide_code_counts_orders_so_its_conversion_rate_can_exceed_one(tmp_path):
    db = results_with(tmp_path, [("delivered", None, 5)] * 8 + [("sent", None, None)] * 2)
    db.executemany("INSERT INTO conversions (campaign_id, message_id, code, at, order_id) VALUES "
                   "('c', NULL, 'PRIVE20', 'x', ?)", [(f"#{n}",) for n in range(10)])
    db.execute("INSERT INTO clicks (message_id, campaign_id, at) VALUES ('m8', 'c', 'x')")
    [row] = kpis(db)
    assert (row["conversions"], row["delivered"], row["conversion_rate"]) == (10, 8, 1.25)
    assert 0 <= row["deliverability_rate"] <= 1 and row["click_rate"] == 1 / 8  # m8: no report yet


def test_simulated_clicks_are_recorded_once_and_only_for_delivered_messages(project_dir):
    sent_on_a_simulator_with(project_dir, ["click_rate: 1.0", "delivered_rate: 0.5"])
    first = run_cli(project_dir, "sync")
    again = run_cli(project_dir, "sync")
    db = sqlite3.connect(project_dir / "smsops.db")
    delivered = db.execute("SELECT COUNT(*) FROM messages WHERE status = 'delivered'").fetchone()[0]
    assert 0 < delivered < 8
    assert first.stdout.endswith(f", {delivered} simulated clicks\n")
    assert "simulated clicks" not in again.stdout
    assert db.execute("SELECT COUNT(*) FROM clicks JOIN messages ON messages.id = message_id "
                      "WHERE status = 'delivered'").fetchone()[0] == delivered
    [row] = json.loads(run_cli(project_dir, "report", "--format", "json").stdout)["campaigns"]
    assert (row["unique_clickers"], row["click_rate"]) == (delivered, 1.0)


TWILIO_ENV = {"SMSOPS_TWILIO_ACCOUNT_SID": "ACexample0000000000000000000000000",
              "SMSOPS_TWILIO_AUTH_TOKEN": "EXAMPLE-auth-token"}


def twilio_answering(statuses, requests):
    """The Twilio adapter on a MockTransport: each sid's Message resource has its status."""
    import httpx

    from runner.providers import twilio

    def handler(request):
        requests.append(request)
        sid = request.url.path.rsplit("/", 1)[1].removesuffix(".json")
        return httpx.Response(200, json={"sid": sid, "status": statuses[sid], "error_code": None,
                                         "date_updated": "Thu, 07 Jan 2027 09:02:00 +0000"})

    return twilio.create({}, TWILIO_ENV, transport=httpx.MockTransport(handler),
                         clock=lambda: SENT + timedelta(hours=1))


def twilio_sent(tmp_path, count):
    """`count` messages sent through Twilio (sids SM0, SM1...), their callbacks lost."""
    db = results_with(tmp_path, [("sent", None, None)] * count)
    db.execute("UPDATE messages SET provider = 'twilio', provider_id = 'SM' || substr(id, 2)")
    return db


def test_sync_pulls_twilio_so_a_message_whose_callback_was_lost_becomes_delivered(tmp_path):
    import asyncio

    from runner.sync import sync
    db = twilio_sent(tmp_path, 2)
    requests = []

    async def synced(statuses):
        provider = twilio_answering(statuses, requests)
        try:
            return await sync(db, provider, SENT + timedelta(hours=1), "k")
        finally:
            await provider.aclose()

    first = asyncio.run(synced({"SM0": "delivered", "SM1": "sent"}))
    assert (first.pulled, first.reports) == (True, 1)
    assert list(db.execute("SELECT id, status, delivery_seconds FROM messages ORDER BY id")) == [
        ("m0", "delivered", 120.0), ("m1", "sent", None)]  # m1: still with the carrier
    requests.clear()
    later = asyncio.run(synced({"SM0": "undelivered", "SM1": "delivered"}))
    assert later.reports == 1 and [r.url.path for r in requests] == [
        "/2010-04-01/Accounts/ACexample0000000000000000000000000/Messages/SM1.json"]
    assert list(db.execute("SELECT status FROM messages ORDER BY id")) == [("delivered",)] * 2
    assert kpis(db)[0]["delivered"] == 2


def test_a_final_state_is_never_downgraded_by_a_later_pulled_report(tmp_path):
    db = twilio_sent(tmp_path, 1)
    pulled = Report("", "delivered", SENT + timedelta(minutes=2), provider_id="SM0")
    late = Report("", "failed", SENT + timedelta(minutes=9), "permanent", provider_id="SM0")
    assert ledger.report(db, pulled, SENT) and not ledger.report(db, late, SENT)
    assert db.execute("SELECT status, failure FROM messages").fetchone() == ("delivered", None)


def test_sync_asks_twilio_for_the_oldest_messages_still_waiting_within_the_week_and_the_cap(tmp_path):
    db = twilio_sent(tmp_path, 6)
    db.executemany("UPDATE messages SET sent_at = ? WHERE id = ?", [
        ((SENT - timedelta(days=8)).isoformat(), "m0"),  # too old: no report will come now
        ((SENT - timedelta(hours=2)).isoformat(), "m3"), ((SENT - timedelta(hours=1)).isoformat(), "m4")])
    db.execute("UPDATE messages SET status = 'delivered' WHERE id = 'm1'")
    db.execute("UPDATE messages SET provider = 'brevo' WHERE id = 'm2'")
    week_ago = SENT - timedelta(days=7)
    assert ledger.awaiting_report(db, "twilio", week_ago) == ["SM3", "SM4", "SM5"]
    assert ledger.awaiting_report(db, "twilio", week_ago, limit=2) == ["SM3", "SM4"]
