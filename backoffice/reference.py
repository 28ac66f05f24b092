"""Case reference numbers ``<PREFIX>-<YYYY>-<NNNNNN>-<C>`` with a Damm check digit.

The Damm algorithm (a totally anti-symmetric quasigroup of order 10) catches
every single-digit error and every transposition of adjacent digits, the two
mistakes people make when they read a number off a screen or say it on the
phone. The check digit covers the 10 digits of year and sequence; the prefix
is letters and only tells which administration issued the number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The standard table (H. M. Damm, 2004), as published e.g. on Wikipedia "Damm algorithm".
_TABLE = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
MAX_SEQUENCE = 999_999
# letters, then 4 + 6 + 1 digits; any spaces, dashes, dots or slashes between the parts
_SHAPE = re.compile(r"^([A-Z]{2,4})[\s\-./]*(\d{4})[\s\-./]*(\d{6})[\s\-./]*(\d)$")


def damm(digits: str) -> int:
    """The Damm check digit of a string of decimal digits."""
    interim = 0
    for char in digits:
        interim = _TABLE[interim][int(char)]
    return interim


@dataclass(frozen=True)
class Reference:
    prefix: str
    year: int
    seq: int
    check: int

    @property
    def valid(self) -> bool:
        return damm(f"{self.year:04d}{self.seq:06d}") == self.check

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year:04d}-{self.seq:06d}-{self.check}"


def make(prefix: str, year: int, seq: int) -> str:
    """The reference for sequence ``seq`` of ``year``, e.g. ``MK-2026-000123-7``."""
    if not re.fullmatch(r"[A-Z]{2,4}", prefix):
        raise ValueError("prefix must be 2 to 4 capital letters")
    if not (1000 <= year <= 9999 and 1 <= seq <= MAX_SEQUENCE):
        raise ValueError("year must have 4 digits and seq be 1..999999")
    digits = f"{year:04d}{seq:06d}"
    return f"{prefix}-{year:04d}-{seq:06d}-{damm(digits)}"


def _shape(text: str) -> Reference | None:
    match = _SHAPE.match(text.strip().upper())
    if not match:
        return None
    prefix, year, seq, check = match.groups()
    return Reference(prefix, int(year), int(seq), int(check))


def parse(text: str) -> Reference | None:
    """A well-formed reference with a matching check digit, normalised; else None.

    Tolerant of case and of missing or different separators: ``mk 2026 000123 7``,
    ``MK20260001237`` and ``mk-2026-000123-7`` are the same number.
    """
    ref = _shape(text)
    return ref if ref is not None and ref.valid else None


def is_mistyped(text: str) -> bool:
    """True when ``text`` has the shape of a reference but its check digit does not match."""
    ref = _shape(text)
    return ref is not None and not ref.valid
