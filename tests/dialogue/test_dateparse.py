"""The appointment date parser against a fixed clock.

Reference: Monday 2026-11-30 10:00 Europe/Berlin, unless a row says otherwise.
Each row: text, expected first day, last day, time, window, in_past, date_given.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from actions.dateparse import BERLIN, WINDOWS, DateQuery, parse

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=BERLIN)
FORENOON, AFTERNOON = WINDOWS["forenoon"], WINDOWS["afternoon"]


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def t(hour: int, minute: int = 0) -> time:
    return time(hour, minute)


# text, first, last (None: same as first), time, window, in_past, date_given
ROWS: list[tuple[str, date, date | None, time | None, tuple[time, time] | None, bool, bool]] = [
    # days relative to today
    ("heute", d(11, 30), None, None, None, False, True),
    ("morgen", d(12, 1), None, None, None, False, True),
    ("übermorgen", d(12, 2), None, None, None, False, True),
    ("uebermorgen", d(12, 2), None, None, None, False, True),
    ("ubermorgen", d(12, 2), None, None, None, False, True),
    ("Übermorgen bitte!", d(12, 2), None, None, None, False, True),
    ("gestern", d(11, 29), None, None, None, True, True),
    ("in 3 Tagen", d(12, 3), None, None, None, False, True),
    ("in drei Tagen", d(12, 3), None, None, None, False, True),
    ("in einer Woche", d(12, 7), None, None, None, False, True),
    ("in 2 Wochen", d(12, 14), None, None, None, False, True),
    # weekdays (today is a Monday)
    ("Dienstag", d(12, 1), None, None, None, False, True),
    ("am Freitag", d(12, 4), None, None, None, False, True),
    ("Montag", d(12, 7), None, None, None, False, True),
    ("nächsten Dienstag", d(12, 8), None, None, None, False, True),
    ("naechsten Dienstag", d(12, 8), None, None, None, False, True),
    ("nachsten dienstag", d(12, 8), None, None, None, False, True),
    ("kommenden Montag", d(12, 7), None, None, None, False, True),
    ("kommenden Mittwoch", d(12, 2), None, None, None, False, True),
    ("diesen Donnerstag", d(12, 3), None, None, None, False, True),
    ("übernächsten Freitag", d(12, 18), None, None, None, False, True),
    ("letzten Montag", d(11, 23), None, None, None, True, True),
    ("Dienstag nächste Woche", d(12, 8), None, None, None, False, True),
    ("Freitag, 4.12.", d(12, 4), None, None, None, False, True),
    # weeks
    ("nächste Woche", d(12, 7), d(12, 13), None, None, False, True),
    ("in der kommenden Woche", d(12, 7), d(12, 13), None, None, False, True),
    ("übernächste Woche", d(12, 14), d(12, 20), None, None, False, True),
    ("diese Woche", d(11, 30), d(12, 6), None, None, False, True),
    # calendar dates; without a year they roll into the next year when past
    ("12.3.", d(3, 12, 2027), None, None, None, False, True),
    ("12.03.2027", d(3, 12, 2027), None, None, None, False, True),
    ("12.3.27", d(3, 12, 2027), None, None, None, False, True),
    ("12. März", d(3, 12, 2027), None, None, None, False, True),
    ("12. Maerz", d(3, 12, 2027), None, None, None, False, True),
    ("am 4.12 um 9", d(12, 4), None, t(9), None, False, True),
    ("30.11.", d(11, 30), None, None, None, False, True),
    ("29.11.", d(11, 29, 2027), None, None, None, False, True),
    ("29.11.2026", d(11, 29), None, None, None, True, True),
    ("12.03.2025", d(3, 12, 2025), None, None, None, True, True),
    ("2026-12-08", d(12, 8), None, None, None, False, True),
    ("29.2.", d(2, 29, 2028), None, None, None, False, True),
    ("3. Dezember um 14 Uhr", d(12, 3), None, t(14), None, False, True),
    # times
    ("um 9", d(12, 1), None, t(9), None, False, False),
    ("um 11", d(11, 30), None, t(11), None, False, False),
    ("9:30", d(12, 1), None, t(9, 30), None, False, False),
    ("9.30 Uhr", d(12, 1), None, t(9, 30), None, False, False),
    ("9 Uhr 30", d(12, 1), None, t(9, 30), None, False, False),
    ("14h", d(11, 30), None, t(14), None, False, False),
    ("halb zehn", d(12, 1), None, t(9, 30), None, False, False),
    ("halb drei", d(11, 30), None, t(14, 30), None, False, False),
    ("halb eins", d(11, 30), None, t(12, 30), None, False, False),
    ("viertel nach 9", d(12, 1), None, t(9, 15), None, False, False),
    ("viertel vor elf", d(11, 30), None, t(10, 45), None, False, False),
    ("um 3", d(11, 30), None, t(15), None, False, False),
    ("um eins", d(11, 30), None, t(13), None, False, False),
    ("ab 14 Uhr", d(11, 30), None, None, (t(14), t(23, 59)), False, False),
    ("zwischen 9 und 11 Uhr", d(11, 30), None, None, (t(9), t(11)), False, False),
    ("heute um 9", d(11, 30), None, t(9), None, True, True),
    ("heute um 11", d(11, 30), None, t(11), None, False, True),
    # time windows
    ("vormittags", d(11, 30), None, None, FORENOON, False, False),
    ("vormittag", d(11, 30), None, None, FORENOON, False, False),
    ("morgens", d(12, 1), None, None, WINDOWS["early"], False, False),
    ("nachmittags", d(11, 30), None, None, AFTERNOON, False, False),
    ("mittags", d(11, 30), None, None, WINDOWS["noon"], False, False),
    ("abends", d(11, 30), None, None, WINDOWS["evening"], False, False),
    ("heute morgen", d(11, 30), None, None, WINDOWS["early"], True, True),
    ("morgen früh", d(12, 1), None, None, WINDOWS["early"], False, True),
    ("Dienstagnachmittag", d(12, 1), None, None, AFTERNOON, False, True),
    ("Dienstag morgen", d(12, 1), None, None, WINDOWS["early"], False, True),
    # combinations
    ("übermorgen vormittag", d(12, 2), None, None, FORENOON, False, True),
    ("uebermorgen vormittags", d(12, 2), None, None, FORENOON, False, True),
    ("12.3. um 9 Uhr", d(3, 12, 2027), None, t(9), None, False, True),
    ("nächsten Dienstag gegen 10", d(12, 8), None, t(10), None, False, True),
    ("nächsten Dienstag vormittag", d(12, 8), None, None, FORENOON, False, True),
    ("morgen vormittag um 11", d(12, 1), None, t(11), None, False, True),
    ("Freitag nachmittag um 3", d(12, 4), None, t(15), None, False, True),
    ("morgen abend um 6", d(12, 1), None, t(18), None, False, True),
    ("um 3 am Freitag", d(12, 4), None, t(15), None, False, True),
    ("Geht auch nächste Woche Mittwoch um halb neun?", d(12, 9), None, t(8, 30), None, False, True),
    ("Termin verschieben MK-2026-000123-7 auf morgen", d(12, 1), None, None, None, False, True),
    # English
    ("today", d(11, 30), None, None, None, False, True),
    ("tomorrow", d(12, 1), None, None, None, False, True),
    ("day after tomorrow", d(12, 2), None, None, None, False, True),
    ("next Tuesday", d(12, 8), None, None, None, False, True),
    ("on Friday", d(12, 4), None, None, None, False, True),
    ("next week", d(12, 7), d(12, 13), None, None, False, True),
    ("in 3 days", d(12, 3), None, None, None, False, True),
    ("Dec 3 at 9am", d(12, 3), None, t(9), None, False, True),
    ("December 3rd, 2027", d(12, 3, 2027), None, None, None, False, True),
    ("3 December", d(12, 3), None, None, None, False, True),
    ("tomorrow at 2 pm", d(12, 1), None, t(14), None, False, True),
    ("tomorrow morning", d(12, 1), None, None, FORENOON, False, True),
    ("half past nine", d(12, 1), None, t(9, 30), None, False, False),
]


@pytest.mark.parametrize(("text", "first", "last", "at", "window", "past", "given"), ROWS,
                         ids=[row[0] for row in ROWS])
def test_table(text: str, first: date, last: date | None, at: time | None,
               window: tuple[time, time] | None, past: bool, given: bool) -> None:
    assert parse(text, NOW) == DateQuery(first, last or first, at, window, past, given)


@pytest.mark.parametrize("text", [
    "hallo", "Ich möchte einen Termin", "um einen Termin bitte", "at a time that suits me",
    "Termin absagen MK-2026-000123-7", "31.2.", "30.02.2027", "um 25 Uhr", "",
])
def test_no_date_or_impossible_date_is_none(text: str) -> None:
    assert parse(text, NOW) is None


def test_year_wraps_at_new_year() -> None:
    now = datetime(2026, 12, 30, 16, 0, tzinfo=BERLIN)  # a Wednesday
    assert parse("3. Januar", now).first == date(2027, 1, 3)
    assert parse("in 3 Tagen", now).first == date(2027, 1, 2)
    assert parse("nächste Woche", now) == DateQuery(date(2027, 1, 4), date(2027, 1, 10))
    assert parse("Freitag", now).first == date(2027, 1, 1)
    assert parse("morgen", now).first == date(2026, 12, 31)
    assert parse("um 9", now).first == date(2026, 12, 31)  # 9:00 is over today
    assert parse("30.12.", now).in_past is False
    assert parse("29.12.", now).first == date(2027, 12, 29)


def test_daylight_saving_time_starts_in_late_march() -> None:
    now = datetime(2027, 3, 26, 10, 0, tzinfo=BERLIN)  # Friday; DST starts Sunday 28.3.
    before, after = parse("Samstag um 9", now), parse("Montag um 9", now)
    assert before.start.utcoffset() == timedelta(hours=1)
    assert after.start.utcoffset() == timedelta(hours=2)
    assert after.first == date(2027, 3, 29)
    # Calendar arithmetic: three days later is the same wall-clock time, 71 hours in UTC.
    three = parse("in 3 Tagen um 10", now)
    assert three.start.hour == 10 and three.first == date(2027, 3, 29)
    utc = three.start.astimezone(timezone.utc) - now.astimezone(timezone.utc)
    assert utc == timedelta(hours=71)


def test_now_in_another_zone_is_converted_to_berlin() -> None:
    late_utc = datetime(2026, 11, 30, 23, 30, tzinfo=timezone.utc)  # 00:30 on 1.12. in Berlin
    assert parse("heute", late_utc).first == date(2026, 12, 1)


def test_start_is_the_time_or_the_window_opening() -> None:
    assert parse("morgen um 9:30", NOW).start == datetime(2026, 12, 1, 9, 30, tzinfo=BERLIN)
    assert parse("morgen nachmittag", NOW).start == datetime(2026, 12, 1, 12, 0, tzinfo=BERLIN)
    assert parse("nächste Woche", NOW).is_range
