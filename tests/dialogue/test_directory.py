"""The municipality directory: finding the town, and who is responsible."""

from __future__ import annotations

import pytest
import yaml

from actions import content
from actions.faq import _office_sentence

TOWNS = [
    ("Iserlohn", "iserlohn"),
    ("ich wohne in iserlohn", "iserlohn"),
    ("Lüdenscheid", "luedenscheid"),
    ("luedenscheid", "luedenscheid"),
    ("Menden (Sauerland)", "menden"),
    ("menden", "menden"),
    ("58636", "iserlohn"),
    ("PLZ 58762", "altena"),
    ("Letmathe", "iserlohn"),
    ("Nachrodt-Wiblingwerde", "nachrodt_wiblingwerde"),
]


@pytest.mark.parametrize(("text", "town_id"), TOWNS)
def test_find_town(text: str, town_id: str) -> None:
    match = content.find_town(text)
    assert match.town is not None, text
    assert match.town.id == town_id


def test_typo_needs_fuzzy_matching() -> None:
    assert content.find_town("Plettenbreg").town is None
    assert content.find_town("Plettenbreg", fuzzy=True).town.id == "plettenberg"


def test_postcode_outside_the_district() -> None:
    match = content.find_town("10115")
    assert match.town is None
    assert match.postcode_outside == "10115"


@pytest.mark.parametrize("text", ["Hagen", "Dortmund", "keine Ahnung", "Schlagloch"])
def test_places_outside_are_not_matched(text: str) -> None:
    assert content.find_town(text, fuzzy=True).town is None


def test_every_town_has_an_office_and_postcodes() -> None:
    towns = content.towns()
    assert len(towns) == 15
    for town in towns.values():
        assert town.postcodes, town.id
        assert town.office.name and town.office.address, town.id
        assert all(len(code) == 5 and code.isdigit() for code in town.postcodes)


def test_responsibility() -> None:
    topics = content.catalogue()
    towns = content.towns()
    assert content.responsible(topics["personalausweis"], towns["balve"]) == "gemeinde"
    assert content.responsible(topics["kfz_zulassung"], towns["balve"]) == "kreis"
    # Building permits: Iserlohn has its own building authority, Balve has not.
    assert content.responsible(topics["bauantrag"], towns["iserlohn"]) == "gemeinde"
    assert content.responsible(topics["bauantrag"], towns["balve"]) == "kreis"


def test_mixed_topics_have_a_default() -> None:
    mixed = [t.id for t in content.catalogue().values() if t.authority == "mixed"]
    assert mixed
    for topic_id in mixed:
        assert content.mixed_default(topic_id) in ("kreis", "gemeinde")


@pytest.mark.parametrize(
    ("text", "authority"),
    [
        ("Wie beantrage ich Kindergeld?", "familienkasse"),
        ("Wo gebe ich meine Steuererklärung ab?", "finanzamt"),
        ("Bürgergeld beantragen", "jobcenter"),
        ("Wann bekomme ich meinen Rentenbescheid von der Rentenversicherung?", "rentenversicherung"),
        ("Wie melde ich mich vom Rundfunkbeitrag ab?", "rundfunkbeitrag"),
        ("Wie melde ich meinen Hund an?", None),
        ("Ich bin umgezogen", None),
    ],
)
def test_find_authority(text: str, authority: str | None) -> None:
    found = content.find_authority(text)
    assert (found.id if found else None) == authority


def test_every_town_names_its_online_service() -> None:
    """Read from the file itself: the loader would quietly default a missing key to "" (no link)."""
    raw = yaml.safe_load((content.CONTENT_DIR / "directory" / "municipalities.yml").read_text("utf-8"))
    towns = raw["municipalities"]
    assert len(towns) == 15
    missing = [t["id"] for t in towns if not str(t.get("online_services") or "").startswith("https://")]
    assert not missing, f"towns without an https online_services link: {missing}"


@pytest.mark.parametrize("variant", ["de", "en", "ls"])
def test_the_town_sentence_carries_the_online_service(variant: str) -> None:
    for town in content.towns().values():
        sentence = _office_sentence(town, variant)
        assert town.name in sentence and town.office.name in sentence, town.id
        assert town.online_services in sentence, (town.id, variant)
