"""Read-only views of the topic files for the console: catalogue entry, examples, answer variants.

Read from disk on each call (the console is low-traffic; the NLG path uses
the in-memory store instead), so the pages always show the approved state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from backoffice.content import variants as variant_rules

LANGUAGE_LABELS = {"de": "Deutsch", "en": "Englisch", "ls": "Leichte Sprache"}
CHANNEL_LABELS = {"sms": "SMS", "telegram": "Telegram", "webchat": "Web-Chat", "whatsapp": "WhatsApp"}


@dataclass(frozen=True)
class Variant:
    response: str
    index: int
    language: str
    channel: str | None
    text: str
    buttons: list[dict[str, Any]]
    metadata: dict[str, Any]

    @property
    def label(self) -> str:
        parts = [LANGUAGE_LABELS.get(self.language, self.language)]
        if self.channel:
            parts.append(CHANNEL_LABELS.get(self.channel, self.channel))
        return " · ".join(parts)

    @property
    def window(self) -> str:
        start, end = self.metadata.get("valid_from"), self.metadata.get("valid_until")
        if not start and not end:
            return ""
        return f"gültig {'ab ' + str(start) if start else ''}{' ' if start and end else ''}" \
               f"{'bis ' + str(end) if end else ''}"

    def message(self, text: str | None = None) -> dict[str, Any]:
        """What the NLG endpoint sends for this variant (with ``text`` instead of the stored one)."""
        out: dict[str, Any] = {"text": self.text if text is None else text}
        if self.buttons:
            out["buttons"] = self.buttons
        return out


@dataclass
class Topic:
    id: str
    title: str
    kind: str
    authority: str
    examples: dict[str, list[str]] = field(default_factory=dict)
    answers: list[Variant] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        return sorted({str(v.metadata["source"]) for v in self.answers if v.metadata.get("source")})

    @property
    def reviewed(self) -> dt.date | None:
        """The oldest review date of its answers: the topic is only as fresh as its stalest fact."""
        days = []
        for variant in self.answers:
            try:
                days.append(dt.date.fromisoformat(str(variant.metadata["reviewed"])))
            except (KeyError, ValueError):
                continue
        return min(days) if days else None

    def review_due(self, today: dt.date, after_days: int) -> bool:
        reviewed = self.reviewed
        return bool(self.answers) and (reviewed is None or (today - reviewed).days > after_days)

    def valid_today(self, variant: Variant, today: dt.date) -> bool:
        return variant_rules.valid_on({"metadata": variant.metadata}, today)


def _language(variant: dict[str, Any]) -> str:
    for condition in variant.get("condition") or []:
        if condition.get("name") == "language":
            return str(condition.get("value"))
    return "de"


def catalogue(content_dir: Path) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((content_dir / "catalogue.yml").read_text(encoding="utf-8")) or {}
    return {str(t["id"]): t for t in data.get("topics") or []}


def load_topic(content_dir: Path, topic_id: str, entry: dict[str, Any] | None = None) -> Topic | None:
    path = content_dir / "topics" / f"{topic_id}.yml"
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entry = entry or catalogue(content_dir).get(topic_id) or {}
    topic = Topic(topic_id, str(entry.get("title") or topic_id), str(entry.get("kind") or "control"),
                  str(entry.get("authority") or "–"))
    for block in data.get("nlu") or []:
        lang = str((block.get("metadata") or {}).get("lang") or "de")
        lines = [line.strip()[2:].strip() for line in str(block.get("examples") or "").splitlines()
                 if line.strip().startswith("- ")]
        topic.examples.setdefault(lang, []).extend(lines)
    for response, items in (data.get("responses") or {}).items():
        for index, item in enumerate(items or []):
            topic.answers.append(Variant(str(response), index, _language(item), item.get("channel"),
                                         str(item.get("text") or ""), list(item.get("buttons") or []),
                                         {k: v for k, v in (item.get("metadata") or {}).items()}))
    return topic


def all_topics(content_dir: Path) -> list[Topic]:
    entries = catalogue(content_dir)
    found = [load_topic(content_dir, path.stem, entries.get(path.stem))
             for path in sorted((content_dir / "topics").glob("*.yml"))]
    return [topic for topic in found if topic is not None]


def search(topics: list[Topic], query: str) -> list[Topic]:
    """Topics whose id, title, an example or an answer contains every word of ``query``."""
    words = [w for w in query.casefold().split() if w]
    if not words:
        return topics

    def haystack(topic: Topic) -> str:
        parts = [topic.id, topic.title, *(e for lines in topic.examples.values() for e in lines),
                 *(v.text for v in topic.answers)]
        return "\n".join(parts).casefold()

    return [t for t in topics if all(w in haystack(t) for w in words)]
