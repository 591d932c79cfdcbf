"""Every compliance rule, one module each, registered in this one table (ids are the contract)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from runner.diagnostics import Diagnostic
from runner.rules import (
    advertiser_identity,
    consent,
    field_ref,
    length,
    one_link,
    schedule_past,
    schema,
    segment_ref,
    send_window,
    sender_id,
    stop_mention,
    template,
)
from runner.rules.context import Context

Rule = Callable[[Context], Iterator[Diagnostic]]

RULES: dict[str, Rule] = {
    "schema": schema.check,
    "stop-mention": stop_mention.check,
    "one-link": one_link.check,
    "send-window": send_window.check,
    "sender-id": sender_id.check,
    "advertiser-identity": advertiser_identity.check,
    "segment-ref": segment_ref.check,
    "field-ref": field_ref.check,
    "template": template.check,
    "length": length.check,
    "consent": consent.check,
    "schedule-past": schedule_past.check,
}
