"""What every hosted provider shares: httpx's failures in our four error classes, the
capabilities read from smsops.yaml, and how long a rate limit asks us to wait."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from runner.providers.base import Capabilities, InDoubt, NotSent, ProviderConfigError

DEFAULTS = Capabilities()


def capabilities(config: Mapping[str, Any], *, lookup: bool, appends_stop: str | None = None,
                 max_parts: int = DEFAULTS.max_parts) -> Capabilities:
    """The `providers.<name>` settings every hosted adapter reads, with their defaults."""
    return Capabilities(
        lookup=lookup, appends_stop=appends_stop, max_parts=int(config.get("max_parts", max_parts)),
        price_eur_per_part=float(config.get("price_eur_per_part", DEFAULTS.price_eur_per_part)),
        rate_per_second=float(config.get("rate_per_second", DEFAULTS.rate_per_second)),
        concurrency=int(config.get("concurrency", DEFAULTS.concurrency)),
        max_retry_wait_seconds=float(config.get("max_retry_wait_seconds",
                                                DEFAULTS.max_retry_wait_seconds)))


def retry_after(headers: httpx.Headers, names: tuple[str, ...] = ("retry-after",),
                now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait, from the first of `names` present: a number of seconds, or an HTTP date
    (RFC 9110 allows both for Retry-After); None when no header says."""
    for name in names:
        value = headers.get(name, "").strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - now())
        except (TypeError, ValueError):
            continue
    return None


def rate_limited(said: str, raw: str, wait: float | None, caps: Capabilities) -> NotSent:
    """A 429: retried after `wait` when that is short enough, else left for the next run."""
    if wait is not None and wait > caps.max_retry_wait_seconds:
        return NotSent(f"{said}; it asks to wait {wait:.0f} s, more than max_retry_wait_seconds "
                       f"{caps.max_retry_wait_seconds:g}: left queued for the next run", raw=raw,
                       later=True)
    return NotSent(said, raw=raw, retry_after=wait)


async def request(client: httpx.AsyncClient, provider: str, label: str, method: str, url: str,
                  **kwargs: Any) -> httpx.Response:
    """One request; a failure before anything left is NotSent (safe to retry), one after it may
    have arrived is InDoubt (looked up or left in doubt, never re-sent blindly)."""
    try:
        return await client.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as err:
        raise NotSent(f"{label} unreachable: {type(err).__name__}: {err}") from err
    except httpx.UnsupportedProtocol as err:
        raise ProviderConfigError(f"providers.{provider}.base_url is not an http(s) URL") from err
    except httpx.TransportError as err:  # read/write timeout, connection lost after sending
        raise InDoubt(f"{label} may have accepted the message: {type(err).__name__}: {err}") from err
