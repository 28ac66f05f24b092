"""Office hours for the live handoff: weekly hours, NRW holidays, DST, the shipped file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backoffice import office_hours

BERLIN = ZoneInfo("Europe/Berlin")
DESK = office_hours.load().office()


def berlin(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN)


# (moment, open?, next opening)
CASES: list[tuple[str, datetime, bool, datetime]] = [
    ("Monday morning", berlin(2026, 12, 7, 9, 30), True, berlin(2026, 12, 7, 9, 30)),
    ("before opening", berlin(2026, 12, 7, 7, 59), False, berlin(2026, 12, 7, 8, 0)),
    ("closing time is closed", berlin(2026, 12, 7, 16, 0), False, berlin(2026, 12, 8, 8, 0)),
    ("Friday afternoon", berlin(2026, 12, 4, 12, 0), False, berlin(2026, 12, 7, 8, 0)),
    ("Friday morning", berlin(2026, 12, 4, 11, 59), True, berlin(2026, 12, 4, 11, 59)),
    ("Saturday", berlin(2026, 12, 5, 10, 0), False, berlin(2026, 12, 7, 8, 0)),
    ("Christmas Day (Friday), Boxing Day, weekend", berlin(2026, 12, 25, 10, 0), False,
     berlin(2026, 12, 28, 8, 0)),
    ("Christmas Eve is closed by the file", berlin(2026, 12, 24, 10, 0), False, berlin(2026, 12, 28, 8, 0)),
    ("New Year's Eve, New Year's Day", berlin(2026, 12, 31, 9, 0), False, berlin(2027, 1, 4, 8, 0)),
    ("Fronleichnam (NRW)", berlin(2026, 6, 4, 10, 0), False, berlin(2026, 6, 5, 8, 0)),
    ("Good Friday to Easter Monday", berlin(2026, 4, 2, 17, 0), False, berlin(2026, 4, 7, 8, 0)),
    ("Christi Himmelfahrt", berlin(2026, 5, 13, 16, 30), False, berlin(2026, 5, 15, 8, 0)),
    ("Pfingstmontag", berlin(2026, 5, 25, 9, 0), False, berlin(2026, 5, 26, 8, 0)),
]


@pytest.mark.parametrize(("name", "at", "is_open", "next_open"), CASES, ids=[c[0] for c in CASES])
def test_hours(name: str, at: datetime, is_open: bool, next_open: datetime) -> None:
    assert DESK.is_open(at) is is_open
    assert DESK.next_open(at) == next_open
    assert DESK.is_open(DESK.next_open(at))


# DST: the local opening time stays 08:00, its UTC instant moves by an hour.
DST: list[tuple[datetime, bool, datetime]] = [
    (datetime(2026, 3, 27, 6, 30, tzinfo=UTC), False, datetime(2026, 3, 27, 7, 0, tzinfo=UTC)),  # CET
    (datetime(2026, 3, 28, 12, 0, tzinfo=UTC), False, datetime(2026, 3, 30, 6, 0, tzinfo=UTC)),  # -> CEST
    (datetime(2026, 3, 30, 6, 30, tzinfo=UTC), True, datetime(2026, 3, 30, 6, 30, tzinfo=UTC)),
    (datetime(2026, 10, 23, 11, 0, tzinfo=UTC), False, datetime(2026, 10, 26, 7, 0, tzinfo=UTC)),  # -> CET
    (datetime(2026, 10, 26, 6, 30, tzinfo=UTC), False, datetime(2026, 10, 26, 7, 0, tzinfo=UTC)),
    (datetime(2026, 10, 26, 14, 59, tzinfo=UTC), True, datetime(2026, 10, 26, 14, 59, tzinfo=UTC)),
    (datetime(2026, 10, 26, 15, 0, tzinfo=UTC), False, datetime(2026, 10, 27, 7, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize(("at", "is_open", "next_open"), DST)
def test_daylight_saving_changes(at: datetime, is_open: bool, next_open: datetime) -> None:
    assert DESK.is_open(at) is is_open
    assert DESK.next_open(at) == next_open


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        DESK.is_open(datetime(2026, 12, 7, 9, 0))


def test_the_shipped_file_says_it_is_an_example() -> None:
    text = office_hours.DEFAULT_PATH.read_text(encoding="utf-8")
    assert "verified: false" in text and "source:" in text and "reviewed:" in text
    assert DESK.weekly[0] == DESK.weekly[3] != DESK.weekly[4]


@pytest.mark.parametrize(("content", "problem"), [
    ("offices: {}", "needs a mapping 'offices'"),
    ("offices: {a: {hours: {mon: ['8-16']}}}", "is not HH:MM-HH:MM"),
    ("offices: {a: {hours: {mon: ['16:00-08:00']}}}", "ends before it starts"),
    ("offices: {a: {hours: {monday: ['08:00-16:00']}}}", "keys must be among"),
    ("offices: {a: {hours: {mon: ['08:00-16:00']}, closed: ['24.12.']}}", "a list of MM-DD"),
    ("default_office: b\noffices: {a: {hours: {mon: ['08:00-16:00']}}}", "is not among the offices"),
    ("offices: {a: {hours: {}, serves: 'zulassung'}}", "a list of office ids"),
    ("offices: {a: {hours: {}, serves: [x]}, b: {hours: {}, serves: [x]}}", "in the serves of two desks"),
    ("offices: {a: {hours: {}, topics: wohngeld}}", "a list of topic ids"),
    ("offices: {a: {hours: {}, topics: [wohngeld]}, b: {hours: {}, topics: [wohngeld]}}",
     "in the topics of two desks"),
    ("offices: {a: {hours: {}, topics: [fuehrerschein]}}",
     "^hours.yml: offices.a.topics: 'fuehrerschein' is not a topic id of the catalogue"),
])
def test_malformed_files_are_named(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "hours.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(office_hours.HoursError, match=problem):
        office_hours.load(path)


def test_desk_by_office_first_then_topic_then_default() -> None:
    desks = office_hours.load()
    assert desks.desk_for(None, "fuehrerschein_verlust").id == "strassenverkehrsamt"
    assert desks.desk_for("buergerservice", "kfz_zulassung").id == "buergerservice"  # the office wins
    assert desks.desk_for("zulassung_iserlohn", "wohngeld").id == "strassenverkehrsamt"
    assert desks.desk_for("buergerbuero_kreishaus", "wunschkennzeichen").id == "strassenverkehrsamt"
    assert desks.desk_for(None, "wohngeld").id == desks.desk_for(None, None).id == "buergerservice"


def test_the_shipped_topics_are_the_vehicle_and_licence_topics_of_the_catalogue() -> None:
    topics = office_hours.load().topics
    assert set(topics.values()) == {"strassenverkehrsamt"}
    catalogue = office_hours.catalogue_ids()
    assert set(topics) == {t for t in catalogue if t.startswith(("kfz_", "fuehrerschein_"))} | {
        "wunschkennzeichen"}


def test_topics_are_checked_against_the_given_catalogue(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.yml"
    catalogue.write_text("topics: [{id: wohngeld, title: Wohngeld}]", encoding="utf-8")
    with pytest.raises(office_hours.HoursError, match="'kfz_zulassung' is not a topic id"):
        office_hours.load(catalogue=catalogue)
