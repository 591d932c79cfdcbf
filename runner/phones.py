"""Phone numbers: E.164 normalisation, mobile check, time zones, masking, keyed hash (§5, R8)."""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

import phonenumbers
from phonenumbers import (
    CountryCodeSource,
    NumberParseException,
    PhoneNumber,
    PhoneNumberFormat,
    PhoneNumberType,
)

from runner.i18n import _
from runner.window import REGION_ZONES

FICTIONAL_RANGE = range(33639980000, 33639989999 + 1)  # ARCEP fiction block 06 39 98 xx xx
HASH_KEY_ENV = "SMSOPS_HASH_KEY"
# Only ever used with the simulator: lets the demo run on a fresh machine without any secret.
DEMO_HASH_KEY = "smsops-demo-key-not-secret-simulator-only"
MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
# Trunk-prefix plans sharing the national "0…" form: a 0692 number read as +33 is invalid.
NATIONAL_RETRIES = ("FR", "RE", "YT", "GP", "MQ", "GF", "PM")
TERRITORIES = {"RE": "Réunion", "YT": "Mayotte", "GP": "Guadeloupe", "MQ": "Martinique",
               "GF": "French Guiana", "PM": "Saint-Pierre-and-Miquelon"}
KIND_NAMES = {PhoneNumberType.FIXED_LINE: "landline", PhoneNumberType.VOIP: "VoIP",
              PhoneNumberType.TOLL_FREE: "toll-free", PhoneNumberType.PREMIUM_RATE: "premium rate"}
SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+")
EXCEL_DECIMAL = re.compile(r"\d+[.,]0+")
# Fast path for the common metropolitan shapes (06 12 34 56 78, +33 6…, 0033 6…, 612345678):
# the same answer as the full parse, about ten times sooner, which matters for 10^6-row imports.
_SEPARATORS = re.compile(r"[ .\-()/\u00a0]")
_METROPOLITAN = re.compile(r"(?:\+33|0033|33)?0?([67]\d{8})")


def _fr_mobile_pattern() -> str:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("FR")
    assert metadata and metadata.mobile and metadata.mobile.national_number_pattern
    return str(metadata.mobile.national_number_pattern)


_FR_MOBILE = re.compile(_fr_mobile_pattern())


@dataclass(frozen=True)
class Phone:
    e164: str
    region: str
    zones: tuple[str, ...]
    fictional: bool


