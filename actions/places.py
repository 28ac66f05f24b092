"""Where a reported problem or a collection is: inside the district or not.

A place comes as shared coordinates (checked against the district's boundary
polygon) or as text (a district town, Ortsteil or postcode; a known town or a
postcode outside the district is rejected with who to contact instead).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache
from typing import Any

from actions import content

_STREET = re.compile(
    r"\b([A-ZÄÖÜ][\wäöüß.-]*(?:straße|strasse|str\.|weg|platz|allee|ring|gasse|damm|ufer|pfad|"
    r"chaussee|berg|wall|markt)(?:\s+\d+\s?[a-zA-Z]?\b)?)",
)
_NAMED_STREET = re.compile(  # "Iserlohner Straße 12", "Alte Poststraße" is covered by _STREET
    r"\b([A-ZÄÖÜ][\wäöüß-]*er\s(?:Straße|Strasse|Str\.|Weg|Allee|Platz|Ring|Gasse)"
    r"(?:\s+\d+\s?[a-zA-Z]?\b)?)"
)
_STREET_WORDS = frozenset({"strasse", "str", "weg", "allee", "platz", "ring", "gasse", "damm", "ufer"})
_ROAD = re.compile(r"\b([KLB])\s?-?(\d{1,3})\b")


@dataclass(frozen=True)
class Place:
    """A place inside the district, as the case service takes it."""

    town: str | None
    address: str | None
    lat: float | None = None
    lon: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"town": self.town, "address": self.address, "lat": self.lat, "lon": self.lon}


@dataclass(frozen=True)
class Verdict:
    """Result of reading a place: exactly one of the fields is set (or none: no town named)."""

    place: Place | None = None
    outside_town: str | None = None
    outside_postcode: str | None = None
    outside_coordinates: bool = False


@cache
def _boundary() -> tuple[tuple[float, float], ...]:
    return tuple((float(lat), float(lon)) for lat, lon in content._directory()["boundary"]["polygon"])


@cache
def _outside_towns() -> tuple[tuple[str, str], ...]:
    data = content._load(content.CONTENT_DIR / "directory" / "outside_places.yml")
    return tuple((content.normalise(name), name) for name in data["towns"])


def inside_district(lat: float, lon: float) -> bool:
    """Ray casting against the boundary polygon (lat/lon as plane coordinates)."""
    polygon = _boundary()
    inside = False
    j = len(polygon) - 1
    for i, (lat_i, lon_i) in enumerate(polygon):
        lat_j, lon_j = polygon[j]
        if (lon_i > lon) != (lon_j > lon):
            crossing = lat_i + (lon - lon_i) * (lat_j - lat_i) / (lon_j - lon_i)
            if lat < crossing:
                inside = not inside
        j = i
    return inside


def from_coordinates(location: Any) -> Verdict | None:
    """A verdict for ``metadata.location`` ({lat, lon}); None when it is not one."""
    if not isinstance(location, dict):
        return None
    try:
        lat, lon = float(location["lat"]), float(location["lon"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if not inside_district(lat, lon):
        return Verdict(outside_coordinates=True)
    return Verdict(place=Place(town=None, address=None, lat=lat, lon=lon))


def street_of(text: str) -> str | None:
    """'Lindenstraße 5' or 'K 8' from a sentence, if there is one."""
    road = _ROAD.search(text)
    street = _NAMED_STREET.search(text) or _STREET.search(text)
    if street:
        return street.group(1).strip()
    if road:
        return f"{road.group(1)} {road.group(2)}"
    return None


def outside_town_in(text: str) -> str | None:
    padded = f" {content.normalise(text)} "
    for name, display in _outside_towns():
        if f" {name} " in padded:
            return display
    return None


def from_text(text: str) -> Verdict:
    """A verdict for a place written as text.

    A district town wins over a neighbouring one ("zwischen Halver und
    Breckerfeld" is in the district); with no district town, a known town or
    postcode outside makes the place outside; otherwise no town is known.
    """
    match = content.find_town(text)
    town = match.town or _misspelt_town(text)
    if town is not None:
        return Verdict(place=Place(town=town.id, address=describe(text, town.name)))
    if match.postcode_outside:
        return Verdict(outside_postcode=match.postcode_outside)
    outside = outside_town_in(text)
    if outside:
        return Verdict(outside_town=outside)
    return Verdict()


def _misspelt_town(text: str) -> content.Town | None:
    """A town *name* with a typo ("Iserlon", "Lüdenscheit").

    Stricter than the town form's fuzzy match: a place description is full of
    street words, and "Ecke" must not become the Ortsteil "Becke".
    """
    words = content.normalise(text).split()
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if len(word) < 5 or following in _STREET_WORDS:  # "Mendener Straße" is a street name
            continue
        for town in content.towns().values():
            name = content.normalise(town.name.split("(")[0])
            if word[0] == name[0] and SequenceMatcher(None, word, name).ratio() >= 0.85:
                return town
    return None


def describe(text: str, town_name: str | None) -> str:
    """A short address for the case: the street and the town, else the citizen's words."""
    street = _NAMED_STREET.search(text) or _STREET.search(text)
    if street and town_name:
        return f"{street.group(1).strip()}, {town_name}"
    return " ".join(text.split())[:200]


def display(place: dict[str, Any] | None) -> str:
    """How a stored place is shown in a summary."""
    if not place:
        return "–"
    if place.get("address"):
        return str(place["address"])
    if place.get("lat") is not None:
        return f"Standort {place['lat']:.5f}, {place['lon']:.5f}"
    return "–"
