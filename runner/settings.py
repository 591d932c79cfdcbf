"""`smsops.yaml`: loaded and validated in one place; a bad file is a usage error (exit 2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from runner.diagnostics import Diagnostic, SmsopsError
from runner.i18n import _
from runner.schema import schema_diagnostics
from runner.timeparse import parse_clock, weekday_numbers
from runner.window import HARD_END, HARD_START, Window, region_for_zone
from runner.yamlfile import Document, load_document

SETTINGS_FILE = "smsops.yaml"


@dataclass(frozen=True)
class Settings:
    doc: Document
    sender: str
    advertiser: str
    stop_mention: str
    timezone: str = "Europe/Paris"
    database: str = "smsops.db"
    contacts_database: str = "contacts.db"
    provider: str = "simulator"
    providers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    window: Window = Window()
    max_parts: int = 3
    allow_fictional_numbers: bool = False
    short_base_url: str | None = None
    attribution_days: int = 7  # conversions.attribution_days
    retention: Mapping[str, int] = field(default_factory=dict)  # retention: (days), see runner/purge.py

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def region(self) -> str:
        return region_for_zone(self.timezone) or "FR"

    @property
    def path(self) -> str:
        return self.doc.path


def load_settings(root: Path) -> tuple[Settings, list[Diagnostic]]:
    """The settings and their warnings; raises SmsopsError (exit 2) on any error."""
    path = root / SETTINGS_FILE
    if not path.is_file():
        raise SmsopsError(Diagnostic(SETTINGS_FILE, 1, 1, "error", "schema", _(
            "no smsops.yaml in {root}; run smsops in your project folder or pass --project DIR"
        ).format(root=root)))
    doc, diagnostics = load_document(path, SETTINGS_FILE)
    if doc is not None:
        diagnostics += schema_diagnostics("config", doc)[0]
    errors = [d for d in diagnostics if d.severity == "error"]
    if doc is None or errors:
        raise SmsopsError(*errors)
    window, window_diagnostics = _window(doc)
    diagnostics += window_diagnostics
    if errors := [d for d in window_diagnostics if d.severity == "error"]:
        raise SmsopsError(*errors)
    data = doc.data
    keys = ("sender", "advertiser", "stop_mention", "timezone", "database", "contacts_database",
            "provider", "providers", "max_parts", "allow_fictional_numbers")
    settings = Settings(
        doc=doc, window=window, short_base_url=(data.get("tracking") or {}).get("short_base_url"),
        attribution_days=(data.get("conversions") or {}).get("attribution_days", 7),
        retention=dict(data.get("retention") or {}),
        **{key: data[key] for key in keys if key in data},
    )
    return settings, diagnostics


def _window(doc: Document) -> tuple[Window, list[Diagnostic]]:
    raw = doc.data.get("send_window") or {}
    default = Window()
    start = parse_clock(raw["start"]) if "start" in raw else default.start
    end = parse_clock(raw["end"]) if "end" in raw else default.end
    days = weekday_numbers(raw["days"]) if "days" in raw else default.days
    window = Window(days=days, start=start, end=end, holidays=raw.get("holidays", True),
                    stop_before_end_minutes=raw.get("stop_before_end_minutes", 15))
    found = []

    def problem(key: str, message: str, severity: Any = "error") -> None:
        found.append(Diagnostic.at(doc.at("send_window", key), "send-window", message, severity))

    if start < HARD_START:
        problem("start", _("send_window.start {start} is before 08:00, the earliest any French "
                           "operator allows; use \"08:00\" or later").format(start=raw["start"]))
    if end > HARD_END:
        problem("end", _("send_window.end {end} is after 21:30, the latest the 2026 operators' "
                         "charter allows; use \"21:30\" or earlier").format(end=raw["end"]))
    if start >= end:
        problem("end", _("send_window.end must be after send_window.start"))
    if 6 in days:
        problem("days", _("Sunday sending is tolerated but not recommended by the operators' "
                          "charter, and many providers hold the messages until Monday"), "warning")
    if not window.holidays:
        problem("holidays", _("sending on public holidays is tolerated but not recommended; "
                              "set holidays: true unless you really mean it"), "warning")
    return window, found