class InvalidPhone(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MissingHashKey(ValueError):
    pass


def _e164(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _check_text(raw: str) -> str:
    text = raw.strip()
    if not text:
        raise InvalidPhone(_("empty"))
    if SCIENTIFIC.fullmatch(text):  # never guessed: Excel already rounded the digits away
        raise InvalidPhone(_("Excel scientific notation '{raw}'; format the column as text and "
                             "export again").format(raw=text))
    if EXCEL_DECIMAL.fullmatch(text):
        raise InvalidPhone(_("Excel number '{raw}'; format the column as text and export again"
                             ).format(raw=text))
    if any(char.isalpha() for char in text):
        raise InvalidPhone(_("letters in the number"))
    return text


def _parse(text: str, region: str) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region, keep_raw_input=True)
    except NumberParseException:
        return None


def _is_fictional(number: PhoneNumber) -> bool:
    return int(_e164(number)[1:]) in FICTIONAL_RANGE


def _candidates(text: str, region: str) -> list[PhoneNumber]:
    first = _parse(text, region)
    if first is None:
        raise InvalidPhone(_("not a phone number"))
    if first.country_code_source != CountryCodeSource.FROM_DEFAULT_COUNTRY:
        return [first]
    retries = (_parse(text, other) for other in NATIONAL_RETRIES if other != region)
    return [first, *(number for number in retries if number is not None)]


def _written_with_33(number: PhoneNumber) -> InvalidPhone | None:
    """An overseas mobile wrongly written +33 6 92…: say which prefix to use instead."""
    national = f"0{number.national_number}"
    for region, territory in TERRITORIES.items():
        retry = _parse(national, region)
        if retry is not None and phonenumbers.is_valid_number(retry):
            prefix = " ".join(phonenumbers.format_number(
                retry, PhoneNumberFormat.INTERNATIONAL).split()[:2])
            return InvalidPhone(_("{territory} mobiles are {prefix}…; the number was written "
                                  "with +33").format(territory=territory, prefix=prefix))
    return None


def _fictional(number: PhoneNumber, allowed: bool) -> Phone:
    if not allowed:  # real providers refuse the block, and sending it would cost money
        raise InvalidPhone(_("ARCEP fictional number: only allowed with the simulator or "
                             "allow_fictional_numbers"))
    return Phone(_e164(number), "FR", REGION_ZONES["FR"], fictional=True)


def _mobile(number: PhoneNumber) -> Phone:
    kind = phonenumbers.number_type(number)
    if kind not in MOBILE_TYPES:
        name = KIND_NAMES.get(kind, "not a mobile")
        raise InvalidPhone(_("not a mobile number ({kind})").format(kind=name))
    region = phonenumbers.region_code_for_number(number)
    if region not in REGION_ZONES:
        raise InvalidPhone(_("numbers from {region} are not supported; French territories only"
                             ).format(region=region or "an unknown country"))
    return Phone(_e164(number), region, REGION_ZONES[region], fictional=False)


def _metropolitan(raw: str, allow_fictional: bool) -> Phone | None:
    found = _METROPOLITAN.fullmatch(_SEPARATORS.sub("", raw))
    if found is None:
        return None
    national = found.group(1)
    if int("33" + national) in FICTIONAL_RANGE:
        if not allow_fictional:
            return None  # the full parse words the refusal
        return Phone("+33" + national, "FR", REGION_ZONES["FR"], fictional=True)
    if _FR_MOBILE.fullmatch(national):
        return Phone("+33" + national, "FR", REGION_ZONES["FR"], fictional=False)
    return None


def parse_phone(raw: str, region: str = "FR", *, allow_fictional: bool = False) -> Phone:
    """The normalised mobile number, or InvalidPhone whose reason says what to fix."""
    if region == "FR" and (fast := _metropolitan(raw, allow_fictional)):
        return fast
    candidates = _candidates(_check_text(raw), region)
    for number in candidates:
        if _is_fictional(number):
            return _fictional(number, allow_fictional)
        if phonenumbers.is_valid_number(number):
            return _mobile(number)
    if candidates[0].country_code == 33 and (hint := _written_with_33(candidates[0])):
        raise hint
    raise InvalidPhone(_("not a valid phone number; check the digits and the list's region"))


def mask(e164: str) -> str:
    """'+33639981234' -> '+33 6 39 98 ** 34': the second-to-last digit group starred."""
    number = _parse(e164, "ZZ")
    if number is None:
        raise ValueError(f"not an E.164 number: {e164!r}")
    shown = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    groups = list(re.finditer(r"\d+", shown))
    if len(groups) < 3:
        raise ValueError(f"too few digit groups to mask: {e164!r}")
    hidden = groups[-2]
    return shown[:hidden.start()] + "*" * len(hidden.group()) + shown[hidden.end():]


def phone_hash(e164: str, key: str) -> str:
    return hmac.digest(key.encode("utf-8"), e164.encode("utf-8"), "sha256").hex()


def hash_key(env: Mapping[str, str], *, demo: bool = False) -> str:
    """The phone-hash key; with `demo` (simulator provider) a fixed, public one when unset."""
    key = env.get(HASH_KEY_ENV, "") or (DEMO_HASH_KEY if demo else "")
    if not key:
        raise MissingHashKey(_(
            "{name} is not set; export {name}=<a long random secret> (e.g. the output of "
            "python -c 'import secrets; print(secrets.token_hex(32))') and keep it: a new key "
            "no longer matches the hashed opt-outs").format(name=HASH_KEY_ENV))
    return key


# A run of digit groups as people and providers write numbers: +33 6…, 0033…, 06 39 98…, 06.39…,
# 06-39…, +33 (0)6…, 06+39+… (a form-encoded space); read in the text with its %XX escapes
# decoded (%2B33…, %3D06…), so that an URL-encoded number is found, and starred, where it stands.
_RUN = re.compile(r"(?<!\w)\+?\d+(?:[\s.\-/+()]{1,3}\d+)*")
_GROUP = re.compile(r"\d+")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_DIGITS = range(8, 18)  # 87 12 34 56 (Polynesia) .. 00 262 692 12 34 56


def _unescaped(text: str) -> tuple[str, list[int]]:
    """The text with its %XX escapes decoded (byte by byte), and where each character began."""
    chars: list[str] = []
    starts: list[int] = []
    at = 0
    while at < len(text):
        escape = _ESCAPE.match(text, at) if text[at] == "%" else None
        chars.append(chr(int(escape[1], 16)) if escape else text[at])
        starts.append(at)
        at = escape.end() if escape else at + 1
    return "".join(chars), [*starts, len(text)]


def _is_mobile(written: str, region: str) -> bool:
    digits = re.sub(r"\D", "", written)
    for candidate in (written[:1] + written[1:].replace("+", " "), "+" + digits.removeprefix("00")):
        try:
            parse_phone(candidate, region, allow_fictional=True)
        except InvalidPhone:
            continue
        return True
    return False


def _numbers_in(run: re.Match[str], region: str) -> list[tuple[int, int]]:
    """The spans of `run` that are mobile numbers, longest first from the left: one run may hold
    a number and other digits (`+33639980001 21211`) or two numbers side by side."""
    groups = list(_GROUP.finditer(run.string, run.start(), run.end()))
    found: list[tuple[int, int]] = []
    first = 0
    while first < len(groups):
        start = run.start() if first == 0 else groups[first].start()
        for last in range(len(groups) - 1, first - 1, -1):
            span = run.string[start:groups[last].end()]
            if len(re.sub(r"\D", "", span)) in _DIGITS and _is_mobile(span, region):
                found.append((start, groups[last].end()))
                first = last
                break
        first += 1
    return found


def mask_numbers(text: str, region: str = "FR") -> str:
    """Every mobile number, in any writing, with all but its last two digits starred; other
    digit runs (timestamps, provider ids) stay as they are."""
    view, starts = _unescaped(text) if "%" in text else (text, [*range(len(text) + 1)])
    spans = [span for run in _RUN.finditer(view) for span in _numbers_in(run, region)]
    masked, kept = [], 0
    for start, end in spans:
        digits = re.sub(r"\D", "", view[start:end])
        masked += [text[kept:starts[start]], "*" * (len(digits) - 2) + digits[-2:]]
        kept = starts[end]
    return "".join([*masked, text[kept:]])
