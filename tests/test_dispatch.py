"""The send loop: never outside the window, never twice, never to an opt-out or a contact
without consent, never over budget, never late after `expires`."""

import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

import phonenumbers
import pytest

from runner import optout
from runner.diagnostics import SmsopsError
from runner.lock import RunLock
from runner.phones import DEMO_HASH_KEY, parse_phone, phone_hash
from runner.project import load_project
from runner.providers.base import (
    Accepted,
    Capabilities,
    InDoubt,
    NotSent,
    ProviderConfigError,
    Refused,
)
from runner.run import Options, run_campaigns, send_tests
from runner.window import Window, is_allowed
from tests.conftest import run_cli

PARIS = ZoneInfo("Europe/Paris")
VENTE = "vente-privee"  # due 2027-01-07 10:00, expires 2027-01-09 18:00, 8 recipients, 2 parts


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=PARIS) if "+" not in text else \
        datetime.fromisoformat(text)


def example(region):
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def add_contacts(project_dir, *numbers):
    csv = project_dir / "audiences" / "clients.csv"
    rows = csv.read_text(encoding="utf-8").splitlines()
    rows += [rows[1].replace("06 39 98 00 01", number) for number in numbers]
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")


def edit(path, old, new):
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


class Run:
    """`smsops run` in-process on a copy of the example project, with an injected clock."""

    def __init__(self, project_dir, providers=None):
        self.dir, self.providers, self.sleeps = project_dir, providers, []
        result = run_cli(project_dir, "contacts", "import")
        assert result.exit_code == 0, result.output

    async def _sleep(self, seconds):
        self.sleeps.append(seconds)

    def __call__(self, when, *ids):
        project = load_project(self.dir)
        campaigns = [project.campaigns[i] for i in ids or [VENTE]]
        options = Options(env={}, hash_key=DEMO_HASH_KEY, sleep=self._sleep,
                          providers=self.providers)
        report = run_campaigns(project, campaigns, lambda: at(when), options)
        return {o.campaign_id: o for o in report.outcomes}

    def outbox(self):
        if not (self.dir / "simulator.db").exists():
            return []
        db = sqlite3.connect(self.dir / "simulator.db")
        return db.execute("SELECT reference, sent_to, text, accepted_at FROM outbox").fetchall()

    def statuses(self):
        db = sqlite3.connect(self.dir / "smsops.db")
        return dict(db.execute("SELECT status, COUNT(*) FROM messages GROUP BY status"))


@pytest.fixture
def run(project_dir):
    return Run(project_dir)


def test_each_recipient_gets_exactly_one_message_over_many_runs(run):
    first = run("2027-01-07 10:00")[VENTE]
    assert (first.sent, first.failed, first.waiting) == (8, 0, 0)
    for later in ("2027-01-07 10:00", "2027-01-07 10:05", "2027-01-08 09:00"):
        assert run(later)[VENTE].sent == 0
    outbox = run.outbox()
    assert len(outbox) == 8
    assert len({to for _ref, to, _t, _a in outbox}) == 8
    assert run.statuses() == {"sent": 8}


def test_contacts_without_consent_are_never_sent_to(run):
    run("2027-01-07 10:00")
    sent_to = {to for _ref, to, _t, _a in run.outbox()}
    assert "+33639980005" not in sent_to  # consent "non"
    assert "+33639980011" not in sent_to  # consent empty


def test_nothing_is_sent_before_the_campaign_is_due(run):
    assert run("2027-01-07 09:59")[VENTE].occurrence is None
    assert run.outbox() == []


def test_overseas_recipient_waits_for_their_own_window(project_dir):
    add_contacts(project_dir, example("PF"), example("RE"))
    run = Run(project_dir)
    first = run("2027-01-07 10:00")[VENTE]  # Tahiti: 23:00 the day before
    assert (first.sent, first.waiting) == (9, 1)
    assert run("2027-01-07 18:59")[VENTE].sent == 0  # Tahiti 07:59
    assert run("2027-01-07 19:00")[VENTE].sent == 1  # Tahiti 08:00
    window = Window()
    for _ref, to, _text, accepted in run.outbox():
        region = parse_phone(to, allow_fictional=True).region
        assert is_allowed(datetime.fromisoformat(accepted), region, window, margin=True)


