"""When staff take live chats: weekly hours per office, NRW public holidays, Europe/Berlin.

Read from ``backoffice/handoff_hours.yml`` (example data until verified).
All arithmetic happens on local wall-clock times in the office's time zone
and is converted back with ``zoneinfo``, so a DST change moves the UTC
instant of "08:00", not the local opening time. Public holidays come from
``holidays`` (country DE, subdivision NW); ``closed`` adds yearly closing
days (e.g. 24 and 31 December).

Several desks: a handoff request may name an office (``POST /api/v1/handoff``,
``office``); a desk's ``serves`` lists the appointment offices of
``offices.yml`` whose citizens it answers (the dialogue sends the office of
an appointment form), so a citizen booking at the vehicle registration is
told that desk's hours. A desk's ``topics`` lists catalogue topic ids
(``nlu_data/catalogue.yml``) it answers: the dialogue sends the topic of the
conversation, so a citizen who asked about a driving licence reaches the
Straßenverkehrsamt without booking. Office first, then topic, then
``default_office``. Topic ids are checked against the catalogue when the file
is loaded (start-up), so a typo stops the service with one line naming it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import yaml

DEFAULT_PATH = Path(__file__).with_name("handoff_hours.yml")
DEFAULT_CATALOGUE = Path(__file__).resolve().parents[1] / "nlu_data" / "catalogue.yml"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOOKAHEAD_DAYS = 60
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
_OFFICE_ID = re.compile(r"^[a-z0-9_]{1,60}$")


class HoursError(ValueError):
    """The hours file is malformed; the message names the place."""


@dataclass(frozen=True)
class OfficeHours:
    id: str
    name: str
    weekly: dict[int, tuple[tuple[time, time], ...]]  # weekday 0 = Monday
    closed: frozenset[str] = frozenset()  # "MM-DD", every year
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Berlin"))
    subdiv: str = "NW"

    def is_closed_day(self, day: date) -> bool:
        return day.strftime("%m-%d") in self.closed or day in _public_holidays(self.subdiv, day.year)

    def _spans(self, day: date) -> list[tuple[datetime, datetime]]:
        if self.is_closed_day(day):
            return []
        return [(datetime.combine(day, start, self.tz), datetime.combine(day, end, self.tz))
                for start, end in self.weekly.get(day.weekday(), ())]

    def is_open(self, at: datetime) -> bool:
        local = _aware(at).astimezone(self.tz)
        return any(start <= local < end for start, end in self._spans(local.date()))

    def next_open(self, at: datetime) -> datetime | None:
        """``at`` itself when open, else the next opening (local time); None if none in 60 days."""
        local = _aware(at).astimezone(self.tz)
        for offset in range(LOOKAHEAD_DAYS + 1):
            for start, end in self._spans(local.date() + timedelta(days=offset)):
                if local < end:
                    return max(start, local)
        return None


@functools.lru_cache(maxsize=32)
def _public_holidays(subdiv: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("DE", subdiv=subdiv, years=year))


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("a time zone aware datetime is required")
    return at


def _time(hours: int, minutes: int) -> time:
    return time.max if hours == 24 else time(hours, minutes)


def parse_office(office_id: str, raw: object, tz: ZoneInfo) -> OfficeHours:
    if not isinstance(raw, dict):
        raise HoursError(f"offices.{office_id}: must be a mapping")
    hours = raw.get("hours")
    if not isinstance(hours, dict) or not set(hours) <= set(WEEKDAYS):
        raise HoursError(f"offices.{office_id}.hours: keys must be among {', '.join(WEEKDAYS)}")
    weekly: dict[int, tuple[tuple[time, time], ...]] = {}
    for name, spans in hours.items():
        if not isinstance(spans, list):
            raise HoursError(f"offices.{office_id}.hours.{name}: a list like ['08:00-12:00']")
        parsed = []
        for span in spans:
            match = _SPAN.match(str(span))
            if not match:
                raise HoursError(f"offices.{office_id}.hours.{name}: {span!r} is not HH:MM-HH:MM")
            start = time(int(match[1]), int(match[2]))
            end = _time(int(match[3]), int(match[4]))
            if end <= start:
                raise HoursError(f"offices.{office_id}.hours.{name}: {span!r} ends before it starts")
            parsed.append((start, end))
        weekly[WEEKDAYS.index(name)] = tuple(sorted(parsed))
    closed = raw.get("closed") or []
    if not isinstance(closed, list) or not all(_MONTH_DAY.match(str(day)) for day in closed):
        raise HoursError(f"offices.{office_id}.closed: a list of MM-DD")
    return OfficeHours(office_id, str(raw.get("name") or office_id), weekly, frozenset(map(str, closed)), tz)


@dataclass(frozen=True)
class HandoffHours:
    offices: dict[str, OfficeHours]
    default: str
    serves: dict[str, str] = field(default_factory=dict)  # appointment office id -> desk id
    topics: dict[str, str] = field(default_factory=dict)  # catalogue topic id -> desk id

    def office(self, office_id: str | None = None) -> OfficeHours:
        return self.offices[office_id or self.default]

    def desk_for(self, office_id: str | None, topic: str | None = None) -> OfficeHours:
        """The desk named or serving that appointment office; else the desk of the topic; else the
        default desk. The office wins: it is what the citizen is booking, the topic only what was
        talked about last."""
        if office_id in self.offices:
            return self.offices[office_id]
        if office_id in self.serves:
            return self.offices[self.serves[office_id]]
        return self.offices[self.topics.get(topic or "", self.default)]


def _assigned(data: dict, key: str, what: str, taken: Collection[str], name: str) -> dict[str, str]:
    """Id -> desk from each desk's list ``key``; each id at one desk at most, none a desk id."""
    assigned: dict[str, str] = {}
    for desk_id, raw in data["offices"].items():
        listed = raw.get(key) or []
        if not isinstance(listed, list) or not all(_OFFICE_ID.match(str(item)) for item in listed):
            raise HoursError(f"offices.{desk_id}.{key}: a list of {what}")
        for item in map(str, listed):
            if item in assigned or item in taken:
                raise HoursError(f"{name}: {item!r} is a desk or in the {key} of two desks")
            assigned[item] = str(desk_id)
    return assigned


