"""The JSON Schemas shipped in the package, and schema errors as positioned diagnostics."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

from runner.diagnostics import Diagnostic
from runner.i18n import _
from runner.yamlfile import Document

SCHEMA_DIR = Path(__file__).parent / "schemas"
KINDS = ("campaign", "contacts", "segment", "config")


@cache
def _registry() -> Registry:  # type: ignore[type-arg,unused-ignore]
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8"))))
        for path in SCHEMA_DIR.glob("*.schema.json")
    ]
    return Registry().with_resources(resources)


@cache
def validator(kind: str) -> Draft202012Validator:
    schema = _registry()[f"{kind}.schema.json"].contents
    return Draft202012Validator(schema, registry=_registry())


def schema_diagnostics(kind: str, doc: Document) -> tuple[list[Diagnostic], bool]:
    """The schema problems, and whether the file is still usable (only unknown keys found),
    so that the other rules can report their problems in the same run."""
    if doc.data is None:
        return [Diagnostic(doc.path, 1, 1, "error", "schema", _("the file is empty"))], False
    errors = list(validator(kind).iter_errors(doc.data))
    found = [d for error in errors for d in _explain(doc, error)]
    usable = all(e.validator == "additionalProperties" for e in errors)
    return sorted(found, key=lambda d: (d.line, d.col)), usable


def _explain(doc: Document, error: ValidationError) -> Iterator[Diagnostic]:
    path = tuple(error.absolute_path)
    where = ".".join(str(p) for p in path) or _("the file")
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        yield from _unknown_keys(doc, path, error)
        return
    if error.validator in ("oneOf", "anyOf") and error.context and "x-fix" not in error.schema:
        # A branch of another type (a string where a mapping was written) explains nothing.
        typed = [e for e in error.context if e.validator != "type" or e.relative_path]
        yield from _explain(doc, best_match(typed or error.context))
        return
    yield Diagnostic.at(doc.at(*path), "schema", _message(where, error))


def _unknown_keys(doc: Document, path: tuple[Any, ...], error: ValidationError) -> Iterator[Diagnostic]:
    known = list(error.schema.get("properties", {}))
    for key in error.instance:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        hint = (_("did you mean '{key}'?").format(key=close[0]) if close
                else _("known keys: {keys}").format(keys=", ".join(known)))
        yield Diagnostic.at(doc.key_at(*path, key), "schema",
                            _("unknown key '{key}'; {hint}").format(key=key, hint=hint))


def _message(where: str, error: ValidationError) -> str:
    fix = error.schema.get("x-fix") if isinstance(error.schema, dict) else None
    value = json.dumps(error.instance, ensure_ascii=False, default=str)
    if error.validator == "required":
        missing = str(error.message).split("'")[1]
        return _("missing required key '{key}' in {where}; add it").format(key=missing, where=where)
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        close = difflib.get_close_matches(str(error.instance), [str(v) for v in error.validator_value], n=1)
        hint = _(" (did you mean '{value}'?)").format(value=close[0]) if close else ""
        return _("{where} is {value}; use one of: {allowed}{hint}").format(
            where=where, value=value, allowed=allowed, hint=hint)
    if error.validator == "const":
        return _("{where} is {value}; write {expected}").format(
            where=where, value=value, expected=json.dumps(error.validator_value))
    if error.validator == "type":
        return _("{where} must be {type}, not {value}").format(
            where=where, type=_type_words(error.validator_value), value=value)
    if fix:
        return _("{where} is {value}; {fix}").format(where=where, value=value, fix=fix)
    return _("{where}: {problem}").format(where=where, problem=error.message)


TYPE_WORDS = {"object": "a mapping (key: value lines)", "array": "a list", "string": "text",
              "number": "a number", "integer": "a whole number", "boolean": "true or false"}


def _type_words(expected: Any) -> str:
    names = expected if isinstance(expected, list) else [expected]
    return _(" or ").join(_(TYPE_WORDS.get(str(name), str(name))) for name in names)
