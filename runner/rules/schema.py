"""`schema`: every file parses and matches its JSON Schema (found while loading the project)."""

from __future__ import annotations

from collections.abc import Iterator

from runner.diagnostics import Diagnostic
from runner.rules.context import Context

RULE = "schema"


def check(ctx: Context) -> Iterator[Diagnostic]:
    yield from ctx.project.diagnostics
