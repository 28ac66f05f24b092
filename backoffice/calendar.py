"""Offices and their bookable slots (``offices.yml``): weekly hours, slot length, counters,
NRW public holidays (``holidays``, subdivision NW), Europe/Berlin.

Slots are built on local wall-clock times and converted with ``zoneinfo``,
so "08:00" stays 08:00 across a DST change. Pure functions: which slots exist
and which are free given the bookings; the database is ``appointments.py``'s.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import yaml

from backoffice.timeutil import aware

OFFICES_PATH = Path(__file__).with_name("offices.yml")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


class OfficesError(ValueError):
    """offices.yml is malformed; the message names the office and field."""


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, office time zone
    end: datetime

    def as_json(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True)
class Office:
    id: str
    name: str
    topic: str
    department: str
    address: str
    slot_minutes: int
    counters: int
    weekly: Mapping[int, tuple[tuple[time, time], ...]]
    closed: frozenset[str]
    tz: ZoneInfo

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "topic": self.topic, "address": self.address}

    def is_closed_day(self, day: date) -> bool:
        return day.strftime("%m-%d") in self.closed or day in _nrw_holidays(day.year)

    def slots_on(self, day: date) -> Iterator[Slot]:
        if self.is_closed_day(day):
            return
        step = timedelta(minutes=self.slot_minutes)
        for open_at, close_at in self.weekly.get(day.weekday(), ()):
            start = datetime.combine(day, open_at)
            close = datetime.combine(day, time(0)) + timedelta(hours=24) if close_at == time(0) \
                else datetime.combine(day, close_at)
            while start + step <= close:
                yield Slot(start.replace(tzinfo=self.tz), (start + step).replace(tzinfo=self.tz))
                start += step

    def slot_at(self, start: datetime) -> Slot | None:
        """The slot starting exactly at ``start`` (any offset), or None."""
        local = aware(start).astimezone(self.tz)
        return next((slot for slot in self.slots_on(local.date()) if slot.start == local), None)


@functools.cache
def _nrw_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("DE", subdiv="NW", years=year)


def _time(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    return time(0) if hours == 24 else time(hours, minutes)


def _office(office_id: str, raw: dict, tz: ZoneInfo) -> Office:
    where = f"offices.{office_id}"
    weekly: dict[int, tuple[tuple[time, time], ...]] = {}
    for name, spans in (raw.get("hours") or {}).items():
        if name not in WEEKDAYS or not isinstance(spans, list):
            raise OfficesError(f"{where}.hours: {name!r} is not a weekday with a list of spans")
        parsed = []
        for span in spans:
            if not _SPAN.match(str(span)):
                raise OfficesError(f"{where}.hours.{name}: {span!r} is not HH:MM-HH:MM")
            parsed.append(tuple(_time(part) for part in str(span).split("-")))
        weekly[WEEKDAYS.index(name)] = tuple(parsed)  # type: ignore[arg-type]
    closed = frozenset(str(day) for day in raw.get("closed") or ())
    if bad := [day for day in closed if not _MONTH_DAY.match(day)]:
        raise OfficesError(f"{where}.closed: {bad[0]!r} is not MM-DD")
    try:
        return Office(office_id, str(raw["name"]), str(raw["topic"]), str(raw["department"]),
                      str(raw["address"]), int(raw["slot_minutes"]), int(raw["counters"]), weekly, closed, tz)
    except KeyError as exc:
        raise OfficesError(f"{where}: {exc.args[0]} missing") from exc


@functools.cache
def load(path: Path = OFFICES_PATH) -> dict[str, Office]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    tz = ZoneInfo(raw.get("timezone", "Europe/Berlin"))
    offices = {office_id: _office(office_id, body, tz) for office_id, body in raw["offices"].items()}
    for office in offices.values():
        if not (5 <= office.slot_minutes <= 240 and 1 <= office.counters <= 50):
            raise OfficesError(f"offices.{office.id}: slot_minutes 5..240 and counters 1..50")
    return offices


def free_slots(office: Office, booked: Mapping[datetime, int], now: datetime, first_day: date, days: int,
               horizon: timedelta, after: time | None = None, before: time | None = None,
               limit: int = 50) -> list[Slot]:
    """Free slots from ``first_day`` for ``days`` days: after ``now``, within ``horizon`` of it,
    inside [after, before) local time, with fewer bookings than counters (``booked``: UTC start -> n)."""
    now = aware(now)
    last = now + horizon
    found: list[Slot] = []
    for offset in range(days):
        for slot in office.slots_on(first_day + timedelta(days=offset)):
            if slot.start <= now or slot.start > last:
                continue
            local = slot.start.timetz().replace(tzinfo=None)
            if (after and local < after) or (before and local >= before):
                continue
            if booked.get(slot.start.astimezone(now.tzinfo), 0) >= office.counters:
                continue
            found.append(slot)
            if len(found) >= limit:
                return found
    return found
