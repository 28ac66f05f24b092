"""Near-identical unanswered questions in one group, so an editor handles each question once.

Normalisation folds case, umlauts and punctuation and drops filler words;
two messages are near-identical when their word stems overlap strongly
(weighted by length; long stems are compared by their consonant skeleton,
so a typo or a doubled letter still matches; a compound written apart,
"anwohner parkausweis", counts as the same text). Each
message joins the first group whose first message is similar enough
(greedy, in the order given: newest first on the page), which keeps the
result stable and explainable. The threshold is fixed by the fixture in
tests/fixtures/unanswered_groups.yml.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Generic, TypeVar

T = TypeVar("T")
THRESHOLD = 0.6

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_STOP = frozenset([  # filler words that do not tell two questions apart
    "a", "am", "an", "and", "are", "auch", "bei", "bitte", "danke", "fuer", "hat", "haben", "habe",
    "sich", "bekomme", "bekommen", "beantragen", "beantrage", "kriege", "erhalte", "erhalten",
    "get", "can", "das", "dass", "dem", "den", "der", "des", "die", "do", "does", "ein", "eine",
    "einem", "einen", "einer", "es", "for", "gibt", "hallo", "hello", "hi", "how", "i", "ich",
    "ihr", "im", "in", "is", "ist", "it", "kann", "man", "me", "mein", "meine", "meinem", "meinen",
    "mich", "mir", "mit", "my", "of", "on", "or", "the", "to", "und", "vom", "von", "was", "wer",
    "wie", "wo", "zu", "zum", "zur", "guten", "tag",
])
_ENDINGS = ("ungen", "en", "er", "es", "e", "n", "s")


def normalise(text: str) -> str:
    """Lowercase, umlauts folded, punctuation gone, single spaces."""
    return " ".join(_NON_WORD.sub(" ", text.casefold().translate(_FOLD)).split())


def _stem(word: str) -> str:
    for ending in _ENDINGS:
        if len(word) - len(ending) >= 4 and word.endswith(ending):
            return word[: -len(ending)]
    return word


_VOWELS = re.compile(r"(?<=.)[aeiouy]+")
_DOUBLES = re.compile(r"(.)\1+")


def _skeleton(stem: str) -> str:
    """Long stems by their consonant skeleton, so one typo or doubled letter still matches
    ("corna" ~ "corona", "lasen" ~ "lassen"); short ones as they are."""
    return _DOUBLES.sub(r"\1", _VOWELS.sub("", stem)) if len(stem) >= 5 else stem


@lru_cache(maxsize=16384)
def tokens(normalised: str) -> dict[str, int]:
    """The comparable units of a text with their weights (the stem's length: long content words
    such as "gesundheitsamt" outweigh "lange" and "offen")."""
    found: dict[str, int] = {}
    for word in normalised.split():
        if word not in _STOP:
            stem = _stem(word)
            found[_skeleton(stem)] = max(found.get(_skeleton(stem), 0), len(stem))
    return found


def similarity(a: str, b: str) -> float:
    """0..1 for two normalised texts: the weighted share of word stems both have (Dice)."""
    if a == b or a.replace(" ", "") == b.replace(" ", ""):
        return 1.0
    ta, tb = tokens(a), tokens(b)
    total = sum(ta.values()) + sum(tb.values())
    if not total:
        return 0.0
    return sum(ta[t] + tb[t] for t in ta.keys() & tb.keys()) / total


@dataclass
class Group(Generic[T]):
    key: str  # normalised text of the first member
    members: list[T] = field(default_factory=list)


def group(items: Iterable[T], text_of: Callable[[T], str], threshold: float = THRESHOLD) -> list[Group[T]]:
    """Items in groups of near-identical texts, groups in order of their first member.

    Only groups that share at least one token with a message are compared with it (an inverted
    index), so the page's 2000 newest questions are grouped in about a second.
    """
    groups: list[Group[T]] = []
    exact: dict[str, Group[T]] = {}  # compact text (no spaces) -> group
    by_token: dict[str, list[int]] = {}  # token -> indexes of groups whose first member has it
    for item in items:
        key = normalise(text_of(item))
        found = exact.get(key.replace(" ", ""))
        if found is None:
            candidates = sorted({i for token in tokens(key) for i in by_token.get(token, ())})
            found = next((groups[i] for i in candidates if similarity(key, groups[i].key) >= threshold), None)
        if found is None:
            found = Group(key)
            for token in tokens(key):
                by_token.setdefault(token, []).append(len(groups))
            groups.append(found)
        exact.setdefault(key.replace(" ", ""), found)
        found.members.append(item)
    return groups


def partition(texts: Sequence[str], threshold: float = THRESHOLD) -> list[list[str]]:
    """The texts' groups as lists of texts (for tests and tools)."""
    return [g.members for g in group(texts, lambda t: t, threshold)]