def catalogue_ids(path: Path = DEFAULT_CATALOGUE) -> frozenset[str]:
    """The public topic ids of the content catalogue."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return frozenset(str(topic["id"]) for topic in data.get("topics") or [])


def _check_topics(topics: dict[str, str], known: Collection[str], name: str) -> None:
    for topic, desk in topics.items():
        if topic not in known:
            raise HoursError(f"{name}: offices.{desk}.topics: {topic!r} is not a topic id of the catalogue "
                             "(nlu_data/catalogue.yml)")


def load(path: Path = DEFAULT_PATH, catalogue: Path = DEFAULT_CATALOGUE) -> HandoffHours:
    """The desks; ``topics`` are checked against the topic ids of ``catalogue``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("offices"), dict) or not data["offices"]:
        raise HoursError(f"{path.name}: needs a mapping 'offices'")
    tz = ZoneInfo(str(data.get("timezone") or "Europe/Berlin"))
    offices = {str(key): parse_office(str(key), value, tz) for key, value in data["offices"].items()}
    default = str(data.get("default_office") or next(iter(offices)))
    if default not in offices:
        raise HoursError(f"{path.name}: default_office {default!r} is not among the offices")
    serves = _assigned(data, "serves", "office ids (offices.yml)", offices, path.name)
    topics = _assigned(data, "topics", "topic ids (nlu_data/catalogue.yml)", (), path.name)
    _check_topics(topics, catalogue_ids(catalogue), path.name)
    return HandoffHours(offices, default, serves, topics)
