"""Slots of offices.yml: opening hours, NRW holidays, closing days, DST, never in the past, horizon."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from backoffice import calendar
from backoffice.calendar import OfficesError

OFFICES = calendar.load()
LUED = OFFICES["zulassung_luedenscheid"]
HORIZON = timedelta(days=28)


def test_every_office_is_marked_unverified_with_source_and_review_date() -> None:
    import yaml

    raw = yaml.safe_load(calendar.OFFICES_PATH.read_text(encoding="utf-8"))["offices"]
    assert {"zulassung_luedenscheid", "zulassung_iserlohn", "fuehrerscheinstelle", "auslaenderbehoerde",
            "buergerbuero_kreishaus"} <= set(raw)
    for office in raw.values():
        assert office["verified"] is False and office["source"] and office["review_by"]


@pytest.mark.parametrize(("day", "first", "count"), [
    (date(2026, 12, 7), "07:30", 20),            # Monday: 07:30-12:30 in 15 minutes
    (date(2026, 12, 10), "07:30", 20 + 14),      # Thursday: plus 14:00-17:30
    (date(2026, 12, 11), "07:30", 18),           # Friday: until 12:00
    (date(2026, 12, 12), None, 0),               # Saturday
    (date(2026, 12, 24), None, 0),               # closed day of the office (Thursday)
    (date(2026, 12, 25), None, 0),               # public holiday
    (date(2027, 5, 27), None, 0),                # Fronleichnam (Easter + 60): a holiday in NRW
    (date(2027, 3, 29), None, 0),                # Ostermontag
    (date(2027, 3, 30), "07:30", 20),            # Tuesday after the switch to summer time
])
def test_slots_per_day(day: date, first: str | None, count: int) -> None:
    slots = list(LUED.slots_on(day))
    assert len(slots) == count
    if first:
        assert slots[0].start.strftime("%H:%M") == first
        assert all(slot.end - slot.start == timedelta(minutes=15) for slot in slots)


def test_offsets_follow_daylight_saving_time() -> None:
    winter = next(LUED.slots_on(date(2027, 3, 25)))
    summer = next(LUED.slots_on(date(2027, 3, 30)))
    assert winter.start.isoformat() == "2027-03-25T07:30:00+01:00"
    assert summer.start.isoformat() == "2027-03-30T07:30:00+02:00"
    assert summer.start.astimezone(UTC).hour == 5 and winter.start.astimezone(UTC).hour == 6


def test_free_slots_never_in_the_past_and_within_the_horizon() -> None:
    now = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)  # 10:30 in Berlin
    slots = calendar.free_slots(LUED, {}, now, date(2026, 12, 1), 60, HORIZON, limit=10_000)
    assert slots[0].start.isoformat() == "2026-12-07T10:45:00+01:00"
    assert all(now < slot.start <= now + HORIZON for slot in slots)
    assert max(slot.start for slot in slots).date() <= date(2027, 1, 4)


def test_free_slots_skip_full_slots_and_filter_by_time_of_day() -> None:
    now = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    first = next(LUED.slots_on(date(2026, 12, 8)))
    booked = {first.start.astimezone(UTC): LUED.counters}  # all counters taken
    slots = calendar.free_slots(LUED, booked, now, date(2026, 12, 8), 1, HORIZON,
                                after=time(7, 30), before=time(9, 0), limit=50)
    assert [slot.start.strftime("%H:%M") for slot in slots] == ["07:45", "08:00", "08:15", "08:30", "08:45"]
    partly = {first.start.astimezone(UTC): LUED.counters - 1}
    assert calendar.free_slots(LUED, partly, now, date(2026, 12, 8), 1, HORIZON, limit=1)[0] == first


@pytest.mark.parametrize(("start", "found"), [
    (datetime(2026, 12, 8, 7, 45, tzinfo=calendar.load()["zulassung_luedenscheid"].tz), True),
    (datetime(2026, 12, 8, 6, 45, tzinfo=UTC), True),   # the same instant in UTC
    (datetime(2026, 12, 8, 7, 50, tzinfo=UTC), False),  # off the grid
    (datetime(2026, 12, 8, 12, 30, tzinfo=UTC), False),  # after closing
])
def test_slot_at(start: datetime, found: bool) -> None:
    assert (LUED.slot_at(start) is not None) is found


def test_malformed_file_names_the_place(tmp_path: Path) -> None:
    path = tmp_path / "offices.yml"
    path.write_text("offices:\n  x:\n    name: X\n    topic: t\n    department: d\n    address: a\n"
                    "    slot_minutes: 15\n    counters: 1\n    hours:\n      mon: ['8-12']\n",
                    encoding="utf-8")
    with pytest.raises(OfficesError, match=r"offices.x.hours.mon"):
        calendar.load(path)
