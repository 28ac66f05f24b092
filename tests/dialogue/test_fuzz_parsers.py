"""Property-based fuzzing of the action server's parsers (Python 3.10 side): the German date parser,
phone numbers typed into the call-back form, places and streets typed into the defect report,
window phrases, and the reference numbers a citizen asks about. Whatever the text, each returns a
result or None - never an exception, which would end the citizen's form with an error."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from actions import places
from actions.dateparse import BERLIN, DateQuery, parse
from actions.forms_rueckruf import phone_attempt, phone_in, window_of
from tests.fuzzing import fuzz, nasty_text

DATE_WORDS = ["morgen", "übermorgen", "heute", "nächste Woche", "Dienstag", "am 31.02.", "29.2.2027",
              "um 25 Uhr", "ab 14:30", "vormittags", "in 999999999 Tagen", "KW 53", "9" * 5000, "12.13.",
              "den 1.", "0.0.0000", "halb drei", "Montag in 3 Wochen", "31.12.9999", "1.1.0001"]
texts = st.one_of(nasty_text(), st.lists(st.one_of(st.sampled_from(DATE_WORDS), nasty_text(8)),
                                         max_size=8).map(" ".join))
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 12, 31)).map(
    lambda moment: moment.replace(tzinfo=BERLIN))


@fuzz
@given(text=texts, now=moments)
def test_date_parser(text: str, now: datetime) -> None:
    query = parse(text, now)
    assert query is None or isinstance(query, DateQuery)
    assert query is None or query.first <= query.last


PHONE_WORDS = ["0171 1234567", "+49 (0) 2351 966-0", "0049171", "110", "+" + "9" * 40, "0171/", "٠١٧١"]


@fuzz
@given(text=st.one_of(nasty_text(), st.lists(st.one_of(st.sampled_from(PHONE_WORDS), nasty_text(8)),
                                             max_size=6).map(" ".join)))
def test_phone_numbers_and_windows(text: str) -> None:
    number = phone_in(text)
    assert number is None or (number.startswith("+") and number[1:].isdigit())
    assert len(phone_attempt(text)) <= 30
    window_of(text)


PLACE_WORDS = ["Lindenstraße 5", "K 8", "Altena", "58762", "Hagen", "zwischen Halver und Breckerfeld",
               "Iserlohn-Letmathe", "Str.", "99999", "B 236"]


@fuzz
@given(text=st.one_of(nasty_text(), st.lists(st.one_of(st.sampled_from(PLACE_WORDS), nasty_text(8)),
                                             max_size=6).map(" ".join)))
def test_places(text: str) -> None:
    places.from_text(text)
    places.street_of(text)
    places.outside_town_in(text)
