"""What every hosted provider's HTTP call shares: httpx's failures in our four error classes."""

from __future__ import annotations

from typing import Any

import httpx

from runner.providers.base import InDoubt, NotSent, ProviderConfigError


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