def test_the_stop_margin_holds_sends_back_before_the_end(run):
    assert run("2027-01-08 19:50")[VENTE].waiting == 8  # after 19:45 (end 20:00 - 15 min)
    assert run.outbox() == []
    assert run("2027-01-09 08:00")[VENTE].sent == 8


@pytest.mark.parametrize("saturday,closed,before,opens,expires", [
    # spring: Sunday 28 March 2027 changes to UTC+2; Monday 29 is Easter Monday
    ("2027-03-27", ["2027-03-28 10:00", "2027-03-29 10:00"], "2027-03-30T05:59+00:00",
     "2027-03-30T06:00+00:00", "2027-03-31 12:00"),
    # autumn: Sunday 31 October 2027 changes to UTC+1; Monday 1 November is Toussaint
    ("2027-10-30", ["2027-10-31 10:00", "2027-11-01 10:00"], "2027-11-02T06:59+00:00",
     "2027-11-02T07:00+00:00", "2027-11-03 12:00"),
])
def test_the_window_follows_daylight_saving_and_holidays(project_dir, saturday, closed, before,
                                                         opens, expires):
    campaign = project_dir / "campaigns" / "vente-privee.yaml"
    edit(campaign, "at: 2027-01-07 10:00", f"at: {saturday} 19:50")  # after the stop margin
    edit(campaign, "expires: 2027-01-09 18:00", f"expires: {expires}")
    run = Run(project_dir)
    recipients = run(f"{saturday} 19:50")[VENTE].waiting
    assert recipients > 0
    for moment in closed:
        assert run(moment)[VENTE].waiting == recipients
    assert run(before)[VENTE].waiting == recipients  # 07:59 in Paris
    assert run(opens)[VENTE].sent == recipients  # 08:00 in Paris, whatever the UTC offset


def test_a_saturday_holiday_is_skipped(project_dir):
    campaign = project_dir / "campaigns" / "vente-privee.yaml"
    edit(campaign, "at: 2027-01-07 10:00", "at: 2027-05-07 19:50")
    edit(campaign, "expires: 2027-01-09 18:00", "expires: 2027-05-10 12:00")
    run = Run(project_dir)
    recipients = run("2027-05-08 10:00")[VENTE].waiting  # Victoire 1945, a Saturday
    assert recipients > 0 and run.outbox() == []
    assert run("2027-05-10 08:00")[VENTE].sent == recipients


def test_an_opt_out_before_the_run_is_never_sent_to(run):
    results = run.dir / "smsops.db"
    run("2027-01-07 09:00")  # creates the results database, nothing due yet
    db = sqlite3.connect(results)
    db.isolation_level = None
    optout.add(db, phone_hash("+33639980001", DEMO_HASH_KEY), at("2027-01-06 12:00"), "test", "sms")
    assert run("2027-01-07 10:00")[VENTE].sent == 7
    assert "+33639980001" not in {to for _r, to, _t, _a in run.outbox()}


def test_an_opt_out_while_waiting_expires_the_message(project_dir):
    add_contacts(project_dir, example("PF"))
    run = Run(project_dir)
    assert run("2027-01-07 10:00")[VENTE].waiting == 1
    db = sqlite3.connect(run.dir / "smsops.db")
    db.isolation_level = None
    optout.add(db, phone_hash(example("PF"), DEMO_HASH_KEY), at("2027-01-07 12:00"), "test", "sms")
    later = run("2027-01-07 19:00")[VENTE]
    assert (later.sent, later.expired) == (0, 1)
    assert example("PF") not in {to for _r, to, _t, _a in run.outbox()}


def test_nothing_goes_out_late_after_expires(project_dir):
    add_contacts(project_dir, example("PF"))
    edit(project_dir / "campaigns" / "vente-privee.yaml", "expires: 2027-01-09 18:00",
         "expires: 2027-01-07 12:00")
    run = Run(project_dir)
    assert run("2027-01-07 10:00")[VENTE].waiting == 1
    late = run("2027-01-07 19:00")  # Tahiti opens now, but the offer is over
    assert run.statuses() == {"sent": 8, "expired": 1}
    assert late[VENTE].occurrence is None
    assert len(run.outbox()) == 8


