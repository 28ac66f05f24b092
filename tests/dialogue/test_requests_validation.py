"""Validation of request values: places, phone numbers, categories, dates, windows, references."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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
# Approximate centres (town hall / market square, WGS 84) of the 15 towns, for the boundary check;
# municipalities.yml has no coordinates of its own. Not checked against a gazetteer (verified: false,
# review by 2027-06-01); a town added there must be added here too.
_CENTRES = {
    "altena": (51.2989, 7.6717), "balve": (51.3317, 7.8647), "halver": (51.1869, 7.5017),
    "hemer": (51.3858, 7.7697), "herscheid": (51.1786, 7.7444), "iserlohn": (51.3758, 7.7003),
    "kierspe": (51.1344, 7.5936), "luedenscheid": (51.2194, 7.6289),
    "meinerzhagen": (51.1072, 7.6433), "menden": (51.4394, 7.7931),
    "nachrodt_wiblingwerde": (51.3236, 7.6372), "neuenrade": (51.2831, 7.7803),
    "plettenberg": (51.2097, 7.8711), "schalksmuehle": (51.2417, 7.5194), "werdohl": (51.2617, 7.7625),
}


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
    ids = {town["id"] for town in _DIRECTORY["municipalities"]}
    assert ids == set(_CENTRES), "a centre per directory town"
    outside = []
    for town in _DIRECTORY["municipalities"]:
        for lat, lon in filter(None, (_centre_in_file(town), _CENTRES[town["id"]])):
            verdict = places.from_coordinates({"lat": lat, "lon": lon})
            if verdict is None or verdict.place is None:
                outside.append((town["id"], lat, lon))
    assert outside == []
