"""Grouping reproduces the expected groups of tests/fixtures/unanswered_groups.yml, in any order."""

from __future__ import annotations

import random
import re
import time
from datetime import date
from pathlib import Path

import pytest
import yaml

from backoffice.unanswered.grouping import normalise, partition, similarity
from backoffice.unanswered.page import MAX_GROUPS, GroupView, unanswered

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "unanswered_groups.yml"
EXPECTED = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))["groups"]


def _as_sets(groups: list[list[str]]) -> set[frozenset[str]]:
    return {frozenset(g) for g in groups}


@pytest.mark.parametrize("seed", range(5))
def test_grouping_reproduces_the_fixture(seed: int) -> None:
    messages = [message for expected in EXPECTED for message in expected]
    random.Random(seed).shuffle(messages)
    assert _as_sets(partition(messages)) == _as_sets(EXPECTED)


def test_fixture_is_not_trivial() -> None:
    sizes = [len(g) for g in EXPECTED]
    assert len(EXPECTED) >= 15 and sum(sizes) >= 40 and sizes.count(1) >= 4


def test_normalise_folds_case_umlauts_and_punctuation() -> None:
    assert normalise("Wann ist der NÄCHSTE Blutspende-Termin??") == "wann ist der naechste blutspende termin"
    assert similarity("wer ist der landrat", "wer ist der landrat") == 1.0
    assert similarity(normalise("Wo kann ich mich impfen lassen?"),
                      normalise("Wo kann ich mich auf Corona testen lassen?")) < 0.5


def test_a_full_page_is_grouped_quickly() -> None:
    """The console groups the 2000 newest open questions on every page view."""
    topics = FIXTURE.parents[2] / "nlu_data" / "topics"
    texts = [line[6:] for path in sorted(topics.glob("*.yml"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("    - ")]
    rnd = random.Random(7)
    messages = [f"{rnd.choice(texts)} {rnd.choice(texts).split()[0]}" for _ in range(2000)]
    started = time.perf_counter()
    groups = partition(messages)
    assert time.perf_counter() - started < 5
    assert sum(map(len, groups)) == 2000 and 200 < len(groups) < 2000


def test_the_page_shows_the_most_frequent_groups_first_and_at_most_a_hundred() -> None:
    views = [GroupView(ids=(i,), count=1 + i % 3, examples=(f"Frage {i}",), last_seen=date(2026, 12, 1),
                       languages=("de",), channels=("sms",), guess=None, confidence=None) for i in range(150)]
    html = unanswered(views, [], "token", 90)
    assert html.count('<section class="group"') == MAX_GROUPS
    assert "300 Fragen in 150 Gruppen" in html and "Die übrigen 50 Gruppen erscheinen" in html
    counts = [int(n) for n in re.findall(r'<h2 id="g\d+-h">(\d+)×', html)]
    assert counts == sorted(counts, reverse=True) and counts[0] == 3 and counts[-1] == 2
    assert "Frage 2<" in html and "Frage 0<" not in html  # a count-3 group shown, a count-1 group not