def test_the_budget_is_never_exceeded(project_dir):
    edit(project_dir / "campaigns" / "vente-privee.yaml", "max_cost_eur: 20", "max_cost_eur: 0.2")
    run = Run(project_dir)
    first = run("2027-01-07 10:00")[VENTE]  # 2 parts x 0.045 € = 0.09 € each
    assert (first.sent, first.waiting, first.held) == (2, 0, 6)
    assert first.notes == ["budget of 0.20 € reached"]
    assert run("2027-01-07 11:00")[VENTE].sent == 0
    db = sqlite3.connect(run.dir / "smsops.db")
    assert db.execute("SELECT SUM(cost_eur) FROM messages WHERE status = 'sent'").fetchone()[0] \
        == pytest.approx(0.18)


def test_a_birthday_campaign_sends_once_per_occurrence(run):
    run("2027-01-22 10:05", "anniversaire")
    run("2027-01-22 11:00", "anniversaire")
    assert [to for _r, to, _t, _a in run.outbox()] == ["+33639980004"]
    db = sqlite3.connect(run.dir / "smsops.db")
    assert db.execute("SELECT occurrence FROM messages").fetchall() == [("2027-01-22T10:00+0100",)]


def test_an_invalid_campaign_is_never_sent(project_dir):
    edit(project_dir / "campaigns" / "vente-privee.yaml", " STOP au 36111", "")
    run = Run(project_dir)
    assert run("2027-01-07 10:00") == {}
    assert run.outbox() == []


def test_a_second_run_at_the_same_time_stops_with_a_message(run):
    with RunLock(run.dir / "smsops.db"), pytest.raises(SmsopsError) as raised:
        run("2027-01-07 10:00")
    assert "another smsops run is sending" in str(raised.value)
    assert run.outbox() == []


class Scripted:
    """A provider that answers from a script, to drive each error class of the protocol."""

    name = "simulator"

    def __init__(self, *answers, lookup=False):
        self.answers, self.sent = list(answers), []
        self.capabilities = Capabilities(lookup=lookup, price_eur_per_part=0.045,
                                         rate_per_second=1000)

    async def send(self, message):
        answer = self.answers.pop(0) if self.answers else Accepted("ok")
        self.sent.append(message.reference)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def lookup(self, reference):
        return None

    async def aclose(self):
        pass


def scripted_run(project_dir, provider):
    return Run(project_dir, providers=lambda name: provider)


def test_not_sent_is_retried_with_backoff(project_dir):
    provider = Scripted(NotSent("connect error"), NotSent("429", retry_after=2.5))
    run = scripted_run(project_dir, provider)
    assert run("2027-01-07 10:00")[VENTE].sent == 8
    assert [s for s in run.sleeps if s >= 0.5] == [1.0, 2.5]  # the rest: the rate limiter
    assert len(provider.sent) == 10 and len(set(provider.sent)) == 8


def test_refused_is_a_failure_and_costs_nothing(project_dir):
    run = scripted_run(project_dir, Scripted(Refused("invalid number", failure="permanent")))
    assert run("2027-01-07 10:00")[VENTE].failed == 1
    db = sqlite3.connect(run.dir / "smsops.db")
    assert db.execute("SELECT failure, cost_eur FROM messages WHERE status = 'failed'").fetchall() \
        == [("permanent", 0.0)]


def test_a_refusal_because_the_person_said_stop_at_the_provider_suppresses_them(project_dir):
    provider = Scripted(Refused("21610: replied STOP to this sender", opted_out=True))
    run = scripted_run(project_dir, provider)
    assert run("2027-01-07 10:00")[VENTE].failed == 1
    db = sqlite3.connect(run.dir / "smsops.db")
    [(refused,)] = db.execute("SELECT phone_hash FROM messages WHERE status = 'failed'").fetchall()
    assert db.execute("SELECT phone_hash, source, campaign_id FROM optouts").fetchall() == [
        (refused, "provider", VENTE)]


class LookupFails(Scripted):
    async def lookup(self, reference):
        raise InDoubt("503 while looking it up")


