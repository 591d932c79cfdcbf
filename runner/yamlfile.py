"""Read one YAML file into plain data that remembers the line and column of every value.

libyaml (through PyYAML) parses; we build the values ourselves from its nodes, YAML 1.2 style:
`yes`, `no`, `on`, `10:00` and dates stay strings, and duplicate keys are reported."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from runner.diagnostics import Diagnostic, Location
from runner.i18n import _

try:
    from yaml import CSafeLoader as Loader
except ImportError:  # PyYAML built without libyaml: same result, slower
    from yaml import SafeLoader as Loader  # type: ignore[assignment,unused-ignore]

Key = Hashable
Path_ = tuple[Key, ...]
BOOLEANS = {"true": True, "false": False}
NULLS = {"", "~", "null", "Null", "NULL"}


@dataclass(frozen=True, eq=False)
class Document:
    """A parsed YAML file: `data` plus where each value (and each key) came from."""

    path: str
    data: Any
    lines: tuple[str, ...]
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict, repr=False)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict, repr=False)

    def at(self, *keys: Key) -> Location:
        """Where the value at `keys` starts (or its deepest existing parent)."""
        for end in range(len(keys), -1, -1):
            if keys[:end] in self.values:
                return Location(self.path, *self.values[keys[:end]])
        return Location(self.path)

    def key_at(self, *keys: Key) -> Location:
        """Where the key of the last element of `keys` is written."""
        where = self.keys.get(keys)
        return Location(self.path, *where) if where else self.at(*keys)

    def find(self, text: str, *keys: Key) -> Location:
        """Where `text` first appears in the source of the value at `keys` (for block scalars)."""
        start = self.at(*keys)
        for number in range(start.line, min(len(self.lines), start.line + 40) + 1):
            line = self.lines[number - 1]
            offset = line.find(text, start.col - 1 if number == start.line else 0)
            if offset >= 0:
                return Location(self.path, number, offset + 1)
        return start


class _Builder:
    def __init__(self, path: str) -> None:
        self.path = path
        self.values: dict[Path_, tuple[int, int]] = {}
        self.keys: dict[Path_, tuple[int, int]] = {}
        self.problems: list[Diagnostic] = []

    def build(self, node: yaml.Node, at: Path_) -> Any:
        self.values[at] = _position(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, at)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*at, index)) for index, item in enumerate(node.value)]
        return _scalar(node)

    def _mapping(self, node: yaml.MappingNode, at: Path_) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            if (*at, key) in self.keys:
                first = self.keys[(*at, key)][0]
                self.problems.append(_error(self.path, *_position(key_node), _(
                    "duplicate key '{key}' (first on line {first}); keep only one of them").format(
                    key=key, first=first)))
                continue
            self.keys[(*at, key)] = _position(key_node)
            result[key] = self.build(value_node, (*at, key))
        return result


def _position(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _scalar(node: yaml.Node) -> Any:
    value, tag = str(node.value), node.tag.rsplit(":", 1)[-1]
    if node.style or tag in ("str", "timestamp"):  # quoted, or a date kept as written
        return value
    if tag == "null" and value in NULLS:
        return None
    if tag == "bool":
        return BOOLEANS.get(value.lower(), value)
    for kind in (int, float) if tag in ("int", "float") else ():
        try:
            return kind(value)
        except ValueError:
            continue
    return value


def load_document(path: Path, display: str) -> tuple[Document | None, list[Diagnostic]]:
    """Parse `path`; every problem becomes one diagnostic, never an exception."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        return None, [_error(display, 1, 1, _("cannot read the file ({reason})").format(
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
        return None, [_error(display, line, 1, _(
            "the file is not UTF-8 (byte 0x{byte:02x}); save it as UTF-8").format(
            byte=raw[err.start]))]
    try:
        root = yaml.compose(text, Loader=Loader)
    except yaml.YAMLError as err:
        return None, [*diagnostics, _syntax_diagnostic(display, err, text)]
    builder = _Builder(display)
    data = builder.build(root, ()) if root is not None else None
    if builder.problems:
        return None, [*diagnostics, *builder.problems]
    document = Document(display, data, tuple(text.splitlines()), builder.values, builder.keys)
    return document, diagnostics


def _error(path: str, line: int, col: int, message: str) -> Diagnostic:
    return Diagnostic(path, line, col, "error", "schema", message)


def _char_at(text: str, mark: Any) -> str:
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    return line[mark.column] if mark.column < len(line) else ""


def _syntax_diagnostic(path: str, err: yaml.YAMLError, text: str) -> Diagnostic:
    mark = getattr(err, "problem_mark", None)
    if not isinstance(err, yaml.MarkedYAMLError) or mark is None:
        return _error(path, 1, 1, _("YAML syntax error: {error}").format(error=err))
    problem, context = err.problem or "", err.context or ""
    if "tab" in problem or _char_at(text, mark) == "\t":
        message = _("a tab character is used for indentation; indent with spaces")
    elif "quoted scalar" in context and err.context_mark is not None:
        mark = err.context_mark
        message = _("unclosed quote; close the quote that starts here")
    else:
        where = f" ({context})" if context else ""
        message = _("YAML syntax error: {problem}{where}; check the indentation, "
                    "the ':' after each key and the quotes").format(problem=problem, where=where)
    return _error(path, mark.line + 1, mark.column + 1, message)
