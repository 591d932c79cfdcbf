"""An ordered, memory-bounded map over forked worker processes, for 10^6-row imports.

Normalising a number and hashing it is pure Python work; with the reading and the SQLite
inserts left in the parent, a second core roughly halves an import. Small inputs, and systems
without `fork`, run in-process."""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import TypeVar

In = TypeVar("In")
Out = TypeVar("Out")
_function: Callable[..., object] | None = None  # set before the fork: workers inherit it


def _apply(chunk: list[object]) -> list[object]:
    assert _function is not None
    return [_function(item) for item in chunk]


def _chunks(items: Iterable[In], size: int) -> Iterator[list[In]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def ordered_map(function: Callable[[In], Out], items: Iterable[In], chunk_size: int = 2000,
                workers: int | None = None) -> Iterator[Out]:
    """`map(function, items)`, spread over processes once the input is big enough."""
    global _function
    workers = workers or min(os.cpu_count() or 1, 4)
    chunks = _chunks(items, chunk_size)
    first = next(chunks, [])
    if len(first) < chunk_size or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(function, first)
        for chunk in chunks:
            yield from map(function, chunk)
        return
    _function = function
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        pending: deque[Future[list[object]]] = deque([pool.submit(_apply, first)])  # type: ignore[arg-type]
        for chunk in chunks:
            pending.append(pool.submit(_apply, chunk))  # type: ignore[arg-type]
            if len(pending) >= 2 * workers:  # bounded: never more than a few chunks in flight
                yield from pending.popleft().result()  # type: ignore[misc]
        while pending:
            yield from pending.popleft().result()  # type: ignore[misc]
