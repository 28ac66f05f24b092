"""Validation of request values: places, phone numbers, categories, dates, windows, references."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

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
