"""Cancelling and moving a booked appointment by its reference number.

Same privacy rule as the status query: the case service answers only the
conversation that booked, or anyone with the right PIN, and says "not found"
alike for foreign and missing numbers. So the reference is looked up first
without a PIN; only when that fails is the PIN asked for (``appt_pin`` is
``SKIPPED`` when it was not needed).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import appointment_client as client
from actions import appointment_slots as slots_
from actions.appointment_offer import OFFICE, START, WHEN, read_start
from actions.appointment_offices import cached_office, offices_or_empty
from actions.appointment_texts import say
from actions.appointments import STOP, AppointmentValidation, stop
from actions.forms_common import (
    ATTEMPTS,
    CONFIRM,
    SKIPPED,
    Field,
    FormSpec,
    accepted,
    button,
    invalid,
    latest_text,
    register,
    variant,
)

REFERENCE, PIN, CURRENT = "appt_reference", "appt_pin", "appt_current"
_REFERENCE = re.compile(r"\b([A-Za-z]{2,4})[\s-]*(\d{4})[\s-]*(\d{6})[\s-]*(\d)\b")
_PIN = re.compile(r"(?<!\d)(\d{6})(?!\d)")

_REF_FIELD = Field(REFERENCE, {"de": "Vorgangsnummer", "en": "Reference number"},
                   ("vorgangsnummer", "nummer", "reference"))
_PIN_FIELD = Field(PIN, {"de": "PIN", "en": "PIN"}, ("pin",))
_START_FIELD = Field(START, {"de": "Neuer Termin", "en": "New date and time"},
                     ("termin", "zeit", "uhrzeit", "datum", "tag", "time", "date"),
                     lambda v, lang: slots_.long_datetime(datetime.fromisoformat(str(v)), lang))

CANCEL_SPEC = register(FormSpec("termin_absagen_form", (_REF_FIELD, _PIN_FIELD),
                                extra_slots=(CURRENT, OFFICE, STOP)))
MOVE_SPEC = register(FormSpec("termin_verschieben_form", (_REF_FIELD, _PIN_FIELD, _START_FIELD),
                              extra_slots=(CURRENT, OFFICE, WHEN, STOP)))


def find_reference(text: str) -> str | None:
    """'mk 2026 000123 7' -> 'MK-2026-000123-7' (the check digit is the case service's to test)."""
    match = _REFERENCE.search(text)
    return "-".join((match[1].upper(), match[2], match[3], match[4])) if match else None


def _current(tracker: Tracker) -> dict[str, Any]:
    try:
        return dict(json.loads(tracker.get_slot(CURRENT) or "{}"))
    except ValueError:
        return {}


def _when(current: dict[str, Any], language: str) -> str:
    start = current.get("start")
    return slots_.long_datetime(datetime.fromisoformat(start), language) if start else "-"


class _ManageValidation(AppointmentValidation):
    """Reference, PIN when needed, (new slot), confirm."""

    async def _lookup(self, dispatcher: CollectingDispatcher, tracker: Tracker, reference: str,
                      pin: str | None) -> dict[str, Any] | None:
        """Slot values after a lookup; None when the PIN is still needed."""
        language = variant(tracker)
        try:
            found = await client.appointment_of(reference, tracker.sender_id, pin)
        except client.CaseServiceError:
            dispatcher.utter_message(text=say("manage_failed", language))
            return stop()
        if isinstance(found, client.Mistyped):
            return invalid(dispatcher, tracker, REFERENCE, say("reference_typo", language))
        if isinstance(found, client.TooMany):
            dispatcher.utter_message(text=say("too_many", language))
            return stop()
        if isinstance(found, client.NotFound):
            if pin is None:
                return None
            dispatcher.utter_message(text=say("appointment_not_found", language))
            return {REFERENCE: None, PIN: None, ATTEMPTS: 0}
        appointment = found.get("appointment")
        if not appointment or not appointment.get("start"):
            dispatcher.utter_message(text=say("not_an_appointment", language))
            return stop()
        if found.get("status") == "cancelled":
            dispatcher.utter_message(text=say("already_cancelled", language))
            return stop()
        current = {"office": appointment.get("office"), "start": appointment.get("start")}
        return accepted({REFERENCE: reference, PIN: pin or SKIPPED, CURRENT: json.dumps(current),
                         OFFICE: current["office"]})

    async def extract_appt_reference(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        asked = self.asked(tracker, REFERENCE)
        if not asked and not self.prefill(tracker, REFERENCE):
            return {}
        reference = find_reference(latest_text(tracker))
        if reference is None:
            return {REFERENCE: "?"} if asked else {}
        return {REFERENCE: reference}

    async def validate_appt_reference(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value == "?":
            return invalid(dispatcher, tracker, REFERENCE,
                           say("reference_unreadable", variant(tracker)))
        values = await self._lookup(dispatcher, tracker, str(value), None)
        return accepted({REFERENCE: value}) if values is None else values

    async def extract_appt_pin(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        if not self.asked(tracker, PIN):
            return {}
        match = _PIN.search(latest_text(tracker))
        return {PIN: match[1] if match else "?"}

    async def validate_appt_pin(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value == SKIPPED:
            return {PIN: SKIPPED}
        if value == "?" or value is None:
            return invalid(dispatcher, tracker, PIN, say("pin_invalid", variant(tracker)))
        values = await self._lookup(dispatcher, tracker, tracker.get_slot(REFERENCE), str(value))
        return values or {}


class ValidateTerminAbsagenForm(_ManageValidation):
    def spec(self) -> FormSpec:
        return CANCEL_SPEC

    async def validate_confirm(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        language = variant(tracker)
        if value == "no":
            dispatcher.utter_message(text=say("cancel_kept", language))
            return stop()
        if value != "yes":
            return super().validate_confirm(value, dispatcher, tracker, domain)
        pin = tracker.get_slot(PIN)
        try:
            result = await client.cancel(tracker.get_slot(REFERENCE), tracker.sender_id,
                                         None if pin == SKIPPED else pin)
        except client.CaseServiceError:
            result = None
        if not isinstance(result, dict):
            dispatcher.utter_message(text=say("manage_failed", language))
            return stop()
        dispatcher.utter_message(text=say("cancel_done", language, when=_when(_current(tracker), language),
                                          reference=tracker.get_slot(REFERENCE)))
        return accepted({CONFIRM: True})


class ValidateTerminVerschiebenForm(_ManageValidation):
    def spec(self) -> FormSpec:
        return MOVE_SPEC

    async def extract_appt_start(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        return {START: latest_text(tracker)} if self.asked(tracker, START) else {}

    async def validate_appt_start(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return await read_start(dispatcher, tracker, str(value or ""))

    def on_change(self, slot: str) -> dict[str, Any]:
        return {WHEN: None} if slot == START else {PIN: None, CURRENT: None, START: None}

    async def validate_confirm(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        language = variant(tracker)
        if value == "no":  # another time: ask for the day straight away
            return accepted({CONFIRM: None, START: None, WHEN: "other"})
        if value != "yes":
            return super().validate_confirm(value, dispatcher, tracker, domain)
        pin = tracker.get_slot(PIN)
        start = datetime.fromisoformat(tracker.get_slot(START))
        try:
            result = await client.reschedule(tracker.get_slot(REFERENCE), start, tracker.sender_id,
                                             None if pin == SKIPPED else pin)
        except client.CaseServiceError:
            result = None
        if isinstance(result, client.SlotGone):
            dispatcher.utter_message(text=say("slot_taken", language))
            return {CONFIRM: None, START: None, ATTEMPTS: 0}
        if not isinstance(result, dict):
            dispatcher.utter_message(text=say("manage_failed", language))
            return stop()
        office = cached_office(tracker.get_slot(OFFICE))
        dispatcher.utter_message(text=say(
            "move_done", language, when=slots_.long_datetime(start, language),
            office=office.name if office else str(tracker.get_slot(OFFICE)),
            address=office.address if office else ""))
        return accepted({CONFIRM: True})


async def _office_name(office_id: str | None) -> str:
    await offices_or_empty()
    office = cached_office(office_id)
    return office.name if office else str(office_id or "")


class ActionAskTerminAbsagenFormConfirm(Action):
    def name(self) -> str:
        return "action_ask_termin_absagen_form_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        language, current = variant(tracker), _current(tracker)
        dispatcher.utter_message(
            text=say("confirm_cancel", language, when=_when(current, language),
                     office=await _office_name(current.get("office"))),
            buttons=[button(say("yes_cancel", language), "/affirm"),
                     button(say("no_keep", language), "/deny")])
        return []


class ActionAskTerminVerschiebenFormConfirm(Action):
    def name(self) -> str:
        return "action_ask_termin_verschieben_form_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        language, current = variant(tracker), _current(tracker)
        new = slots_.long_datetime(datetime.fromisoformat(tracker.get_slot(START)), language)
        dispatcher.utter_message(
            text=say("confirm_move", language, old=_when(current, language), new=new,
                     office=await _office_name(current.get("office"))),
            buttons=[button(say("yes_move", language), "/affirm"),
                     button(say("no_other", language), "/deny")])
        return []


class ActionAskApptReference(Action):
    def name(self) -> str:
        return "action_ask_appt_reference"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=say("ask_reference", variant(tracker)))
        return []


class ActionAskApptPin(Action):
    def name(self) -> str:
        return "action_ask_appt_pin"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=say("ask_pin", variant(tracker)))
        return []

