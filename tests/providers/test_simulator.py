"""The simulator: a record of every accepted message, seeded reports and STOP replies."""

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from runner.providers.base import OutgoingMessage
from runner.providers.simulator import Behaviour, create

SENT_AT = datetime(2027, 1, 7, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


def simulator(tmp_path, **config):
    return create(config, {}, root=tmp_path, clock=lambda: SENT_AT)


def send(provider, count):
    async def go():
        return [await provider.send(OutgoingMessage(f"ref{n}", f"+336399800{n % 100:02d}",
                                                    "MAISONLILA", "Bonjour", "GSM-7", 1))
                for n in range(count)]
    return asyncio.run(go())


def test_every_accepted_message_is_recorded_with_its_text(tmp_path):
    provider = simulator(tmp_path)
    accepted = send(provider, 3)
    assert [a.provider_id for a in accepted] == ["sim-1", "sim-2", "sim-3"]
    rows = provider.db.execute("SELECT reference, sent_to, text, accepted_at FROM outbox").fetchall()
    assert rows[0] == ("ref0", "+33639980000", "Bonjour", SENT_AT.isoformat(timespec="milliseconds"))


def test_lookup_finds_what_it_accepted_and_nothing_else(tmp_path):
    provider = simulator(tmp_path)
    send(provider, 1)
    found = asyncio.run(provider.lookup("ref0"))
    assert (found.reference, found.provider_id) == ("ref0", "sim-1")
    assert asyncio.run(provider.lookup("never-sent")) is None


def test_reports_are_the_same_for_the_same_seed_and_follow_the_rates(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, again = simulator(tmp_path / "a", seed=7), simulator(tmp_path / "b", seed=7)
    send(first, 2000)
    send(again, 2000)
    assert [(r.reference, r.state, r.at) for r in first.reports()] == \
        [(r.reference, r.state, r.at) for r in again.reports()]
    (tmp_path / "c").mkdir()
    other = simulator(tmp_path / "c", seed=8)
    send(other, 2000)
    assert [r.state for r in other.reports()] != [r.state for r in first.reports()]
    states = [r.state for r in first.reports()]
    assert 0.93 < states.count("delivered") / 2000 < 0.97  # delivered_rate 0.95
    assert 0.01 < states.count("failed") / 2000 < 0.03  # invalid_rate 0.02: the bounces
    for report in first.reports():
        assert SENT_AT + timedelta(seconds=2) <= report.at <= SENT_AT + timedelta(seconds=30)
        assert (report.state == "failed") == (report.failure == "permanent")


def test_a_configured_share_answers_stop(tmp_path):
    provider = simulator(tmp_path, stop_rate=0.1, seed=3)
    send(provider, 1000)
    replies = provider.replies()
    assert 70 < len(replies) < 130
    assert {r.text for r in replies} == {"STOP"}
    assert all(r.at == SENT_AT + timedelta(minutes=5) for r in replies)


def test_behaviour_comes_from_the_settings(tmp_path):
    provider = simulator(tmp_path, delivered_rate=1.0, invalid_rate=0.0, price_eur_per_part=0.05)
    assert provider.behaviour == Behaviour(delivered_rate=1.0, invalid_rate=0.0)
    assert provider.capabilities.price_eur_per_part == 0.05
    assert provider.capabilities.lookup is True
