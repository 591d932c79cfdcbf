"""Read one YAML file into plain data that remembers the line and column of every value."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from runner.diagnostics import Diagnostic, Location
from runner.i18n import _

Key = Hashable


class _StringTimestamps(RoundTripConstructor):
    """Dates stay strings: the schema checks their shape, the loader gives them a time zone."""


_StringTimestamps.add_constructor(
    "tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str
)


def _parser() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _StringTimestamps
    return yaml


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: `data` plus where each value came from."""

    path: str
    data: Any
    lines: tuple[str, ...]

    def at(self, *keys: Key) -> Location:
        """Where the value at `keys` starts (or its deepest existing parent)."""
        return self._locate(keys, of_key=False)

    def key_at(self, *keys: Key) -> Location:
        """Where the key of the last element of `keys` is written."""
        return self._locate(keys, of_key=True)

    def find(self, text: str, *keys: Key) -> Location:
        """Where `text` first appears in the source of the value at `keys` (for block scalars)."""
        start = self.at(*keys)
        for number in range(start.line, min(len(self.lines), start.line + 40) + 1):
            line = self.lines[number - 1]
            offset = line.find(text, start.col - 1 if number == start.line else 0)
            if offset >= 0:
                return Location(self.path, number, offset + 1)
        return start

    def _locate(self, keys: tuple[Key, ...], *, of_key: bool) -> Location:
        node, line, col = self.data, 0, 0
        for index, key in enumerate(keys):
            lc = getattr(node, "lc", None)
            if lc is None:
                break
            if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                line, col = lc.item(key)
            elif isinstance(node, dict) and key in node:
                last = index == len(keys) - 1
                line, col = lc.key(key) if of_key and last else lc.value(key)
            else:
                break
            node = node[key]
        return Location(self.path, line + 1, col + 1)


def plain(value: Any) -> Any:
    """The same data as built-in dicts, lists and scalars (no ruamel types)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    for kind in (int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


def load_document(path: Path, display: str) -> tuple[Document | None, list[Diagnostic]]:
    """Parse `path`; every problem becomes one diagnostic, never an exception."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        return None, [_diag(display, 1, 1, _("cannot read the file ({reason})").format(
            reason=err.strerror))]
    diagnostics = []
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        diagnostics.append(Diagnostic(display, 1, 1, "warning", "schema", _(
            "the file starts with a byte order mark (BOM); save it as UTF-8 without BOM")))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        return None, [_diag(display, line, 1, _(
            "the file is not UTF-8 (byte 0x{byte:02x}); save it as UTF-8").format(
            byte=raw[err.start]))]
    try:
        data = _parser().load(text)
    except YAMLError as err:
        return None, [*diagnostics, _syntax_diagnostic(display, err)]
    return Document(display, data, tuple(text.splitlines())), diagnostics


def _diag(path: str, line: int, col: int, message: str) -> Diagnostic:
    return Diagnostic(path, line, col, "error", "schema", message)


def _syntax_diagnostic(path: str, err: YAMLError) -> Diagnostic:
    if not isinstance(err, MarkedYAMLError) or err.problem_mark is None:
        return _diag(path, 1, 1, _("YAML syntax error: {error}").format(error=err))
    mark, problem = err.problem_mark, err.problem or ""
    if isinstance(err, DuplicateKeyError):
        message = _("{problem}; keep only one of them").format(
            problem=problem.split(" with value")[0])
    elif "'\\t'" in problem:
        message = _("a tab character is used for indentation; indent with spaces")
    elif "quoted scalar" in (err.context or "") and err.context_mark is not None:
        mark = err.context_mark
        message = _("unclosed quote; close the quote that starts here")
    else:
        context = f" ({err.context})" if err.context else ""
        message = _("YAML syntax error: {problem}{context}; check the indentation, "
                    "the ':' after each key and the quotes").format(
            problem=problem, context=context)
    return _diag(path, mark.line + 1, mark.column + 1, message)
