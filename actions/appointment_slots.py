"""Which free slots to offer, and how dates read in German and English.

Pure functions, so the choices are tested without a server: at most
``MAX_OFFERED`` slots as buttons, earliest first; for a typed wish the slots
of that day and window (closest to a named time), otherwise the nearest ones.
A button's payload is a plain date and time ("08.12.2026 09:30") that
``dateparse`` reads back, so a tap, an SMS menu number and a typed time all
take the same path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time

from actions.dateparse import BERLIN, DateQuery

MAX_OFFERED = 6
SEARCH_DAYS = 14  # how far ahead "the next free slots" look
NEAREST_DAYS = 21  # how far around a wish the nearest slots are looked for

WEEKDAYS = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
           "Oktober", "November", "Dezember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}


def _lang(variant: str) -> str:
    return "en" if variant == "en" else "de"


def local(moment: datetime) -> datetime:
    return moment.astimezone(BERLIN)


def long_date(day: date, variant: str) -> str:
    """'Dienstag, 8. Dezember 2026' / 'Tuesday, 8 December 2026'."""
    lang = _lang(variant)
    weekday, month = WEEKDAYS[lang][day.weekday()], MONTHS[lang][day.month - 1]
    if lang == "en":
        return f"{weekday}, {day.day} {month} {day.year}"
    return f"{weekday}, {day.day}. {month} {day.year}"


def long_datetime(moment: datetime, variant: str) -> str:
    """'Dienstag, 8. Dezember 2026, 9:30 Uhr' / 'Tuesday, 8 December 2026, 9:30'."""
    at = local(moment)
    clock = f"{at.hour}:{at.minute:02d}"
    if _lang(variant) == "en":
        return f"{long_date(at.date(), variant)}, {clock}"
    return f"{long_date(at.date(), variant)}, {clock} Uhr"


def button_title(moment: datetime, variant: str) -> str:
    """Short, for buttons and SMS menus: 'Di 8.12. 9:30' / 'Tue 8 Dec 9:30'."""
    at = local(moment)
    lang = _lang(variant)
    weekday = WEEKDAYS[lang][at.weekday()][: 3 if lang == "en" else 2]
    clock = f"{at.hour}:{at.minute:02d}"
    if lang == "en":
        return f"{weekday} {at.day} {MONTHS['en'][at.month - 1][:3]} {clock}"
    return f"{weekday} {at.day}.{at.month}. {clock}"


def payload(moment: datetime) -> str:
    """What a slot button sends back: a date and time ``dateparse`` reads exactly."""
    return local(moment).strftime("%d.%m.%Y %H:%M")


def wish_phrase(query: DateQuery, variant: str) -> str:
    """The citizen's wish in words: 'am Dienstag, 8. Dezember 2026 vormittags'."""
    lang = _lang(variant)
    if query.is_range:
        first, last = long_date(query.first, variant), long_date(query.last, variant)
        days = f"{first} – {last}" if lang == "en" else f"vom {first} bis {last}"
    else:
        days = (f"on {long_date(query.first, variant)}" if lang == "en"
                else f"am {long_date(query.first, variant)}")
    if not query.date_given:
        days = ""
    if query.time is not None:
        clock = f"{query.time.hour}:{query.time.minute:02d}"
        when = f"at {clock}" if lang == "en" else f"um {clock} Uhr"
    elif query.window is not None:
        low, high = query.window
        start, end = (f"{t.hour}:{t.minute:02d}" for t in query.window)
        if high >= time(23, 59):  # "ab 14 Uhr"
            when = f"from {start}" if lang == "en" else f"ab {start} Uhr"
        elif low == time(0, 0):  # "vor 10"
            when = f"before {end}" if lang == "en" else f"vor {end} Uhr"
        else:
            when = f"between {start} and {end}" if lang == "en" else f"zwischen {start} und {end} Uhr"
    else:
        when = ""
    return " ".join(part for part in (days, when) if part)


@dataclass(frozen=True)
class Offer:
    slots: tuple[datetime, ...]
    matches_wish: bool  # False: none fits the wish, these are the nearest ones


def _fits(slot: datetime, query: DateQuery) -> bool:
    at = local(slot)
    if not query.first <= at.date() <= query.last:
        return False
    if query.time is not None:
        return True  # any time of the day; the closest come first below
    if query.window is not None:
        return query.window[0] <= at.time() < query.window[1]
    return True


def _distance(slot: datetime, target: datetime) -> float:
    return abs((local(slot) - target).total_seconds())


def choose(free: list[datetime], query: DateQuery | None) -> Offer:
    """Up to ``MAX_OFFERED`` slots for the wish, returned earliest first.

    ``free`` is what the case service listed around the wish. Without a wish
    the earliest; with a time the closest to it on that day; when nothing fits
    the closest to the wish's start, flagged so the citizen is told.
    """
    if query is None:
        return Offer(tuple(sorted(free)[:MAX_OFFERED]), True)
    fitting = [s for s in free if _fits(s, query)]
    if fitting:
        if query.time is not None:
            target = datetime.combine(query.first, query.time, tzinfo=BERLIN)
            fitting = sorted(fitting, key=lambda s: _distance(s, target))[:MAX_OFFERED]
        return Offer(tuple(sorted(fitting)[:MAX_OFFERED]), True)
    nearest = sorted(free, key=lambda s: _distance(s, query.start))[:MAX_OFFERED]
    return Offer(tuple(sorted(nearest)), False)


def exact_match(free: list[datetime], query: DateQuery) -> datetime | None:
    """The free slot starting exactly at the named day and time, if any."""
    if query.time is None or query.is_range or not query.date_given:
        return None
    target = datetime.combine(query.first, query.time, tzinfo=BERLIN)
    return next((s for s in free if local(s) == target), None)


def is_weekend(query: DateQuery) -> bool:
    return not query.is_range and query.first.weekday() >= 5


# --- the wish is kept in a text slot between turns -------------------------------------

def dump(query: DateQuery) -> str:
    return json.dumps({
        "first": query.first.isoformat(), "last": query.last.isoformat(),
        "time": query.time.strftime("%H:%M") if query.time else None,
        "window": [t.strftime("%H:%M") for t in query.window] if query.window else None,
        "given": query.date_given,
    })


def load(raw: str | None) -> DateQuery | None:
    if not raw:
        return None
    try:
        data = json.loads(raw)
        window = data.get("window")
        return DateQuery(
            date.fromisoformat(data["first"]), date.fromisoformat(data["last"]),
            time.fromisoformat(data["time"]) if data.get("time") else None,
            (time.fromisoformat(window[0]), time.fromisoformat(window[1])) if window else None,
            False, bool(data.get("given", True)),
        )
    except (ValueError, KeyError, TypeError):
        return None
