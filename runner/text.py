"""Message text: GSM-7/UCS-2 encoding and SMS parts, links as phones see them, templates."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import regex

Encoding = Literal["GSM-7", "UCS-2"]

# compliance.md §4.1, except 0x09: lowercase 'ç' is deliberately absent (§4.4 decision), so it
# forces UCS-2; this can only over-count, never under-count.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXT = "\f^{}\\[]~|€"
_GSM7 = frozenset(GSM7_BASIC + GSM7_EXT)
_GSM7_EXT_SET = frozenset(GSM7_EXT)
_CLUSTER = regex.compile(r"\X")  # what a reader sees as one character
_SINGLE = {"GSM-7": 160, "UCS-2": 70}
_PER_PART = {"GSM-7": 153, "UCS-2": 67}


def normalize(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def ucs2_characters(text: str) -> list[str]:
    text = normalize(text)
    if _GSM7.issuperset(text):
        return []
    return list(dict.fromkeys(c for c in text if c not in _GSM7))


def encoding_of(text: str) -> Encoding:
    return "UCS-2" if ucs2_characters(text) else "GSM-7"


def _cost(text: str, encoding: Encoding) -> int:
    if encoding == "GSM-7":
        return len(text) + sum(map(_GSM7_EXT_SET.__contains__, text))
    return len(text.encode("utf-16-le")) // 2


def units(text: str) -> int:
    return _cost(normalize(text), encoding_of(text))


def _clusters(text: str, limit: int, encoding: Encoding) -> list[str]:
    """What a phone never splits. GSM-7 text has no combining marks or surrogates: each
    character is one (an escape pair costs 2); otherwise grapheme clusters."""
    if encoding == "GSM-7":
        return list(text)
    clusters: list[str] = []
    for cluster in _CLUSTER.findall(text):
        if _cost(cluster, encoding) <= limit:
            clusters.append(cluster)
        else:  # a cluster bigger than a part (e.g. zalgo text) can only be cut between code points
            clusters.extend(cluster)
    return clusters


def _split(text: str) -> tuple[Encoding, list[list[str]]]:
    text, encoding = normalize(text), encoding_of(text)
    if not text or _cost(text, encoding) <= _SINGLE[encoding]:
        return encoding, [[text]] if text else []
    limit = _PER_PART[encoding]
    clusters = _clusters(text, limit, encoding)
    costs = ([2 if c in _GSM7_EXT_SET else 1 for c in clusters] if encoding == "GSM-7"
             else [_cost(c, encoding) for c in clusters])
    parts: list[list[str]] = [[]]
    used = 0
    for cluster, cost in zip(clusters, costs, strict=True):
        if used + cost > limit:
            parts.append([])
            used = 0
        parts[-1].append(cluster)
        used += cost
    return encoding, parts


def split_parts(text: str) -> list[str]:
    return ["".join(part) for part in _split(text)[1]]


def sms_parts(text: str) -> tuple[Encoding, int]:
    encoding, parts = _split(text)
    return encoding, len(parts)


@dataclass(frozen=True)
class Link:
    start: int
    end: int
    text: str


_GTLDS = frozenset({
    "com", "net", "org", "info", "biz", "shop", "store", "online", "site", "app", "io", "co", "eu",
    "xyz", "club", "boutique", "paris", "bzh", "example",
})
_LABEL = r"[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?"
# One pass, so a scheme URL is never re-read as a bare domain. The look-arounds keep a host from
# starting or ending inside a word, a dotted number or an e-mail address ("a@b.fr" is no link: an
# address is not something a recipient clicks to reach a web page).
_LINK = regex.compile(
    r"(?<![\p{L}\p{N}@._-])(?:"
    r"(?P<scheme>https?://)[^\s<>\"«»“”]+"
    rf"|(?P<host>{_LABEL}(?:\.{_LABEL})+)(?!\.?[\p{{L}}\p{{N}}@_-])"
    r"(?::\d{1,5})?(?:[/?#][^\s<>\"«»“”]*)?"
    r")",
    regex.IGNORECASE,
)
_TRAILING = ".,;:!?)"


def _is_web_host(host: str) -> bool:
    labels = host.lower().split(".")
    tld = labels[-1]
    if labels[0] == "www" and len(labels) > 2:
        return tld.isalpha() and len(tld) >= 2  # "www." is explicit enough for any TLD
    return tld in _GTLDS or (len(tld) == 2 and tld.isascii() and tld.isalpha())


def find_links(text: str) -> list[Link]:
    links = []
    for match in _LINK.finditer(text):
        if match["scheme"] is None and not _is_web_host(match["host"]):
            continue
        found = match[0].rstrip(_TRAILING)
        links.append(Link(match.start(), match.start() + len(found), found))
    return links


@dataclass(frozen=True)
class Placeholder:
    field: str
    fallback: str | None
    start: int
    end: int


@dataclass(frozen=True)
class TemplateProblem:
    start: int
    message: str


_FIELD = regex.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A balanced {...} (nesting included, to report it whole), else a lone brace. '{{' and '}}' are
# deliberately not escapes (product.md allows only {field} and {field|fallback}): reporting them
# beats sending stray braces to customers.
_BRACES = regex.compile(r"(?P<group>\{(?:[^{}]++|(?&group))*\})|\}\}|[{}]")
_EXAMPLE = "write {first_name} or {first_name|Bonjour}"
_LONE = {
    "{": f"unclosed '{{'; {_EXAMPLE}",
    "}": f"stray '}}'; {_EXAMPLE}",
    "}}": f"'}}}}' is not an escape: braces only delimit placeholders; {_EXAMPLE}",
}


def _placeholder(found: regex.Match[str]) -> Placeholder | TemplateProblem:
    start, body = found.start(), found[0][1:-1]
    field, bar, fallback = body.partition("|")
    if found[0] in _LONE:
        return TemplateProblem(start, _LONE[found[0]])
    if "{" in body:
        return TemplateProblem(start, f"nested braces ('{{{{' is not an escape); {_EXAMPLE}")
    if not body:
        return TemplateProblem(start, f"empty '{{}}'; {_EXAMPLE}")
    if "|" in fallback:
        return TemplateProblem(start, f"more than one '|' in {found[0]}; {_EXAMPLE}")
    if not _FIELD.fullmatch(field):
        return TemplateProblem(
            start,
            f"invalid field name {field!r} in {found[0]}: use letters, digits and '_' only "
            f"(no spaces, '.', '!' or ':'); {_EXAMPLE}",
        )
    return Placeholder(field, fallback if bar else None, start, found.end())


def parse_template(template: str) -> tuple[list[Placeholder], list[TemplateProblem]]:
    found = [_placeholder(match) for match in _BRACES.finditer(template)]
    return (
        [item for item in found if isinstance(item, Placeholder)],
        [item for item in found if isinstance(item, TemplateProblem)],
    )


_STOP_WORD = regex.compile(r"\b(?:stop|arr[eê]t)\b", regex.IGNORECASE)
_BREAKS = regex.compile(r"[\p{Cc}\p{Zl}\p{Zp}]")
_MAX_VALUE = 60


def safe_value(value: object | None) -> str | None:
    if value is None:
        return None
    text = regex.sub(r"\s+", " ", _BREAKS.sub(" ", normalize(str(value)))).strip()
    unsafe = (
        len(text) > _MAX_VALUE
        or find_links(text)
        or _STOP_WORD.search(text)
        or regex.search(r"\d{5,}", text)  # could pass for a short code
    )
    return None if not text or unsafe else text


def render(template: str, values: Mapping[str, object | None]) -> str:
    placeholders, problems = parse_template(template)
    if problems:
        raise ValueError("; ".join(f"character {p.start + 1}: {p.message}" for p in problems))
    out, position = "", 0
    for placeholder in placeholders:
        value = safe_value(values.get(placeholder.field)) or placeholder.fallback or ""
        out += template[position : placeholder.start] + value
        position = placeholder.end
        if not value and out.endswith(" ") and template.startswith(" ", position):
            position += 1  # an empty value would leave "Bonjour  !"
    return out + template[position:]


def static_text(template: str) -> str:
    out, position = "", 0
    for placeholder in parse_template(template)[0]:
        out += template[position : placeholder.start]
        position = placeholder.end
    return out + template[position:]
