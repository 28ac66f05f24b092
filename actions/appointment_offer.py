"""Which free slots to offer, and reading the citizen's choice or wish.

Shared by booking (termin_form) and moving (termin_verschieben_form): the ask
action ``action_ask_appt_start`` offers at most six slots as buttons plus
"Andere Zeit"; ``read_start`` (run as ``validate_appt_start``) takes a tapped
or typed slot, or keeps the wish (``appt_when``) for the next offer.
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import appointment_client as client
from actions import appointment_slots as slots_
from actions import dateparse
from actions.appointment_offices import cached_office, offices_or_empty
from actions.appointment_texts import say
from actions.content import normalise
from actions.forms_common import ATTEMPTS, accepted, button, invalid, variant

OFFICE, START, WHEN = "appt_office", "appt_start", "appt_when"
OTHER_TIME = "other"  # WHEN: the citizen wants to type a day
_OTHER_WORDS = ("andere zeit", "anderer termin", "andere termine", "keiner passt", "passt nicht",
                "other time", "another time", "none of these", "spaeter", "later")


def now() -> datetime:
    return datetime.now(dateparse.BERLIN)


def wants_other_time(text: str) -> bool:
    padded = f" {normalise(text)} "
    return any(f" {words} " in padded for words in _OTHER_WORDS)


async def read_start(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> dict[str, Any]:
    """The slot the citizen chose or typed; otherwise their wish, for the next offer.

    Runs as ``validate_appt_start`` (rasa-sdk keeps helper slots only from validate
    methods): the extracted value is the message text.
    """
    language = variant(tracker)
    if wants_other_time(text) and dateparse.parse(text, now()) is None:
        return {WHEN: OTHER_TIME, START: None}
    query = dateparse.parse(text, now())
    if query is None:
        return invalid(dispatcher, tracker, START, say("date_unreadable", language))
    if query.in_past:
        wish = slots_.wish_phrase(query, language) or text[:40]
        return invalid(dispatcher, tracker, START, say("date_past", language, wish=_capital(wish)))
    office = tracker.get_slot(OFFICE)
    try:
        free = await client.free_slots(office, query.first) if query.time else []
    except client.CaseServiceError:
        free = []
    chosen = slots_.exact_match(free, query)
    if chosen is not None:
        return accepted({START: chosen.isoformat(), WHEN: None})
    return {START: None, WHEN: slots_.dump(query), ATTEMPTS: 0}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


class ActionAskApptStart(Action):
    """Free slots as buttons: the next ones, or those fitting the citizen's wish."""

    def name(self) -> str:
        return "action_ask_appt_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        language = variant(tracker)
        raw = tracker.get_slot(WHEN)
        if raw == OTHER_TIME:
            dispatcher.utter_message(text=say("ask_wish", language))
            return [SlotSet(WHEN, None)]
        office_id = tracker.get_slot(OFFICE)
        await offices_or_empty()  # the office's name for the sentence
        office = cached_office(office_id)
        query = slots_.load(raw)
        try:
            text, offer = await offer_for(office_id, query, language)
        except client.CaseServiceError:
            dispatcher.utter_message(text=say("offices_unavailable", language))
            return [SlotSet("requested_slot", None)]
        if not offer.slots:
            dispatcher.utter_message(text=say("no_slots", language))
            return []
        if text is None:
            text = say("slots_next", language, office=office.name if office else office_id)
        current = _current_start(tracker)
        if current is not None:  # moving: say which appointment is being moved
            text = say("current_appointment", language,
                       when=slots_.long_datetime(current, language),
                       office=office.name if office else office_id) + "\n" + text
        buttons = [button(slots_.button_title(s, language), slots_.payload(s)) for s in offer.slots]
        buttons.append(button(say("other_time", language), say("other_time", language)))
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


def _current_start(tracker: Tracker) -> datetime | None:
    """The start of the appointment being moved (``appt_current``), if any."""
    try:
        start = json.loads(tracker.get_slot("appt_current") or "{}").get("start")
        return datetime.fromisoformat(start) if start else None
    except (ValueError, AttributeError):
        return None


async def offer_for(office: str, query: dateparse.DateQuery | None,
                    language: str) -> tuple[str | None, slots_.Offer]:
    """The slots to offer and the sentence before them (None: the plain 'next free' one)."""
    today = now().date()
    if query is None:
        free = await client.free_slots(office, today, days=slots_.SEARCH_DAYS,
                                       limit=slots_.MAX_OFFERED)
        return None, slots_.choose(free, None)
    wish = slots_.wish_phrase(query, language)
    if not query.date_given:  # "um 9", "vormittags": that time on the coming days
        start_at = datetime.combine(today, query.time or time(0)) + timedelta(minutes=1)
        low, high = query.window or (query.time, start_at.time())
        free = await client.free_slots(office, today, days=slots_.SEARCH_DAYS, after=low,
                                       before=high, limit=slots_.MAX_OFFERED)
        if free:
            return say("slots_for_wish", language, wish=wish), slots_.choose(free, None)
    window = query.window
    free = await client.free_slots(
        office, query.first, days=(query.last - query.first).days + 1,
        after=window[0] if window else None, before=window[1] if window else None, limit=100)
    offer = slots_.choose(free, query)
    if free and offer.matches_wish:
        return say("slots_for_wish", language, wish=wish), offer
    start = max(today, query.first - timedelta(days=7))
    around = await client.free_slots(office, start, days=slots_.NEAREST_DAYS, limit=200)
    if not around and query.first > today:  # beyond the booking horizon: the earliest instead
        free = await client.free_slots(office, today, days=slots_.SEARCH_DAYS,
                                       limit=slots_.MAX_OFFERED)
        return say("too_far", language), slots_.choose(free, None)
    offer = slots_.choose(around, query)
    prefix = say("weekend_closed", language) + " " if slots_.is_weekend(query) else ""
    return prefix + say("slots_nearest", language, wish=_capital(wish)), offer
