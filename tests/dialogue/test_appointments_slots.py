"""Offering and formatting appointment slots, finding offices, checking name and contact."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from actions import appointment_offices as offices
from actions import appointment_slots as slots
from actions.appointment_client import Office
from actions.appointment_manage import find_reference
from actions.appointment_offer import wants_other_time
from actions.appointments import normalise_contact, valid_name
from actions.dateparse import BERLIN, DateQuery, parse

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=BERLIN)


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


def every_half_hour(day: int, first: int = 8, last: int = 15) -> list[datetime]:
    start = at(day, first)
    return [start + timedelta(minutes=30 * i) for i in range((last - first) * 2)]


KREISHAUS = "Kreishaus, Heedfelder Straße 45, 58509 Lüdenscheid"
OFFICES = [  # as in backoffice/offices.yml
    Office("zulassung_luedenscheid", "Straßenverkehrsamt – Zulassungsstelle Lüdenscheid",
           "kfz_zulassung", KREISHAUS),
    Office("zulassung_iserlohn", "Straßenverkehrsamt – Zulassungsstelle Iserlohn", "kfz_zulassung",
           "Iserlohn"),
    Office("fuehrerscheinstelle", "Führerscheinstelle des Märkischen Kreises",
           "fuehrerschein_umtausch", KREISHAUS),
    Office("auslaenderbehoerde", "Ausländerbehörde des Märkischen Kreises", "aufenthaltstitel",
           KREISHAUS),
    Office("buergerbuero_kreishaus", "Bürgerbüro im Kreishaus Lüdenscheid", "kontakt", KREISHAUS),
]


# --- formatting -----------------------------------------------------------------------------

def test_long_date_and_time_in_german_and_english() -> None:
    assert slots.long_datetime(at(8, 9, 30), "de") == "Dienstag, 8. Dezember 2026, 9:30 Uhr"
    assert slots.long_datetime(at(8, 9, 30), "ls") == "Dienstag, 8. Dezember 2026, 9:30 Uhr"
    assert slots.long_datetime(at(8, 14, 0), "en") == "Tuesday, 8 December 2026, 14:00"


def test_times_from_another_zone_are_shown_in_berlin_time() -> None:
    winter = datetime.fromisoformat("2026-12-08T07:30:00+00:00")  # 8:30 in Berlin
    assert slots.long_datetime(winter, "de") == "Dienstag, 8. Dezember 2026, 8:30 Uhr"
    summer = datetime.fromisoformat("2027-03-29T07:00:00+00:00")  # 9:00 in summer time
    assert slots.long_datetime(summer, "de") == "Montag, 29. März 2027, 9:00 Uhr"


def test_button_titles_are_short_and_payloads_parse_back_to_the_same_slot() -> None:
    slot = at(8, 9, 30)
    assert slots.button_title(slot, "de") == "Di 8.12. 9:30"
    assert slots.button_title(slot, "en") == "Tue 8 Dec 9:30"
    back = parse(slots.payload(slot), NOW)
    assert back is not None and slots.exact_match([at(8, 9), slot], back) == slot


def test_wish_phrase_names_day_and_window() -> None:
    query = parse("nächsten Dienstag vormittag", NOW)
    assert slots.wish_phrase(query, "de") == "am Dienstag, 8. Dezember 2026 zwischen 8:00 und 12:00 Uhr"
    assert slots.wish_phrase(parse("morgen um 9", NOW), "en") == "on Tuesday, 1 December 2026 at 9:00"
    assert slots.wish_phrase(parse("nächste Woche", NOW), "de").startswith("vom Montag, 7. Dezember")
    assert slots.wish_phrase(parse("morgen ab 14 Uhr", NOW), "de") == \
        "am Dienstag, 1. Dezember 2026 ab 14:00 Uhr"
    assert slots.wish_phrase(parse("vor 10", NOW), "en") == "before 10:00"
    assert slots.wish_phrase(parse("um 9", NOW), "de") == "um 9:00 Uhr"


# --- choosing what to offer -----------------------------------------------------------------

def test_without_a_wish_the_six_earliest_are_offered_in_order() -> None:
    free = every_half_hour(2) + every_half_hour(1)
    offer = slots.choose(free, None)
    assert offer.slots == tuple(every_half_hour(1)[:6])
    assert offer.matches_wish


def test_a_window_keeps_only_slots_inside_it() -> None:
    query = parse("übermorgen nachmittag", NOW)
    offer = slots.choose(every_half_hour(1) + every_half_hour(2), query)
    assert offer.matches_wish
    assert all(s.date() == date(2026, 12, 2) and s.hour >= 12 for s in offer.slots)
    assert len(offer.slots) == 6 and list(offer.slots) == sorted(offer.slots)


def test_a_named_time_offers_the_closest_slots_that_day_earliest_first() -> None:
    query = parse("Dienstag um 11", NOW)
    offer = slots.choose(every_half_hour(1), query)
    assert offer.slots[0] == at(1, 9, 30) and offer.slots[-1] == at(1, 12, 0)
    assert at(1, 11) in offer.slots and len(offer.slots) == 6


def test_nothing_on_the_wished_day_offers_the_nearest_and_says_so() -> None:
    query = parse("Samstag vormittag", NOW)  # 5.12., offices closed
    free = every_half_hour(4) + every_half_hour(7)
    offer = slots.choose(free, query)
    assert not offer.matches_wish
    assert offer.slots == tuple(sorted(offer.slots)) and len(offer.slots) == 6
    assert slots.is_weekend(query) and not slots.is_weekend(parse("Freitag", NOW))


def test_exact_match_needs_day_and_time() -> None:
    free = every_half_hour(8)
    assert slots.exact_match(free, parse("8.12. um 9:30", NOW)) == at(8, 9, 30)
    assert slots.exact_match(free, parse("8.12. um 9:45", NOW)) is None
    assert slots.exact_match(free, parse("8.12.", NOW)) is None
    assert slots.exact_match(free, parse("um 9:30", NOW)) is None  # no day named


def test_the_wish_survives_a_slot_round_trip() -> None:
    for text in ("nächsten Dienstag vormittag", "morgen um 9", "nächste Woche", "um 9"):
        query = parse(text, NOW)
        assert slots.load(slots.dump(query)) == query
    assert slots.load(None) is None and slots.load("kaputt") is None
    assert DateQuery(date(2026, 12, 1), date(2026, 12, 1), time(9)) == slots.load(
        slots.dump(DateQuery(date(2026, 12, 1), date(2026, 12, 1), time(9))))


# --- offices, what to bring -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "office"), [
    ("Termin bei der Zulassungsstelle Lüdenscheid", "zulassung_luedenscheid"),
    ("Straßenverkehrsamt – Zulassungsstelle Iserlohn", "zulassung_iserlohn"),
    ("zulassungsstelle iserlohn", "zulassung_iserlohn"),
    ("Auto anmelden in Iserlohn", "zulassung_iserlohn"),
    ("Führerscheinstelle", "fuehrerscheinstelle"),
    ("fuehrerschein umtauschen", "fuehrerscheinstelle"),
    ("Ausländerbehörde", "auslaenderbehoerde"),
    ("residence permit", "auslaenderbehoerde"),
    ("Bürgerbüro im Kreishaus Lüdenscheid", "buergerbuero_kreishaus"),
    ("Termin bei der Zulassungsstelle", None),  # Lüdenscheid or Iserlohn: ask
    ("Straßenverkehrsamt", None),
    ("Termin bitte", None),
])
def test_office_from_text(text: str, office: str | None) -> None:
    found = offices.find(text, OFFICES)
    assert (found.id if found else None) == office


def test_what_to_bring_comes_from_the_topic_answer() -> None:
    german = offices.bring("kfz_zulassung", "de")
    assert any("eVB" in item for item in german)
    assert offices.bring("kfz_zulassung", "en")[0].startswith("ID card")
    assert offices.bring("kfz_zulassung", "ls") == german
    assert offices.bring("no_such_topic", "de") == []


# --- name, contact, reference -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("0171 2345678", "+491712345678"),
    ("+49 2351 966-60", "+49235196660"),
    ("Erika@Example.org", "erika@example.org"),
    ("12345", None),
    ("keine Ahnung", None),
    ("erika@", None),
])
def test_contact_is_a_valid_phone_number_or_email(text: str, expected: str | None) -> None:
    assert normalise_contact(text) == expected


def test_names_need_letters_and_no_digits() -> None:
    assert valid_name("  Erika   Mustermann ") == "Erika Mustermann"
    assert valid_name("Çelik Özdemir") == "Çelik Özdemir"
    assert valid_name("123") is None
    assert valid_name("a") is None
    assert valid_name("erika@example.org") is None


def test_reference_numbers_are_found_in_free_text() -> None:
    assert find_reference("Termin absagen MK-2026-000123-7") == "MK-2026-000123-7"
    assert find_reference("mk 2026 000123 7 bitte") == "MK-2026-000123-7"
    assert find_reference("MK20260001237") == "MK-2026-000123-7"
    assert find_reference("Termin absagen") is None


def test_other_time_is_recognised_but_a_date_wins() -> None:
    assert wants_other_time("Andere Zeit")
    assert wants_other_time("keiner passt mir")
    assert not wants_other_time("Di 8.12. 9:30")


def test_the_confirmation_names_everything_and_is_compact_on_sms() -> None:
    from actions.appointment_client import Booking
    from actions.appointments import booked_text

    booking = Booking("MK-2026-000123-7", "482913", "zulassung_luedenscheid", at(8, 9, 30))
    full = booked_text(booking, OFFICES[0], "de")
    for part in ("MK-2026-000123-7", "482913", "Dienstag, 8. Dezember 2026, 9:30 Uhr",
                 "Heedfelder Straße 45", "Bitte mitbringen:", "• eVB-Nummer Ihrer Versicherung"):
        assert part in full
    sms = booked_text(booking, OFFICES[0], "de", "sms")
    assert "MK-2026-000123-7" in sms and "PIN 482913" in sms and "Mitbringen: " in sms
    assert "\n" not in sms and len(sms) < len(full)
    english = booked_text(booking, OFFICES[0], "en")
    assert "Tuesday, 8 December 2026, 9:30" in english and "Please bring:" in english
