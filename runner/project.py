"""Find and load a project: settings, campaigns, contacts lists and segments, with positions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from runner.diagnostics import Diagnostic
from runner.i18n import _
from runner.schema import schema_diagnostics
from runner.settings import Settings, load_settings
from runner.timeparse import parse_clock, parse_datetime, weekday_numbers
from runner.yamlfile import Document, load_document

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Schedule:
    at: datetime | None = None
    days: frozenset[int] = frozenset()
    time_of_day: time | None = None
    start: datetime | None = None
    until: datetime | None = None

    @property
    def recurring(self) -> bool:
        return self.at is None


@dataclass(frozen=True)
class PromoCode:
    code: str | None = None
    unique: bool = False
    prefix: str = ""


@dataclass(frozen=True)
class Campaign:
    doc: Document
    id: str
    name: str
    objective: str
    segment: str
    message: str
    schedule: Schedule
    status: str = "scheduled"
    promo_code: PromoCode | None = None
    expires: datetime | None = None
    sender: str | None = None
    provider: str | None = None
    test_numbers: tuple[str, ...] = ()
    max_cost_eur: float | None = None
    max_parts: int | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContactList:
    doc: Document
    id: str
    file: Path
    phone: str = "phone"
    region: str = "FR"
    format: str = "generic"
    consent: str | None = None
    consent_date: str | None = None
    consent_source: str | None = None
    consent_basis: str | None = None
    columns: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Segment:
    doc: Document
    id: str
    contacts: str
    where: Any = None


@dataclass(frozen=True)
class Project:
    root: Path
    settings: Settings
    campaigns: dict[str, Campaign]
    contact_lists: dict[str, ContactList]
    segments: dict[str, Segment]
    diagnostics: tuple[Diagnostic, ...]

    def documents(self) -> Iterator[Document]:
        yield self.settings.doc
        for table in (self.campaigns, self.contact_lists, self.segments):
            yield from (item.doc for item in table.values())


def load_project(root: Path) -> Project:
    settings, diagnostics = load_settings(root)
    loaded: dict[str, dict[str, Any]] = {"campaign": {}, "contacts": {}, "segment": {}}
    for path in _files(root, "campaigns") + _files(root, "audiences"):
        item, found = _load_item(root, path, settings.zone)
        diagnostics += found
        if item is None:
            continue
        table = loaded[_kind_of(item)]
        if clash := _id_clash(item, loaded):
            diagnostics.append(clash)
            continue
        table[item.id] = item
    return Project(root, settings, loaded["campaign"], loaded["contacts"], loaded["segment"],
                   tuple(diagnostics))


def _files(root: Path, folder: str) -> list[Path]:
    return sorted(p for p in (root / folder).glob("*") if p.suffix in YAML_SUFFIXES)


def _kind_of(item: Campaign | ContactList | Segment) -> str:
    return {Campaign: "campaign", ContactList: "contacts", Segment: "segment"}[type(item)]


def _id_clash(item: Any, loaded: dict[str, dict[str, Any]]) -> Diagnostic | None:
    # Campaign ids live apart; lists and segments share one name space (a campaign names either).
    tables = [loaded["campaign"]] if isinstance(item, Campaign) else [
        loaded["contacts"], loaded["segment"]]
    for table in tables:
        if item.id in table:
            return Diagnostic.at(item.doc.at("id") if "id" in item.doc.data else item.doc.at(),
                                 "schema", _("id '{id}' is already used by {other}; give one of "
                                             "them another id").format(id=item.id,
                                                                       other=table[item.id].doc.path))
    return None


def _load_item(root: Path, path: Path, zone: ZoneInfo) -> tuple[Any, list[Diagnostic]]:
    display = path.relative_to(root).as_posix()
    doc, diagnostics = load_document(path, display)
    if doc is None:
        return None, diagnostics
    kind = _document_kind(path, doc)
    if kind is None:
        return None, [*diagnostics, Diagnostic.at(doc.at("kind"), "schema", _(
            "an audiences file needs kind: contacts or kind: segment"))]
    found, usable = schema_diagnostics(kind, doc)
    diagnostics += found
    if not usable:
        return None, diagnostics
    build = {"campaign": _campaign, "contacts": _contact_list, "segment": _segment}[kind]
    try:
        return build(doc, path, zone), diagnostics
    except _BadValue as bad:
        return None, [*diagnostics, bad.diagnostic]


class _BadValue(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic


def _document_kind(path: Path, doc: Document) -> str | None:
    if path.parent.name == "campaigns":
        return "campaign"
    kind = doc.data.get("kind") if isinstance(doc.data, dict) else None
    return kind if kind in ("contacts", "segment") else None


def _when(doc: Document, zone: ZoneInfo, *keys: str) -> datetime | None:
    node = doc.data
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    try:
        return parse_datetime(str(node), zone)
    except ValueError as err:
        raise _BadValue(Diagnostic.at(doc.at(*keys), "schema", _(
            "{value} is not a real date and time ({reason}); check the day and month").format(
            value=node, reason=err))) from None


def _campaign(doc: Document, path: Path, zone: ZoneInfo) -> Campaign:
    data = doc.data
    every = data["schedule"].get("every")
    schedule = Schedule(
        at=_when(doc, zone, "schedule", "at"),
        days=weekday_numbers(every["days"]) if every else frozenset(),
        time_of_day=parse_clock(every["at"]) if every else None,
        start=_when(doc, zone, "schedule", "every", "from"),
        until=_when(doc, zone, "schedule", "every", "until"),
    )
    promo = data.get("promo_code")
    return Campaign(
        doc=doc, id=data.get("id", path.stem), name=data["name"], objective=data["objective"],
        segment=data["segment"], message=data["message"], schedule=schedule,
        status=data.get("status", "scheduled"), expires=_when(doc, zone, "expires"),
        promo_code=(PromoCode(code=promo) if isinstance(promo, str) else
                    PromoCode(unique=True, prefix=promo.get("prefix", "")) if promo else None),
        sender=data.get("sender"), provider=data.get("provider"),
        test_numbers=tuple(data.get("test_numbers", ())), max_cost_eur=data.get("max_cost_eur"),
        max_parts=data.get("max_parts"), tags=tuple(data.get("tags", ())),
    )


def _contact_list(doc: Document, path: Path, zone: ZoneInfo) -> ContactList:
    data = doc.data
    simple = ("phone", "region", "format", "consent", "consent_date", "consent_source",
              "consent_basis")
    return ContactList(
        doc=doc, id=data.get("id", path.stem), file=(path.parent / data["file"]).resolve(),
        columns=tuple(sorted((data.get("columns") or {}).items())),
        **{key: data[key] for key in simple if key in data},
    )


def _segment(doc: Document, path: Path, zone: ZoneInfo) -> Segment:
    data = doc.data
    return Segment(doc=doc, id=data.get("id", path.stem), contacts=data["contacts"],
                   where=data.get("where"))
