"""The bulky-waste collection form (sperrmuell_anmelden): address, items, preferred date."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import dateparse, places
from actions.forms_common import (
    CaseParts,
    Field,
    FormSpec,
    RequestFormValidation,
    SubmitRequest,
    accepted,
    invalid,
    latest_text,
    register,
    variant,
)
from actions.place_slot import PENDING, PLACEHOLDERS, ask_place, raw_place, validate_place
from actions.request_texts import say

FORM = "sperrmuell_form"
ADDRESS, ITEMS, DATE = "bulky_address", "bulky_items", "bulky_date"
MAX_DAYS_AHEAD = 183
_WEEKDAYS = {"de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
             "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}


def today() -> date:
    return datetime.now(dateparse.BERLIN).date()


def show_date(value: Any, language: str) -> str:
    day = date.fromisoformat(str(value))
    weekday = _WEEKDAYS.get(language, _WEEKDAYS["de"])[day.weekday()]
    if language == "en":
        return f"{weekday}, {day.day} {day.strftime('%B')} {day.year}"
    return f"{weekday}, {day.day:02d}.{day.month:02d}.{day.year}"


def first_working_day(first: date, last: date, after: date) -> date | None:
    """The first Monday-Friday in [first, last] that is later than ``after``."""
    day = max(first, after + timedelta(days=1))
    while day <= last:
        if day.weekday() < 5:
            return day
        day += timedelta(days=1)
    return None


SPEC = register(FormSpec(
    form=FORM,
    intent="sperrmuell_anmelden",
    fields=(
        Field(ADDRESS, {"de": "Adresse", "en": "Address"},
              ("adresse", "ort", "strasse", "address", "place"), lambda v, _l: places.display(v)),
        Field(ITEMS, {"de": "Gegenstände", "en": "Items"},
              ("gegenstaende", "sachen", "moebel", "items", "things"), lambda v, _l: str(v)[:200]),
        Field(DATE, {"de": "Wunschtermin", "en": "Preferred date"},
              ("termin", "datum", "tag", "wunschtermin", "date", "day"), show_date),
    ),
    extra_slots=(PENDING,),
))


class ValidateSperrmuellForm(RequestFormValidation):
    handoff_rule = True

    def spec(self) -> FormSpec:
        return SPEC

    def on_change(self, slot: str) -> dict[str, Any]:
        return {PENDING: None} if slot == ADDRESS else {}

    async def extract_bulky_address(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        if self.asked(tracker, ADDRESS):
            return {ADDRESS: raw_place(tracker, prefill=False) or {"text": ""}}
        # Unasked only with a street: "ich wohne in Hemer" is not an address for a collection.
        if self.prefill(tracker, ADDRESS) and places.street_of(latest_text(tracker)):
            found = raw_place(tracker, prefill=True)
            return {ADDRESS: found} if found else {}
        return {}

    def validate_bulky_address(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return validate_place(ADDRESS, value, dispatcher, tracker, need_town=True)

    async def extract_bulky_items(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        if not self.asked(tracker, ITEMS):
            return {}
        text = latest_text(tracker)
        return {ITEMS: "" if text.lower() in PLACEHOLDERS else text}

    def validate_bulky_items(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        text = " ".join(str(value or "").split())
        if len(text) < 4:
            return invalid(dispatcher, tracker, ITEMS, say("items_too_short", variant(tracker)))
        return accepted({ITEMS: text[:500]})

    async def extract_bulky_date(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        if self.asked(tracker, DATE):
            return {DATE: latest_text(tracker)}
        if self.prefill(tracker, DATE):
            query = dateparse.parse(latest_text(tracker), datetime.now(dateparse.BERLIN))
            if query is not None and query.date_given:
                return {DATE: latest_text(tracker)}
        return {}

    def validate_bulky_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        language = variant(tracker)
        now = today()
        clock = datetime.now(dateparse.BERLIN).timetz()
        query = dateparse.parse(str(value or ""), datetime.combine(now, clock))
        if query is None or not query.date_given:
            return invalid(dispatcher, tracker, DATE, say("date_unknown", language))
        shown = show_date(query.first.isoformat(), language)
        if query.last <= now:
            return invalid(dispatcher, tracker, DATE, say("date_past", language, date=shown))
        if query.first > now + timedelta(days=MAX_DAYS_AHEAD):
            return invalid(dispatcher, tracker, DATE, say("date_too_far", language, date=shown))
        day = first_working_day(query.first, query.last, now)
        if day is None:
            return invalid(dispatcher, tracker, DATE, say("date_weekend", language))
        return accepted({DATE: day.isoformat()})


class ActionAskBulkyAddress(Action):
    def name(self) -> str:
        return "action_ask_bulky_address"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        ask_place(dispatcher, tracker, "ask_bulky_address")
        return []


class ActionAskBulkyItems(Action):
    def name(self) -> str:
        return "action_ask_bulky_items"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=say("ask_bulky_items", variant(tracker)))
        return []


class ActionAskBulkyDate(Action):
    def name(self) -> str:
        return "action_ask_bulky_date"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=say("ask_bulky_date", variant(tracker)))
        return []


class ActionSubmitSperrmuell(SubmitRequest):
    kind = "sperrmuell_anmelden"

    def spec(self) -> FormSpec:
        return SPEC

    def parts(self, tracker: Tracker) -> CaseParts:
        return CaseParts(
            data={"items": tracker.get_slot(ITEMS), "preferred_date": tracker.get_slot(DATE)},
            place=tracker.get_slot(ADDRESS),
        )
