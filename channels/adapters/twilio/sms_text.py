"""SMS text: GSM-7 or UCS-2, exact segment counts, and cutting an answer into budgeted parts.

Why exact: every segment is billed. A message is GSM-7 when every character
is in the GSM 03.38 basic table or its extension table (extension characters
such as ``€`` are sent as ESC + char and cost two septets); one character
outside both makes the whole message UCS-2 (UTF-16 code units, so a
character outside the Basic Multilingual Plane - most emoji - costs two).
One segment holds 160 septets or 70 units; a longer message is split into
segments of 153 septets or 67 units (the rest is the concatenation header).
An escape pair or a surrogate pair is never split across two segments (the
handset could not decode the halves), so a character that does not fit any
more starts the next segment - the same rule as Twilio's segment calculator.

Typographic characters that German texts are full of („“ ‚‘ – — … and
non-breaking spaces) are not GSM-7: :func:`to_gsm` replaces them, so that one
typographic quote does not halve the capacity of an answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE = {"GSM-7": 160, "UCS-2": 70}
MULTI = {"GSM-7": 153, "UCS-2": 67}
MAX_BODY_CHARS = 1600  # Twilio refuses longer message bodies

MORE_KEYWORD = "MEHR"
MORE_SUFFIX = f"\nMehr: {MORE_KEYWORD}"


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


_TYPOGRAPHY = str.maketrans({
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"', "‹": "'", "›": "'",
    "–": "-", "—": "-", "‒": "-", "―": "-", "−": "-", "‐": "-", "‑": "-", "•": "-",
    "…": "...",
    "\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2009": " ", "\u2002": " ", "\u2003": " ",
    "\u2008": " ", "\u200a": " ", "\t": " ",
    "\u00ad": None, "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None,
})


def to_gsm(text: str) -> str:
    """``text`` with typographic quotes, dashes, ellipses and special spaces replaced by GSM-7
    characters, and CRLF as LF. Letters are never changed: a name stays as it was written."""
    return text.replace("\r\n", "\n").translate(_TYPOGRAPHY)


def encoding_of(text: str) -> Encoding:
    return Encoding.GSM7 if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text) else Encoding.UCS2


def _units(text: str, encoding: Encoding) -> list[int]:
    """The cost of each character: septets (GSM-7) or UTF-16 code units (UCS-2)."""
    if encoding is Encoding.GSM7:
        return [2 if c in GSM_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


@dataclass(frozen=True)
class SmsInfo:
    encoding: Encoding
    units: int  # septets or code units
    segments: int


def measure(text: str) -> SmsInfo:
    """Encoding, length in septets/units and number of segments of one SMS body."""
    encoding = encoding_of(text)
    costs = _units(text, encoding)
    total = sum(costs)
    if total <= SINGLE[encoding]:
        return SmsInfo(encoding, total, 1)
    per_segment, segments, used = MULTI[encoding], 1, 0
    for cost in costs:
        if used + cost > per_segment:  # a pair that does not fit starts the next segment whole
            segments, used = segments + 1, 0
        used += cost
    return SmsInfo(encoding, total, segments)


def segments(text: str) -> int:
    return measure(text).segments


# --- cutting ------------------------------------------------------------------------------

# Words after which a full stop does not end a sentence ("ca. 30 €", "z. B. Ausweis").
_ABBREVIATIONS = frozenset({
    "abs", "bzw", "ca", "d", "di", "do", "dr", "etc", "evtl", "fr", "ggf", "h", "inkl", "max", "mi",
    "min", "mo", "nr", "sa", "so", "sog", "str", "tel", "u", "usw", "vgl", "z", "zb", "zzgl",
})
_SENTENCE_END = re.compile(r"[.!?](?:[\"')\]]*)(?=\s)")
_WORD_BEFORE = re.compile(r"(\w+)$")


def sentence_ends(text: str) -> list[int]:
    """Positions after which a new part may start: after a line break or a sentence end.
    A full stop right after a number ("am 3. Mai"), a single letter ("z. B.") or a known
    abbreviation ("ca.", "bzw.") does not end a sentence."""
    cuts = {m.end() for m in re.finditer(r"\n", text)}
    for match in _SENTENCE_END.finditer(text):
        word = _WORD_BEFORE.search(text[: match.start()]) if text[match.start()] == "." else None
        if word and (word.group(1).isdigit() or len(word.group(1)) == 1
                     or word.group(1).casefold() in _ABBREVIATIONS):
            continue
        cuts.add(match.end())
    return sorted(c for c in cuts if 0 < c < len(text))


def _word_cuts(text: str) -> list[int]:
    return [m.start() for m in re.finditer(r"\s", text) if m.start() > 0]


def _longest_fitting(text: str, cuts: list[int], fits: Callable[[str], bool]) -> int | None:
    """The largest cut whose prefix fits (prefixes only grow in cost, so binary search)."""
    low, high, best = 0, len(cuts) - 1, None
    while low <= high:
        middle = (low + high) // 2
        if fits(text[: cuts[middle]]):
            best, low = cuts[middle], middle + 1
        else:
            high = middle - 1
    return best


def _cut(text: str, fits: Callable[[str], bool]) -> int:
    """Where to end the first part: a sentence end, else a word boundary, else any character
    (a Python character is a whole code point, so a surrogate pair is never cut)."""
    for cuts in (sentence_ends(text), _word_cuts(text)):
        best = _longest_fitting(text, cuts, fits)
        if best:
            return best
    characters = list(range(1, len(text)))
    return _longest_fitting(text, characters, fits) or 1


def paginate(text: str, budget: int) -> list[str]:
    """``text`` as parts of at most ``budget`` segments each. Every part but the last ends
    with "Mehr: MEHR"; cuts fall on sentence ends where possible. A text that fits is one part."""
    rest = text.strip()
    parts: list[str] = []

    def fits(prefix: str) -> bool:
        return segments(prefix.rstrip() + MORE_SUFFIX) <= budget

    while rest:
        if segments(rest) <= budget and len(rest) <= MAX_BODY_CHARS:
            parts.append(rest)
            break
        cut = _cut(rest, fits)
        parts.append(rest[:cut].rstrip() + MORE_SUFFIX)
        rest = rest[cut:].strip()
    return parts


def split_long(text: str, limit: int = MAX_BODY_CHARS) -> list[str]:
    """``text`` in bodies of at most ``limit`` characters, cut at sentence ends where possible
    (for messages without a segment budget: emergency answers, WhatsApp)."""
    rest = text.strip()
    parts: list[str] = []
    while len(rest) > limit:
        cut = _cut(rest, lambda prefix: len(prefix) <= limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].strip()
    if rest:
        parts.append(rest)
    return parts
