"""Diagnostics: what went wrong, where, under which rule; and the one error type."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Location:
    path: str
    line: int = 1
    col: int = 1


@dataclass(frozen=True)
class Diagnostic:
    path: str
    line: int
    col: int
    severity: Severity
    rule: str
    message: str

    @classmethod
    def at(cls, where: Location, rule: str, message: str, severity: Severity = "error") -> Diagnostic:
        return cls(where.path, where.line, where.col, severity, rule, message)

    def render(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity}[{self.rule}]: {self.message}"


class SmsopsError(Exception):
    """An error the user can fix; rendered once, at the CLI edge, never as a traceback."""

    def __init__(self, diagnostic: Diagnostic, *more: Diagnostic) -> None:
        super().__init__(diagnostic.render())
        self.diagnostic = diagnostic
        self.diagnostics = [diagnostic, *more]


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


def render_text(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(d.render() for d in diagnostics)


def _escape_github(value: str, *, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def render_github(diagnostics: list[Diagnostic]) -> str:
    """GitHub workflow commands, so each problem shows on its line of the pull request diff."""
    return "\n".join(
        f"::{d.severity} file={_escape_github(d.path, prop=True)},line={d.line},col={d.col},"
        f"title={_escape_github(d.rule, prop=True)}::{_escape_github(d.message)}"
        for d in diagnostics
    )


def render_json(diagnostics: list[Diagnostic]) -> str:
    return json.dumps(
        {"ok": not has_errors(diagnostics), "diagnostics": [asdict(d) for d in diagnostics]},
        ensure_ascii=False,
    )


RENDERERS = {"text": render_text, "github": render_github, "json": render_json}
