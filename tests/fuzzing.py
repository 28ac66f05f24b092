"""Shared hypothesis settings and strategies for the fuzz tests of routes and parsers.

The ``fuzz`` settings bound each test's examples (FUZZ_EXAMPLES, default
60) and switch off the per-example deadline: the machine is shared and
timing is not what these tests are about. ``make test`` runs them all in
about two minutes; raise FUZZ_EXAMPLES for a longer hunt.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
fuzz = settings(max_examples=EXAMPLES, deadline=None, derandomize=False, print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

# Right-to-left marks and overrides, zero-width characters, a BOM, combining marks, emoji with
# joiners, NUL, Arabic and Cyrillic letters, digits of other scripts.
SPECIAL = ["\u202e", "\u202d", "\u200f", "\u200e", "\u2066", "\u200b", "\u200c", "\u200d", "\u2060",
           "\ufeff", "\u0301", "\u0000", "👩‍👩‍👧", "🚑", "🔥", "ﷺ", "مرحبا", "Привіт", "٣", "１２３",
           "\r\n", "\t", "%s", "{}", "/", "\\", "<script>", "&amp;", "'", '"']


def long_text() -> st.SearchStrategy[str]:
    """10,000 characters of one kind (letters, umlauts, emoji, zero-width, RTL)."""
    return st.sampled_from(["a", "ü", "😀", "\u200b", "\u202e", "9", " ", "ß"]).map(lambda c: c * 10_000)


def nasty_text(max_size: int = 60) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=max_size),
        st.lists(st.sampled_from(SPECIAL), max_size=12).map("".join),
        st.lists(st.one_of(st.sampled_from(SPECIAL), st.text(max_size=5)), max_size=12).map("".join),
        long_text(),
    )


def json_values(keys: list[str] | None = None) -> st.SearchStrategy[Any]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                        st.floats(allow_nan=False, allow_infinity=False), nasty_text(20))
    names = st.one_of(st.sampled_from(keys), nasty_text(10)) if keys else nasty_text(10)
    return st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(names, inner, max_size=5)),
                        max_leaves=12)


def raw_bodies() -> st.SearchStrategy[bytes]:
    """Random bytes, broken UTF-8, truncated or huge JSON-ish text."""
    return st.one_of(st.binary(max_size=300), nasty_text().map(lambda t: t.encode("utf-8", "surrogatepass")),
                     st.sampled_from([b"", b"{", b"[]", b"null", b"1e999999", b'{"a":' * 200, b"\xff\xfe",
                                      b'"\\ud800"', b"[" * 5000, b"9" * 5000,
                                      b'{"update_id": ' + b"9" * 5000 + b"}"]))
