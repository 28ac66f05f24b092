"""German names for what a waiting conversation is about: the topic's title and the desk's name.

The handoff state holds ids only (``channels.handoff``: a catalogue topic id
the dialogue derived, the desk whose hours applied); staff should read
"Führerschein verloren …" and "Straßenverkehrsamt" before taking it. Titles
come from the console's content catalogue, read per page like the topic
pages, so a renamed title shows at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from backoffice.content.topics import catalogue
from backoffice.office_hours import HandoffHours
from channels.handoff import Handoff

NONE = "–"


@dataclass(frozen=True)
class HandoffLabels:
    topics: Mapping[str, str]  # topic id -> German title
    desks: Mapping[str, str]  # desk id -> name

    def topic(self, item: Handoff) -> str:
        """The topic's title; an id the catalogue no longer has stays visible as the id."""
        return self.topics.get(item.topic, item.topic) if item.topic else NONE

    def desk(self, item: Handoff) -> str:
        return self.desks.get(item.desk, item.desk) if item.desk else NONE


def handoff_labels(content_dir: Path, desks: HandoffHours) -> HandoffLabels:
    entries = catalogue(content_dir)
    titles = {topic_id: str(entry.get("title") or topic_id) for topic_id, entry in entries.items()}
    return HandoffLabels(titles, {desk.id: desk.name for desk in desks.offices.values()})
