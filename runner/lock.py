"""One `smsops run` at a time per results database (an OS lock: a killed run releases it)."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from runner.diagnostics import Diagnostic, Location, SmsopsError
from runner.i18n import _


class RunLock:
    def __init__(self, database: Path, wait_seconds: float = 0.0) -> None:
        self.path = database.with_name(database.name + ".lock")
        self.wait_seconds = wait_seconds
        self.fd = -1

    def __enter__(self) -> RunLock:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(self.fd)
                    raise SmsopsError(Diagnostic.at(Location(self.path.name), "schema", _(
                        "another smsops run is sending (it holds {lock}); this one stops and "
                        "sends nothing; the next run picks up what is left").format(
                        lock=self.path.name))) from None
                time.sleep(0.2)  # waiting for another process, not timing a test

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