def test_a_lookup_that_fails_leaves_the_message_in_doubt_never_resent(project_dir):
    provider = LookupFails(InDoubt("read timeout"), lookup=True)
    run = scripted_run(project_dir, provider)
    assert run("2027-01-07 10:00")[VENTE].in_doubt == 1
    run("2027-01-07 11:00")
    assert len(provider.sent) == 8
    assert run.statuses() == {"sent": 7, "in_doubt": 1}


def test_in_doubt_is_never_resent(project_dir):
    provider = Scripted(InDoubt("read timeout"))
    run = scripted_run(project_dir, provider)
    assert run("2027-01-07 10:00")[VENTE].in_doubt == 1
    run("2027-01-07 11:00")
    assert len(provider.sent) == 8  # the doubtful one was not tried again
    assert run.statuses() == {"sent": 7, "in_doubt": 1}


def test_bad_credentials_stop_the_run_and_requeue(project_dir):
    provider = Scripted(ProviderConfigError("authorization failed: check SMSOPS_KANNEL_USER"))
    run = scripted_run(project_dir, provider)
    with pytest.raises(SmsopsError, match="SMSOPS_KANNEL_USER"):
        run("2027-01-07 10:00")
    assert run.statuses() == {"queued": 8}
    assert run("2027-01-07 10:30")[VENTE].sent == 8


def test_rows_left_sending_are_reconciled_not_resent(run):
    run("2027-01-07 09:00")
    db = sqlite3.connect(run.dir / "smsops.db")
    run("2027-01-07 10:00")
    # as if a run had been killed: one row claimed but never sent, one sent but not settled
    references = [r for r, *_rest in run.outbox()]
    db.execute("UPDATE messages SET status = 'sending' WHERE id = ?", (references[0],))
    db.execute("INSERT INTO messages (id, campaign_id, occurrence, phone_hash, phone_masked, "
               "status, provider) VALUES ('ghost', 'vente-privee', '2027-01-07T10:00+0100', 'h', 'm', "
               "'sending', "
               "'simulator')")
    db.commit()
    run("2027-01-07 10:10")
    assert dict(db.execute("SELECT id, status FROM messages WHERE id IN (?, 'ghost')",
                           (references[0],))) == {references[0]: "sent", "ghost": "queued"}
    assert len(run.outbox()) == 8


def test_test_sends_are_marked_and_respect_the_window(run, project_dir):
    project = load_project(project_dir)
    phone = parse_phone("06 39 98 00 99", allow_fictional=True)
    options = Options(env={}, hash_key=DEMO_HASH_KEY)
    outcome = send_tests(project, project.campaigns[VENTE], [phone],
                         lambda: at("2027-01-05 10:00"), options)
    assert outcome.sent == 1
    db = sqlite3.connect(project_dir / "smsops.db")
    assert db.execute("SELECT test, phone_masked FROM messages").fetchall() == [
        (1, "+33 6 39 98 ** 99")]
    [(text,)] = sqlite3.connect(project_dir / "simulator.db").execute("SELECT text FROM outbox")
    assert text.startswith("Maison Lila : Bonjour, vente privée")
    result = run_cli(project_dir, "test", VENTE, "--to", "06 39 98 00 99",
                     "--at", "2027-01-05T21:00+01:00")
    assert result.exit_code == 2
    assert "test sends respect the window too" in result.output


def test_cli_run_prints_one_line_per_campaign(run, project_dir):
    result = run_cli(project_dir, "run", "--at", "2027-01-07T10:00+01:00")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "anniversaire 2027-01-07T10:00+0100: 0 sent, 0 refused, 0 waiting for their window, "
        "0 expired, 0 in doubt, 0.00 €",
        "carte-hiver: next: 2027-01-11 11:30",
        "nouvelle-bougie: nothing left to send",
        "vente-privee 2027-01-07T10:00+0100: 8 sent, 0 refused, 0 waiting for their window, "
        "0 expired, 0 in doubt, 0.72 €",
    ]


def test_progress_counts_each_message_sent(run, project_dir):
    seen = []
    project = load_project(project_dir)
    options = Options(env={}, hash_key=DEMO_HASH_KEY, progress=lambda c, n: seen.append((c, n)))
    run_campaigns(project, [project.campaigns[VENTE]], lambda: at("2027-01-07 10:00"), options)
    assert seen == [(VENTE, n) for n in range(1, 9)]
