"""The plan as text (terminal), Markdown (pull request comment) and JSON (product.md shape)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from runner.i18n import _
from runner.plan import CampaignPlan

MARKER = "<!-- smsops-plan -->"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def to_json(plans: list[CampaignPlan], at: datetime) -> str:
    rows: list[dict[str, Any]] = []
    for plan in plans:
        row = asdict(plan)
        for key in ("due_at", "first_send_local", "last_send_local"):
            row[key] = _iso(row[key])
        rows.append(row)
    return json.dumps({"at": at.isoformat(), "campaigns": rows}, ensure_ascii=False, indent=2)


def _when(plan: CampaignPlan) -> str:
    if plan.status != "scheduled":
        return _("not sent ({status})").format(status=plan.status)
    if plan.due_at is None:
        return _("nothing left to send")
    state = _("due now") if plan.due else _("next")
    return f"{state}: {plan.due_at:%Y-%m-%d %H:%M %Z}"


def _span(plan: CampaignPlan) -> str:
    if plan.first_send_local is None or plan.last_send_local is None:
        return "-"
    return f"{plan.first_send_local:%Y-%m-%d %H:%M} → {plan.last_send_local:%H:%M:%S}"


def _facts(plan: CampaignPlan) -> list[tuple[str, str]]:
    excluded = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in plan.excluded.items())
    ucs2 = " ".join(plan.ucs2_characters)
    return [
        (_("when"), _when(plan)),
        (_("recipients"), f"{plan.recipients} ({_('excluded')}: {excluded})"),
        (_("deferred to their own window"), str(plan.deferred)),
        (_("encoding"), f"{plan.encoding}" + (f" ({_('forced by')} {ucs2})" if ucs2 else "")),
        (_("parts per SMS (worst case)"), str(plan.parts_max)),
        (_("SMS total"), str(plan.sms_total)),
        (_("cost"), f"{plan.cost_eur:.2f} € ({plan.provider}, {plan.price_eur_per_part} €/part)"),
        (_("sending"), f"{_span(plan)} ({plan.duration_seconds:g} s at {plan.rate_per_second:g}/s)"),
    ]


def to_text(plans: list[CampaignPlan], at: datetime) -> str:
    lines = [_("Plan at {at:%Y-%m-%d %H:%M %Z}").format(at=at)]
    for plan in plans:
        lines += ["", f"{plan.id} — {plan.name}"]
        lines += [f"  {label:<30} {value}" for label, value in _facts(plan)]
        lines += [f"  {_('sample')} {s.to}: {s.text}" for s in plan.samples]
    return "\n".join(lines)


def to_markdown(plans: list[CampaignPlan], at: datetime) -> str:
    lines = [MARKER, _("### smsops plan at {at:%Y-%m-%d %H:%M %Z}").format(at=at)]
    if not plans:
        lines += ["", _("No campaign changed.")]
    for plan in plans:
        lines += ["", f"#### `{plan.id}` — {plan.name}", "", "| | |", "|---|---|"]
        lines += [f"| {label} | {value} |" for label, value in _facts(plan)]
        if plan.samples:
            lines += ["", _("Samples:"), ""]
            lines += [f"- `{s.to}`: {s.text}" for s in plan.samples]
    return "\n".join(lines)


RENDERERS = {"text": to_text, "markdown": to_markdown, "json": to_json}
