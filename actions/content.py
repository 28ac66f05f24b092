"""Read-only access to the content files the actions need.

The catalogue (topic ids, kinds, authorities) and the directories live in
``nlu_data/`` beside the topic files, so editors change them in one place.
Everything is loaded once per process and cached.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CONTENT_DIR = Path(
    os.environ.get("CONTENT_DIR", Path(__file__).resolve().parent.parent / "nlu_data")
)


@dataclass(frozen=True)
class Topic:
    id: str
    kind: str
    authority: str | None
    title: str


@dataclass(frozen=True)
class Office:
    name: str
    address: str
    phone: str
    url: str


@dataclass(frozen=True)
class Town:
    id: str
    name: str
    postcodes: tuple[str, ...]
    aliases: tuple[str, ...]
    office: Office
    online_services: str
    handles: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Authority:
    id: str
    name: dict[str, str]
    keywords: tuple[str, ...]
    answer: dict[str, str]


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@cache
def catalogue() -> dict[str, Topic]:
    data = _load(CONTENT_DIR / "catalogue.yml")
    return {
        t["id"]: Topic(t["id"], t["kind"], t.get("authority"), t["title"])
        for t in data["topics"]
    }


@cache
def _directory() -> dict[str, Any]:
    return _load(CONTENT_DIR / "directory" / "municipalities.yml")


def kreis() -> dict[str, Any]:
    return _directory()["kreis"]


def mixed_default(topic_id: str) -> str:
    return (_directory().get("mixed_default") or {}).get(topic_id, "kreis")


@cache
def towns() -> dict[str, Town]:
    result = {}
    for raw in _directory()["municipalities"]:
        office = raw.get("office") or {}
        result[raw["id"]] = Town(
            id=raw["id"],
            name=raw["name"],
            postcodes=tuple(str(p) for p in raw.get("postcodes") or ()),
            aliases=tuple(raw.get("aliases") or ()),
            office=Office(
                name=office.get("name", raw["name"]),
                address=office.get("address", ""),
                phone=str(office.get("phone", "")),
                url=office.get("url", ""),
            ),
            online_services=raw.get("online_services", ""),
            handles=frozenset(raw.get("handles") or ()),
        )
    return result


@cache
def authorities() -> tuple[Authority, ...]:
    data = _load(CONTENT_DIR / "directory" / "authorities.yml")
    return tuple(
        Authority(
            id=a["id"],
            name=dict(a.get("name") or {}),
            keywords=tuple(str(k).lower() for k in a.get("keywords") or ()),
            answer=dict(a.get("answer") or {}),
        )
        for a in data["authorities"]
    )


def normalise(text: str) -> str:
    """Lowercase, umlauts folded (ä -> ae), punctuation to spaces."""
    text = text.lower().replace("ß", "ss")
    for umlaut, folded in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        text = text.replace(umlaut, folded)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


@cache
def _town_names() -> list[tuple[str, str]]:
    """(normalised name or alias, town id), longest first."""
    names = []
    for town in towns().values():
        for name in (town.name, *town.aliases):
            names.append((normalise(name), town.id))
        short = normalise(town.name.split("(")[0])
        names.append((short, town.id))
    return sorted(set(names), key=lambda item: -len(item[0]))


POSTCODE = re.compile(r"(?<!\d)(\d{5})(?!\d)")


@dataclass(frozen=True)
class PlaceMatch:
    town: Town | None
    postcode_outside: str | None = None


def find_town(text: str, fuzzy: bool = False) -> PlaceMatch:
    """The district town named in ``text`` by name, Ortsteil or postcode.

    ``postcode_outside`` is set when the text holds a postcode that belongs to
    no town of the district, so the bot can say the citizen lives elsewhere.
    """
    for code in POSTCODE.findall(text):
        for town in towns().values():
            if code in town.postcodes:
                return PlaceMatch(town)
        return PlaceMatch(None, postcode_outside=code)
    padded = f" {normalise(text)} "
    for name, town_id in _town_names():
        if name and f" {name} " in padded:
            return PlaceMatch(towns()[town_id])
    if fuzzy:
        words = padded.split()
        best: tuple[float, str | None] = (0.0, None)
        for name, town_id in _town_names():
            width = len(name.split())
            for i in range(len(words) - width + 1):
                candidate = " ".join(words[i : i + width])
                ratio = SequenceMatcher(None, candidate, name).ratio()
                if ratio > best[0]:
                    best = (ratio, town_id)
        if best[1] is not None and best[0] >= 0.84:
            return PlaceMatch(towns()[best[1]])
    return PlaceMatch(None)


def responsible(topic: Topic, town: Town | None) -> str:
    """'kreis' or 'gemeinde' for this topic in this town."""
    if topic.authority == "gemeinde":
        return "gemeinde"
    if topic.authority == "mixed":
        if town is not None and topic.id in town.handles:
            return "gemeinde"
        return mixed_default(topic.id)
    return "kreis"


def find_authority(text: str) -> Authority | None:
    lowered = text.lower()
    for authority in authorities():
        if any(keyword and keyword in lowered for keyword in authority.keywords):
            return authority
    return None
