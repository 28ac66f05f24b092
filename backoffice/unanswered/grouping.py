"""Near-identical unanswered questions in one group, so an editor handles each question once.

Normalisation folds case, umlauts and punctuation and drops filler words;
two messages are near-identical when their word stems overlap strongly
(weighted by length, two stems one typo apart count as the same; a
compound written apart, "anwohner parkausweis", counts as the same text). Each
message joins the first group whose first message is similar enough
(greedy, in the order given: newest first on the page), which keeps the
result stable and explainable. The threshold is fixed by the fixture in
tests/fixtures/unanswered_groups.yml.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Generic, TypeVar

T = TypeVar("T")
THRESHOLD = 0.6
WORD_THRESHOLD = 0.85

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


def stems(normalised: str) -> frozenset[str]:
    return frozenset(_stem(word) for word in normalised.split() if word not in _STOP)


def _close(a: str, b: str) -> bool:
    """Same stem, or one typo / spelling variant apart ("naechste" ~ "nächste", "testen" ~ "tesetn")."""
    return a == b or (min(len(a), len(b)) >= 5 and SequenceMatcher(None, a, b).ratio() >= WORD_THRESHOLD)


def _matched_weight(words: frozenset[str], others: frozenset[str]) -> int:
    return sum(len(word) for word in words if any(_close(word, other) for other in others))


def similarity(a: str, b: str) -> float:
    """0..1 for two normalised texts: the share of word stems both have (typos allowed), each stem
    weighted by its length, so the long content word ("Gesundheitsamt") outweighs "lange" and "offen"."""
    if a == b or a.replace(" ", "") == b.replace(" ", ""):
        return 1.0
    sa, sb = stems(a), stems(b)
    total = sum(map(len, sa)) + sum(map(len, sb))
    if not sa or not sb:
        return 0.0
    return (_matched_weight(sa, sb) + _matched_weight(sb, sa)) / total


@dataclass
class Group(Generic[T]):
    key: str  # normalised text of the first member
    members: list[T] = field(default_factory=list)


def group(items: Iterable[T], text_of: Callable[[T], str], threshold: float = THRESHOLD) -> list[Group[T]]:
    """Items in groups of near-identical texts, groups in order of their first member."""
    groups: list[Group[T]] = []
    exact: dict[str, Group[T]] = {}
    for item in items:
        key = normalise(text_of(item))
        found = exact.get(key) or next((g for g in groups if similarity(key, g.key) >= threshold), None)
        if found is None:
            found = Group(key)
            groups.append(found)
        exact.setdefault(key, found)
        found.members.append(item)
    return groups


def partition(texts: Sequence[str], threshold: float = THRESHOLD) -> list[list[str]]:
    """The texts' groups as lists of texts (for tests and tools)."""
    return [g.members for g in group(texts, lambda t: t, threshold)]
