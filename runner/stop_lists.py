"""Providers' STOP-list exports: which column holds the number, and which rows are opt-outs.

- brevo: a contacts export (`EMAIL,SMS,SMS_BLACKLISTED`): only the rows whose SMS blacklist flag
  says yes; the columns are those of the brevo contacts preset (runner/audience/formats.py).
- ovh: the SMS account's blacklist (`number`, `dateCreation`, `batchID`, `smsOutgoingID`).
- allmysms: `getBlacklist` (`phoneNumber`, `comment`, `receptionDate`).
- generic: any list with a phone column (the generic contacts preset: phone, mobile, téléphone...).
Every row of ovh, allmysms and generic files is an opt-out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from runner.audience.formats import PRESETS as CONTACT_PRESETS
from runner.audience.formats import resolve
from runner.i18n import _
from runner.order_presets import find_column

PHONES: dict[str, tuple[str, ...]] = {
    "brevo": CONTACT_PRESETS["brevo"].phone, "ovh": ("number", "numero"),
    "allmysms": ("phoneNumber", "phone_number"), "generic": CONTACT_PRESETS["generic"].phone}
FLAGS: dict[str, tuple[str, ...]] = {"brevo": CONTACT_PRESETS["brevo"].fields["sms_blacklisted"]}
FORMATS = tuple(PHONES)
YES = frozenset({"true", "yes", "oui", "vrai", "1", "y", "x"})


@dataclass(frozen=True)
class StopColumns:
    format: str
    phone: str
    flag: str | None  # yes/no: only the rows it marks are opt-outs

    def is_opt_out(self, row: dict[str, str]) -> bool:
        return self.flag is None or row.get(self.flag, "").strip().casefold() in YES


class UnknownExport(ValueError):
    pass


def _columns(fmt: str, header: Sequence[str]) -> StopColumns | None:
    phone = resolve(fmt, header).phone if fmt in CONTACT_PRESETS else find_column(header, PHONES[fmt])
    flag = find_column(header, FLAGS[fmt]) if fmt in FLAGS else None
    if phone is None or (fmt in FLAGS and flag is None):
        return None
    return StopColumns(fmt, phone, flag)


def _wanted(fmt: str) -> str:
    names = " / ".join(PHONES[fmt]) + (" and " + " / ".join(FLAGS[fmt]) if fmt in FLAGS else "")
    return f"{fmt}: {names}"


def stop_columns(fmt: str | None, header: Sequence[str]) -> StopColumns:
    """The export's columns: of `fmt`, or of the first format whose columns are all present."""
    for name in (fmt,) if fmt else FORMATS:
        if (found := _columns(name, header)) is not None:
            return found
    raise UnknownExport(_("no STOP-list columns in the header ({header}); looked for {wanted}; "
                          "pass --format or name the number column 'phone'").format(
        header=", ".join(header) or "-",
        wanted="; ".join(_wanted(name) for name in ((fmt,) if fmt else FORMATS))))
