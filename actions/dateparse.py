"""A small German (and basic English) date/time parser for appointment requests.

Citizens type "nächsten Dienstag vormittag", "12.3. um 9" or "uebermorgen halb
zehn"; the appointment form needs a day (or range of days) and perhaps a time
or a time window. We keep our own parser instead of a general library because
the phrases are few, the rules must be predictable and testable, and the
decisions below are ours to document:

- Dates without a year roll into the next year when they already passed.
- "nächsten Dienstag" / "next Tuesday" is the Tuesday of next calendar week;
  "kommenden Dienstag", "am Dienstag", "Dienstag" the next Tuesday after today;
  "diesen Dienstag" the Tuesday of this week from today on (else the next one).
- A bare hour 1-6 ("um 3", "halb drei") means the afternoon (offices are not
  open at 3 a.m.); "vormittags", "morgens" or "am" keep it in the morning.
- A time without a date means today when still ahead, else tomorrow
  (``date_given`` is False then, so callers may look further).
All arithmetic is on calendar dates; ``DateQuery.start`` gives the aware
datetime in Europe/Berlin, so daylight saving time is handled by zoneinfo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class DateQuery:
    """What the citizen asked for: days ``first``..``last`` and maybe a time."""

    first: date
    last: date
    time: time | None = None
    window: tuple[time, time] | None = None  # [from, to) within each day
    in_past: bool = False
    date_given: bool = True  # False: only a time was said, the day is a guess

    @property
    def is_range(self) -> bool:
        return self.first != self.last

    @property
    def start(self) -> datetime:
        """The earliest moment asked for, Europe/Berlin."""
        moment = self.time or (self.window[0] if self.window else time(0, 0))
        return datetime.combine(self.first, moment, tzinfo=BERLIN)


WINDOWS: dict[str, tuple[time, time]] = {
    "early": (time(7, 0), time(10, 0)),
    "forenoon": (time(8, 0), time(12, 0)),
    "noon": (time(11, 30), time(14, 0)),
    "afternoon": (time(12, 0), time(18, 0)),
    "evening": (time(17, 0), time(21, 0)),
}
_WINDOW_WORDS = {
    "morgens": "early", "early morning": "early",
    "vormittags": "forenoon", "vormittag": "forenoon", "morning": "forenoon",
    "mittags": "noon", "mittag": "noon", "midday": "noon", "lunchtime": "noon",
    "nachmittags": "afternoon", "nachmittag": "afternoon", "afternoon": "afternoon",
    "abends": "evening", "abend": "evening", "evening": "evening",
}
_PM_WINDOWS = {"afternoon", "evening"}

_NUMBERS = {
    "null": 0, "eins": 1, "zwei": 2, "drei": 3,
    "vier": 4, "fuenf": 5, "funf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9,
    "zehn": 10, "elf": 11, "zwoelf": 12, "zwolf": 12, "dreizehn": 13, "vierzehn": 14,
    "fuenfzehn": 15, "sechzehn": 16, "siebzehn": 17, "achtzehn": 18, "neunzehn": 19,
    "zwanzig": 20, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
_NUM = r"(\d{1,2}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + r")"
# "in einer Woche", "in a week": articles count as one only before a unit.
_ARTICLES = {"ein": 1, "eine": 1, "einer": 1, "einem": 1, "a": 1, "an": 1}
_COUNT = r"(\d{1,2}|" + "|".join(sorted({**_NUMBERS, **_ARTICLES}, key=len, reverse=True)) + r")"

_MONTHS = {
    "januar": 1, "jan": 1, "january": 1, "jaenner": 1, "februar": 2, "feb": 2, "february": 2,
    "maerz": 3, "marz": 3, "mrz": 3, "march": 3, "mar": 3, "april": 4, "apr": 4, "mai": 5,
    "may": 5, "juni": 6, "jun": 6, "june": 6, "juli": 7, "jul": 7, "july": 7, "august": 8,
    "aug": 8, "september": 9, "sept": 9, "sep": 9, "oktober": 10, "october": 10, "okt": 10,
    "oct": 10, "november": 11, "nov": 11, "dezember": 12, "december": 12, "dez": 12, "dec": 12,
}
_MONTH = r"(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"

_WEEKDAYS = {
    "montag": 0, "monday": 0, "mon": 0, "dienstag": 1, "tuesday": 1, "tue": 1, "tues": 1,
    "mittwoch": 2, "wednesday": 2, "wed": 2, "donnerstag": 3, "thursday": 3, "thu": 3,
    "thur": 3, "thurs": 3, "freitag": 4, "friday": 4, "fri": 4, "samstag": 5,
    "sonnabend": 5, "saturday": 5, "sonntag": 6, "sunday": 6,
}
_WEEKDAY = r"(" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")s?"
_DAYPARTS = r"(morgen|vormittag|mittag|nachmittag|abend)"

# Modifiers before a weekday or "Woche"; umlauts are folded, typos without
# the "e" ("nachsten", "ubermorgen") are accepted too.
_NEXT_WEEK = r"(?:naechste[nrsm]?|nachste[nrsm]?|next)"
_AFTER_NEXT = r"(?:uebernaechste[nrsm]?|ubernachste[nrsm]?|ubernaechste[nrsm]?)"
_COMING = r"(?:kommende[nrsm]?|coming)"
_THIS = r"(?:diese[nrsm]?|this)"
_LAST = r"(?:letzte[nrsm]?|vergangene[nrsm]?|last)"


def _fold(text: str) -> str:
    text = text.lower().replace("ß", "ss")
    for umlaut, folded in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        text = text.replace(umlaut, folded)
    text = re.sub(r"[^a-z0-9.:/\- ]+", " ", text)
    # "Dienstagvormittag" -> "dienstag vormittag"
    text = re.sub(_WEEKDAY[:-2] + r"s?" + _DAYPARTS, r"\1 \2", text)
    return re.sub(r"\s+", " ", text).strip()


def _number(token: str) -> int:
    return int(token) if token.isdigit() else {**_NUMBERS, **_ARTICLES}[token]


class _Text:
    """The folded text; matched spans are blanked so no number is read twice."""

    def __init__(self, text: str) -> None:
        self.value = f" {text} "

    def take(self, pattern: str) -> re.Match[str] | None:
        match = re.search(pattern, self.value)
        if match:
            start, end = match.span()
            self.value = self.value[:start] + " " * (end - start) + self.value[end:]
        return match

    def has(self, pattern: str) -> bool:
        return re.search(pattern, self.value) is not None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year(token: str | None) -> int | None:
    if not token:
        return None
    year = int(token)
    return 2000 + year if year < 100 else year


def _roll(month: int, day: int, today: date) -> date | None:
    """The next occurrence of day.month from today on (29.2. looks ahead for a leap year)."""
    for year in range(today.year, today.year + 5):
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate >= today:
            return candidate
    return None


def _explicit_date(text: _Text, today: date) -> tuple[date | None, bool]:
    """A written calendar date. Returns (date, found); found with None = impossible date."""
    match = text.take(r"(?<![\d.])(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
    if match:
        return _safe_date(int(match[1]), int(match[2]), int(match[3])), True
    patterns = (
        # 12.3. / 12.03.2027 / 12.3.27 ; "am 12.03" without the final dot
        r"(?<![\d.:])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})?(?![\d:])",
        r"(?:\bam |\bden |\bon )(\d{1,2})\.(0?[1-9]|1[0-2])()(?![\d.:])",
        # 12. März 2027 / 3 december / 3rd of December
        r"(?<![\d.])(\d{1,2})(?:\.|st|nd|rd|th)? ?(?:of )?" + _MONTH + r"(?: (\d{4}))?(?![a-z])",
    )
    for number, pattern in enumerate(patterns):
        match = text.take(pattern)
        if match:
            day = int(match[1])
            month = _MONTHS[match[2]] if number == 2 else int(match[2])
            return _dated(day, month, _year(match[3]), today), True
    # Dec 3 / December 3rd, 2027
    match = text.take(r"(?<![a-z])" + _MONTH + r" (\d{1,2})(?:st|nd|rd|th)?(?:,? (\d{4}))?(?![\d:])")
    if match:
        return _dated(int(match[2]), _MONTHS[match[1]], _year(match[3]), today), True
    return None, False


def _dated(day: int, month: int, year: int | None, today: date) -> date | None:
    if year is not None:
        return _safe_date(year, month, day)
    return _roll(month, day, today)


def _relative_days(text: _Text, today: date) -> date | None:
    match = text.take(r"\bin " + _COUNT + r" (tage?n?|days?|wochen?|weeks?)\b")
    if match:
        days = _number(match[1]) * (7 if match[2].startswith(("w", "W")) else 1)
        return today + timedelta(days=days)
    match = text.take(r"\b(?:vor " + _COUNT + r" (tage?n?|wochen?)|" + _COUNT + r" (days?|weeks?) ago)\b")
    if match:
        count, unit = (match[1], match[2]) if match[1] else (match[3], match[4])
        return today - timedelta(days=_number(count) * (7 if unit.startswith("w") else 1))
    return None


_DAY_WORDS: tuple[tuple[str, int], ...] = (
    (r"\b(?:ue|u)bermorgen\b|\bday after tomorrow\b", 2),
    (r"\bvorgestern\b|\bday before yesterday\b", -2),
    (r"\bmorgen\b|\btomorrow\b|\btmrw\b", 1),
    (r"\bheute\b|\btoday\b|\btonight\b", 0),
    (r"\bgestern\b|\byesterday\b", -1),
)


def _day_word(text: _Text, today: date) -> date | None:
    # "heute morgen" / "Dienstag morgen": here "morgen" is the morning, not tomorrow.
    if text.has(r"\b(?:heute|(?:ue|u)bermorgen|" + _WEEKDAY[1:-3] + r")s? morgen\b"):
        text.value = re.sub(r"(\S) morgen\b", r"\1 morgens", text.value, count=1)
    if text.take(r"\bmorgen (?:frueh|morgen)\b"):
        text.value += " morgens "
        return today + timedelta(days=1)
    for pattern, offset in _DAY_WORDS:
        if text.take(pattern):
            return today + timedelta(days=offset)
    return None


def _week(text: _Text, today: date) -> tuple[date, date] | None:
    monday = today - timedelta(days=today.weekday())
    for modifier, weeks in ((_AFTER_NEXT, 2), (_NEXT_WEEK, 1), (_COMING, 1), (_THIS, 0)):
        if text.take(r"\b(?:in der |in |der )?" + modifier + r" (?:woche|week)\b"):
            first = monday + timedelta(weeks=weeks)
            return (max(first, today), first + timedelta(days=6))
    if text.take(r"\b(?:woche|week) (?:danach|after next)\b"):
        first = monday + timedelta(weeks=2)
        return first, first + timedelta(days=6)
    return None


def _weekday(text: _Text, today: date, week: tuple[date, date] | None) -> date | None:
    match = text.take(
        r"\b(?:(" + "|".join((_AFTER_NEXT, _NEXT_WEEK, _COMING, _THIS, _LAST)) + r"|am|on) )?"
        + _WEEKDAY + r"\b"
    )
    if not match:
        return None
    modifier, target = match[1] or "", _WEEKDAYS[match[2]]
    if week is not None:  # "Dienstag nächste Woche"
        return week[0] - timedelta(days=week[0].weekday()) + timedelta(days=target)
    monday = today - timedelta(days=today.weekday())
    ahead = (target - today.weekday()) % 7 or 7
    if re.fullmatch(_AFTER_NEXT, modifier):
        return monday + timedelta(weeks=2, days=target)
    if re.fullmatch(_NEXT_WEEK, modifier):
        return monday + timedelta(weeks=1, days=target)
    if re.fullmatch(_THIS, modifier):
        this_week = monday + timedelta(days=target)
        return this_week if this_week >= today else today + timedelta(days=ahead)
    if re.fullmatch(_LAST, modifier):
        return today - timedelta(days=(today.weekday() - target) % 7 or 7)
    return today + timedelta(days=ahead)


@dataclass(frozen=True)
class _Clock:
    hour: int
    minute: int
    meridiem: str | None = None  # "am" / "pm" when said

    def resolve(self, window: str | None) -> time | None:
        hour = self.hour
        if self.meridiem == "pm" and hour < 12:
            hour += 12
        elif self.meridiem == "am" and hour == 12:
            hour = 0
        elif self.meridiem is None and hour < 12 and (
            window in _PM_WINDOWS or (window is None and 1 <= hour <= 6)
        ):
            hour += 12
        if not (0 <= hour <= 23 and 0 <= self.minute <= 59):
            return None
        return time(hour, self.minute)


_UHR = r"(?: ?uhr| ?h)?"
# "am" is a meridiem only at the end ("9 am"), never in "um 3 am Freitag".
_AMPM = r"(am(?! ?[a-z])|pm|a\.m\.|p\.m\.)(?![a-z])"
_MERIDIEM = r"(?: ?" + _AMPM + r")?"


def _clock(text: _Text) -> tuple[_Clock | None, _Clock | None, _Clock | None]:
    """(exact time, after, before) as said, before the window is applied."""
    spoken = (
        (r"\bhalb " + _NUM + r"\b", -30),
        (r"\bviertel nach " + _NUM + r"\b|\bquarter past " + _NUM + r"\b", 15),
        (r"\b(?:viertel vor|dreiviertel) " + _NUM + r"\b|\bquarter to " + _NUM + r"\b", -15),
        (r"\bhalf past " + _NUM + r"\b", 30),
    )
    for pattern, minutes in spoken:
        match = text.take(pattern)
        if match:
            hour = _number(next(g for g in match.groups() if g))
            base = hour * 60 + minutes
            if base < 60:  # "halb eins" is half past twelve, never 0:30
                base += 12 * 60
            return _Clock(base // 60 % 24, base % 60), None, None
    one = r"(\d{1,2})(?:[:.](\d{2}))?" + _UHR + _MERIDIEM
    match = text.take(r"\b(?:zwischen|between|von|from) " + one + r" (?:und|and|bis|to|-) " + one)
    if match:
        return None, _clock_of(match[1], match[2], match[3]), _clock_of(match[4], match[5], match[6])
    match = text.take(r"\b(ab|nach|after|from|vor|bis|before|until) " + one + r"(?! ?(?:tag|day|woche))")
    if match:
        clock = _clock_of(match[2], match[3], match[4])
        after = match[1] in ("ab", "nach", "after", "from")
        return None, clock if after else None, None if after else clock
    patterns = (
        r"(?<![\d.:])(\d{1,2})[:.](\d{2})" + _UHR + _MERIDIEM + r"(?![\d.])",
        r"(?<![\d.:])(\d{1,2})()(?: ?uhr| ?h\b)(?: (\d{2})\b)?",
        r"(?<![\d.:])(\d{1,2})() ?" + _AMPM,
        r"\b(?:um|gegen|at|around|ca\.?|circa|so um|etwa um) " + _NUM + r"\b()(?![.:]\d)" + _MERIDIEM,
    )
    for number, pattern in enumerate(patterns):
        match = text.take(pattern)
        if match:
            if number == 1:
                return _clock_of(match[1], match[3], None), None, None
            return _clock_of(match[1], match[2], match[3]), None, None
    if text.take(r"\b(?:at )?noon\b|\b12 mittags\b"):
        return _Clock(12, 0), None, None
    return None, None, None


def _clock_of(hour: str, minute: str | None, meridiem: str | None) -> _Clock:
    mark = meridiem.replace(".", "") if meridiem else None
    return _Clock(_number(hour), int(minute) if minute else 0, mark)


def _window_word(text: _Text) -> str | None:
    for word, window in sorted(_WINDOW_WORDS.items(), key=lambda item: -len(item[0])):
        if text.take(r"\b(?:am |in the |in der |zur )?" + word + r"(?:s|zeit|szeit)?\b"):
            return window
    return None


def parse(text: str, now: datetime) -> DateQuery | None:
    """The date and time named in ``text``, relative to ``now``; None if none is named."""
    now = now.astimezone(BERLIN) if now.tzinfo else now.replace(tzinfo=BERLIN)
    today = now.date()
    source = _Text(_fold(text))
    source.take(r"\b[a-z]{2,4} ?-? ?\d{4} ?-? ?\d{6} ?-? ?\d\b")  # a reference number
    explicit, found = _explicit_date(source, today)
    if found and explicit is None:
        return None
    day = explicit or _relative_days(source, today)
    exact, after, before = _clock(source)
    day = day or _day_word(source, today)
    week = None if day else _week(source, today)
    weekday = _weekday(source, today, week)
    day = day or weekday
    window_name = _window_word(source)
    if day is None and week is None and exact is None and after is None and before is None \
            and window_name is None:
        return None

    at = exact.resolve(window_name) if exact else None
    window = WINDOWS[window_name] if window_name else None
    if after or before:
        low = after.resolve(window_name) if after else None
        high = before.resolve(window_name) if before else None
        window = (low or (window[0] if window else time(0, 0)),
                  high or (window[1] if window else time(23, 59)))
    if exact is not None and at is None:
        return None
    if at is not None:
        window = None

    if day is not None:
        first = last = day
        date_given = True
    elif week is not None:
        first, last = week
        date_given = True
    else:
        ends = at or (window[1] if window else time(23, 59))
        first = last = today if ends > now.time() else today + timedelta(days=1)
        date_given = False
    query = DateQuery(first, last, at, window, False, date_given)
    return replace(query, in_past=_in_past(query, now))


def _in_past(query: DateQuery, now: datetime) -> bool:
    today = now.date()
    if query.last < today:
        return True
    if query.last > today:
        return False
    if query.time is not None:
        return query.time <= now.time().replace(tzinfo=None)
    if query.window is not None:
        return query.window[1] <= now.time().replace(tzinfo=None)
    return False
