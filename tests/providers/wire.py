"""What every adapter's wire tests share: an outgoing message, and one call on an adapter built
around an httpx.MockTransport (built, awaited, closed)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from runner.providers.base import OutgoingMessage
from runner.text import sms_parts

T = TypeVar("T")
Handler = Callable[[httpx.Request], httpx.Response]


def outgoing(text: str, *, reference: str = "m-42", to: str = "+33639980001",
             sender: str = "MAISONLILA") -> OutgoingMessage:
    encoding, parts = sms_parts(text)
    return OutgoingMessage(reference=reference, to=to, sender=sender, text=text, encoding=encoding,
                           parts=parts)


def call_on(create: Callable[[httpx.MockTransport], Any], handler: Handler,
            action: Callable[[Any], Awaitable[T]]) -> T:
    async def go() -> T:
        provider = create(httpx.MockTransport(handler))
        try:
            return await action(provider)
        finally:
            await provider.aclose()

    return asyncio.run(go())
