"""Who gets a new case: a department of the district or the town responsible for the place.

Base rule from ``nlu_data/directory/municipalities.yml``: a town handles a
``mixed`` topic when ``mixed_default`` says ``gemeinde`` or the town lists
the topic under ``handles``. On top of that, the few cases where the
district is responsible whatever the town (kept small on purpose):

| kind / category                 | condition                                   | goes to                |
| ------------------------------- | ------------------------------------------- | ---------------------- |
| maengelmeldung road_damage      | on a Kreisstraße ("K 123", "Kreisstraße")   | Straßenbau (Kreis)     |
| maengelmeldung damaged_sign     | on a Kreisstraße                            | Straßenbau (Kreis)     |
| maengelmeldung illegal_dumping  | in the countryside (``data.area`` outside, | Abfallwirtschaft (Kreis,|
|                                 | or a map pin without a street address)      | Untere Abfallbehörde)  |
| any town matter                 | town unknown                                | Bürgerservice (Kreis)  |
| rueckruf                        | department of ``data.topic``                | that department        |

Example content: the department split follows the district's published
organisation only roughly and is ``verified: false`` until checked.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DIRECTORY = Path(__file__).resolve().parent.parent / "nlu_data" / "directory" / "municipalities.yml"

# District departments that receive cases (ids are stable keys; names for staff and citizens).
DEPARTMENTS: dict[str, str] = {
    "buergerservice": "Bürgerservice des Märkischen Kreises",
    "strassenbau": "Fachdienst Straßenbau des Märkischen Kreises",
    "abfallwirtschaft": "Fachdienst Abfallwirtschaft / Untere Abfallbehörde des Märkischen Kreises",
    "strassenverkehr": "Straßenverkehrsamt des Märkischen Kreises",
    "auslaenderbehoerde": "Ausländerbehörde des Märkischen Kreises",
    "soziales": "Fachdienst Soziales des Märkischen Kreises",
    "jugend": "Kreisjugendamt des Märkischen Kreises",
    "bauaufsicht": "Bauaufsicht des Märkischen Kreises",
    "gesundheit": "Gesundheitsamt des Märkischen Kreises",
    "ordnung": "Fachdienst Sicherheit und Ordnung des Märkischen Kreises",
}

# Call-back topic (catalogue id) -> department; anything else goes to the Bürgerservice.
TOPIC_DEPARTMENT: dict[str, str] = {
    **dict.fromkeys(("kfz_zulassung", "kfz_abmeldung", "kfz_halterwechsel", "wunschkennzeichen",
                     "fuehrerschein_ersterteilung", "fuehrerschein_umtausch", "fuehrerschein_international",
                     "fuehrerschein_verlust"), "strassenverkehr"),
    **dict.fromkeys(("einbuergerung", "aufenthaltstitel"), "auslaenderbehoerde"),
    **dict.fromkeys(("elterngeld", "bafoeg_schueler", "wohngeld", "schwerbehindertenausweis",
                     "grundsicherung", "bildung_teilhabe"), "soziales"),
    **dict.fromkeys(("unterhaltsvorschuss", "kita_platz"), "jugend"),
    "bauantrag": "bauaufsicht",
    **dict.fromkeys(("infektionsschutzbelehrung", "lebensmittel_beschwerde"), "gesundheit"),
    **dict.fromkeys(("jagdschein", "waffenbesitzkarte"), "ordnung"),
    **dict.fromkeys(("abfallkalender", "gelbe_tonne", "wertstoffhof", "sperrmuell_anmelden"),
                    "abfallwirtschaft"),
    "maengelmeldung": "strassenbau",
}

_KREISSTRASSE = re.compile(r"\bK\s?\d{1,3}\b|kreisstra(ss|ß)e", re.IGNORECASE)


@dataclass(frozen=True)
class Routing:
    kind: str  # "department" | "town"
    id: str
    name: str

    @property
    def forwarded(self) -> bool:
        """A town is responsible: the district passes the case on."""
        return self.kind == "town"

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "id": self.id, "name": self.name}


@dataclass(frozen=True)
class Town:
    id: str
    name: str
    office: str
    handles: frozenset[str]
    postcodes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Directory:
    towns: dict[str, Town]
    mixed_default: dict[str, str]

    def town_handles(self, town_id: str, topic: str) -> bool:
        town = self.towns.get(town_id)
        if town is None:
            return False
        return self.mixed_default.get(topic) == "gemeinde" or topic in town.handles


@functools.cache
def load_directory(path: Path = DIRECTORY) -> Directory:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    towns = {
        item["id"]: Town(item["id"], item["name"], (item.get("office") or {}).get("name") or item["name"],
                         frozenset(item.get("handles") or ()),
                         frozenset(str(code) for code in item.get("postcodes") or ()))
        for item in raw["municipalities"]
    }
    return Directory(towns, dict(raw.get("mixed_default") or {}))


def department(dep_id: str) -> Routing:
    return Routing("department", dep_id, DEPARTMENTS[dep_id])


def _district_rule(kind: str, data: dict[str, Any], place: dict[str, Any] | None) -> str | None:
    """A district department that is responsible whatever the town says, or None."""
    if kind != "maengelmeldung":
        return None
    place = place or {}
    address = place.get("address") or ""
    on_district_road = data.get("road") == "kreisstrasse" or bool(_KREISSTRASSE.search(address))
    category = data.get("category")
    if category in ("road_damage", "damaged_sign") and on_district_road:
        return "strassenbau"
    countryside = data.get("area") == "outside" or (not address and place.get("lat") is not None)
    if category == "illegal_dumping" and countryside:
        return "abfallwirtschaft"
    return None


def route(kind: str, data: dict[str, Any], place: dict[str, Any] | None,
          directory: Directory | None = None) -> Routing:
    """Where a new case of ``kind`` goes (see the table in the module docstring)."""
    directory = directory or load_directory()
    if kind == "rueckruf":
        return department(TOPIC_DEPARTMENT.get(str(data.get("topic")), "buergerservice"))
    if (dep := _district_rule(kind, data, place)) is not None:
        return department(dep)
    town_id = (place or {}).get("town")
    if town_id and directory.town_handles(town_id, kind):
        town = directory.towns[town_id]
        return Routing("town", town.id, town.office)
    if kind in ("maengelmeldung", "sperrmuell_anmelden") and not town_id:
        return department("buergerservice")  # staff find the place and pass it on
    return department(TOPIC_DEPARTMENT.get(kind, "buergerservice"))


def by_id(kind: str, unit_id: str, directory: Directory | None = None) -> Routing:
    """The routing stored with a case (``routed_kind``, ``routed_id``) with its current name."""
    if kind == "town":
        town = (directory or load_directory()).towns.get(unit_id)
        return Routing("town", unit_id, town.office if town else unit_id)
    return Routing("department", unit_id, DEPARTMENTS.get(unit_id, unit_id))



def town_for_postcode(text: str, directory: Directory | None = None) -> str | None:
    """The town of the first district postcode in ``text`` (e.g. an Open311 address_string), or None."""
    directory = directory or load_directory()
    for code in re.findall(r"\b(\d{5})\b", text):
        for town in directory.towns.values():
            if code in town.postcodes:
                return town.id
    return None
