"""What the hosted adapters share: how long a rate limit asks us to wait, capped, and a run that
leaves the rest queued for the next run instead of sleeping an hour."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from runner.providers import allmysms, brevo, hosted, ovh, twilio
from runner.providers.base import Capabilities, NotSent
from tests.providers import wire
from tests.test_dispatch import VENTE, Scripted, scripted_run

NOW = datetime(2027, 1, 9, 9, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(("headers", "wait"), [
    ({"retry-after": "7"}, 7.0),
    ({"retry-after": "2.5"}, 2.5),
    ({"retry-after": "Sat, 09 Jan 2027 09:00:30 GMT"}, 30.0),
    ({"retry-after": "Sat, 09 Jan 2027 08:59:00 GMT"}, 0.0),  # already past: no wait
    ({"retry-after": "soon"}, None),
    ({}, None),
])
def test_retry_after_reads_seconds_and_http_dates(headers: dict[str, str], wait: float | None) -> None:
    assert hosted.retry_after(httpx.Headers(headers), now=lambda: NOW) == wait


def test_the_first_header_that_says_wins() -> None:
    names = ("x-sib-ratelimit-reset", "retry-after")
    assert hosted.retry_after(httpx.Headers({"x-sib-ratelimit-reset": "9", "retry-after": "3"}), names) == 9.0
    assert hosted.retry_after(httpx.Headers({"retry-after": "3"}), names) == 3.0


def test_a_wait_within_the_cap_is_retried_a_longer_one_is_left_for_the_next_run() -> None:
    caps = Capabilities(max_retry_wait_seconds=60)
    short = hosted.rate_limited("Brevo rate limit reached (429)", "{}", 60.0, caps)
    assert (short.retry_after, short.later) == (60.0, False)
    long = hosted.rate_limited("Brevo rate limit reached (429)", "{}", 3600.0, caps)
    assert (long.retry_after, long.later) == (None, True)
    assert str(long) == ("Brevo rate limit reached (429); it asks to wait 3600 s, more than "
                         "max_retry_wait_seconds 60: left queued for the next run")


def test_the_cap_is_a_setting() -> None:
    assert hosted.capabilities({"max_retry_wait_seconds": 5}, lookup=False).max_retry_wait_seconds == 5.0
    assert hosted.capabilities({}, lookup=False).max_retry_wait_seconds == 60.0


HTTP_DATE = {"retry-after": "Sat, 09 Jan 2099 09:00:00 GMT"}  # far beyond any cap
ADAPTERS = {
    "brevo": lambda t: brevo.create({}, {"SMSOPS_BREVO_API_KEY": "k"}, transport=t),
    "ovh": lambda t: ovh.create({"service_name": "sms-ab12345-1"}, {
        "SMSOPS_OVH_APPLICATION_KEY": "a", "SMSOPS_OVH_APPLICATION_SECRET": "s",
        "SMSOPS_OVH_CONSUMER_KEY": "c"}, transport=t),
    "allmysms": lambda t: allmysms.create({}, {"SMSOPS_ALLMYSMS_LOGIN": "l", "SMSOPS_ALLMYSMS_API_KEY": "k"},
                                          transport=t),
    "twilio": lambda t: twilio.create({}, {"SMSOPS_TWILIO_ACCOUNT_SID": "AC1",
                                           "SMSOPS_TWILIO_AUTH_TOKEN": "t"}, transport=t),
}


def too_many(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/auth/time"):
        return httpx.Response(200, json=int(NOW))
    return httpx.Response(429, json={"message": "slow down"}, headers=HTTP_DATE)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_every_hosted_adapter_reads_an_http_date_retry_after(name: str) -> None:
    with pytest.raises(NotSent) as raised:
        wire.call_on(ADAPTERS[name], too_many, lambda p: p.send(wire.outgoing("Maison Lila STOP au 36111")))
    assert raised.value.later and raised.value.retry_after is None


def test_a_run_told_to_wait_too_long_leaves_the_rest_queued_and_says_why(project_dir) -> None:
    provider = Scripted(NotSent("Brevo rate limit reached (429); it asks to wait 3600 s", later=True))
    provider.capabilities = Capabilities(price_eur_per_part=0.045, rate_per_second=1000, concurrency=1)
    run = scripted_run(project_dir, provider)
    outcome = run("2027-01-07 10:00")[VENTE]
    assert (outcome.sent, len(provider.sent), outcome.held, outcome.waiting) == (0, 1, 8, 0)
    assert run.statuses() == {"queued": 8}
    assert outcome.notes == ["rate-limited or busy, the rest stays queued for the next run: "
                             "Brevo rate limit reached (429); it asks to wait 3600 s"]
    assert [s for s in run.sleeps if s >= 1] == []
    assert run("2027-01-07 10:10")[VENTE].sent == 8  # the next run sends them


def test_a_provider_still_busy_after_the_retries_stops_the_campaign_for_this_run(project_dir) -> None:
    provider = Scripted(*[NotSent("503 busy")] * 4)
    provider.capabilities = Capabilities(price_eur_per_part=0.045, rate_per_second=1000, concurrency=1)
    run = scripted_run(project_dir, provider)
    outcome = run("2027-01-07 10:00")[VENTE]
    assert (outcome.sent, len(provider.sent)) == (0, 4)
    assert outcome.notes == ["rate-limited or busy, the rest stays queued for the next run: 503 busy"]
