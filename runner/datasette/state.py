"""What the plugin's routes need from `smsops serve`, kept apart from Datasette's import (the
plugin is loaded while `datasette.app` is still importing)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from runner.settings import Settings
from runner.store import open_store

if TYPE_CHECKING:
    from datasette.app import Datasette

ROUTE_PREFIX = "/-/smsops"
DASHBOARD = "/-/dashboards/results"  # datasette-dashboards' page of metadata.yml's `results`
T = TypeVar("T")


@dataclass
class WebState:
    """What the routes need: settings, secrets, a clock, and one writer thread for the results
    database (SQLite allows one writer; Datasette's own connections only read)."""

    settings: Settings
    database: Path
    env: Mapping[str, str]
    hash_key: str
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    public_url: str | None = None  # the URL providers call, when a proxy stands in front
    _executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1))
    _conn: sqlite3.Connection | None = None

    @property
    def short_path(self) -> str | None:
        """The path part of `tracking.short_base_url` ('' for a bare host), None without one."""
        base = self.settings.short_base_url
        return urlsplit(base).path.rstrip("/") if base else None

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            if self._conn is None:
                self._conn = open_store(self.database).conn
            return work(self._conn)
        return await asyncio.get_running_loop().run_in_executor(self._executor, run)


# Datasette builds its routes inside its constructor: the state must be findable by then, so
# it is registered first and named in the plugin config of the metadata.
_STATES: dict[str, WebState] = {}


def register(state: WebState) -> dict[str, str]:
    """The plugin config that leads the routes of one Datasette to this state."""
    key = str(id(state))
    _STATES[key] = state
    return {"state": key}


def state_of(datasette: Datasette) -> WebState | None:
    config = datasette.plugin_config("smsops") or {}
    return _STATES.get(str(config.get("state")))
