"""Which office the citizen means, and what to bring to it.

Offices come from the case service (``GET /api/v1/offices``, each with the
topic it serves). A citizen names one by its name ("Zulassungsstelle"), a
button title, or a word of its topic ("Führerschein", "Auto anmelden"). What
to bring is read from the topic's answer metadata (``bring: {de: [...],
en: [...]}`` in ``nlu_data/topics/<topic>.yml``) so editors keep it with the
answer instead of us parsing prose.
"""

from __future__ import annotations

import time as _time
from functools import cache
from typing import Any

import yaml

from actions import appointment_client as client
from actions import content
from actions.appointment_client import Office

OFFICE_CACHE_S = 300.0
_office_cache: tuple[float, list[Office]] = (0.0, [])


async def office_list() -> list[Office]:
    """The offices, fetched at most every few minutes (they change with a deployment)."""
    global _office_cache
    fetched, cached = _office_cache
    if cached and _time.monotonic() - fetched < OFFICE_CACHE_S:
        return cached
    fresh = await client.offices()
    _office_cache = (_time.monotonic(), fresh)
    return fresh


def cached_office(office_id: str | None) -> Office | None:
    return next((o for o in _office_cache[1] if o.id == office_id), None)


async def offices_or_empty() -> list[Office]:
    try:
        return await office_list()
    except client.CaseServiceError:
        return []


# Words that point to an office through the topic it serves (normalised, umlauts folded).
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "kfz_zulassung": ("zulassung", "zulassungsstelle", "kfz", "auto", "fahrzeug", "kennzeichen",
                      "ummelden", "vehicle", "car", "registration"),
    "fuehrerschein": ("fuehrerschein", "fuehrerscheinstelle", "fahrerlaubnis", "driving",
                      "licence", "license"),
    "aufenthaltstitel": ("auslaenderbehoerde", "auslaender", "aufenthalt", "aufenthaltstitel",
                         "aufenthaltserlaubnis", "einbuergerung", "visum", "foreigners",
                         "immigration", "residence", "permit"),
    "infektionsschutzbelehrung": ("gesundheitsamt", "belehrung", "infektionsschutz",
                                  "gesundheitszeugnis", "health"),
}


def _topic_words(topic: str) -> tuple[str, ...]:
    for prefix, words in TOPIC_WORDS.items():
        if topic.startswith(prefix):
            return words
    return ()


def _names(office: Office) -> list[str]:
    names = [content.normalise(office.name), content.normalise(office.id.replace("_", " "))]
    # "Straßenverkehrsamt – Zulassungsstelle" -> each longer part on its own
    names += [w for w in content.normalise(office.name).split() if len(w) > 5]
    return [n for n in names if n]


def find(text: str, offices: list[Office]) -> Office | None:
    """The one office the text names; None when none or several fit."""
    padded = f" {content.normalise(text)} "
    scores: dict[str, int] = {}
    for office in offices:
        score = 0
        if f" {content.normalise(office.name)} " in padded or padded.strip() == office.id:
            score += 10
        score += sum(2 for name in _names(office) if f" {name} " in padded)
        score += sum(1 for word in _topic_words(office.topic)
                     if f" {word} " in padded or (len(word) > 6 and word in padded))
        if score:
            scores[office.id] = score
    if not scores:
        return None
    best = max(scores.values())
    winners = [o for o in offices if scores.get(o.id) == best]
    return winners[0] if len(winners) == 1 else None


@cache
def _answer_metadata(topic: str) -> dict[str, Any]:
    path = content.CONTENT_DIR / "topics" / f"{topic}.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    variants = (data.get("responses") or {}).get(f"utter_faq/{topic}") or []
    return dict((variants[0].get("metadata") or {}) if variants else {})


def bring(topic: str, variant: str) -> list[str]:
    """The 'Bitte mitbringen' list of the office's topic, in the answer's language."""
    items = _answer_metadata(topic).get("bring") or {}
    chosen = items.get("en" if variant == "en" else "de") or items.get("de") or []
    return [str(item) for item in chosen]
