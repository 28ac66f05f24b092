"""Booking an appointment (termin_buchen): office, slot, name, contact, summary, booking.

Built on ``forms_common`` (cancel, faq in between, invalid values, summary,
correction). Differences from the case forms, and why:

* the booking happens in ``validate_confirm`` right after "ja", not in a
  submit action after the form: when the slot was taken meanwhile (409) the
  form simply goes on and offers fresh slots in the same turn;
* a slot button sends a plain date and time ("08.12.2026 09:30"), read by
  ``dateparse`` like anything typed, so a tap, an SMS menu number and
  "nächsten Dienstag vormittag" all take one path (``appointment_offer``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import phonenumbers
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import appointment_client as client
from actions import appointment_offices as offices_
from actions import appointment_slots as slots_
from actions import dateparse
from actions.appointment_offer import OFFICE, START, WHEN, now, read_start
from actions.appointment_offices import cached_office, office_list, offices_or_empty
from actions.appointment_texts import say
from actions.forms_common import (
    ATTEMPTS,
    CONFIRM,
    FORMS,
    ActionCancelRequest,
    Field,
    FormSpec,
    RequestFormValidation,
    accepted,
    button,
    channel_of,
    idempotency_key,
    invalid,
    latest_text,
    register,
    reset_events,
    variant,
)

NAME, CONTACT = "appt_name", "appt_contact"
STOP = "appt_stop"  # True: the form ends early (nothing to book, service down, too many tries)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
def _show_office(value: Any, language: str) -> str:
    office = cached_office(str(value))
    return office.name if office else str(value)


def _show_start(value: Any, language: str) -> str:
    return slots_.long_datetime(datetime.fromisoformat(str(value)), language)


SPEC = register(FormSpec(
    form="termin_form",
    fields=(
        Field(OFFICE, {"de": "Stelle", "en": "Office", "ls": "Amt"},
              ("stelle", "dienststelle", "amt", "behoerde", "office"), _show_office),
        Field(START, {"de": "Termin", "en": "Date and time", "ls": "Termin"},
              ("termin", "zeit", "uhrzeit", "datum", "tag", "time", "date", "day"), _show_start),
        Field(NAME, {"de": "Name", "en": "Name", "ls": "Name"}, ("name", "namen")),
        Field(CONTACT, {"de": "Kontakt", "en": "Contact", "ls": "Kontakt"},
              ("kontakt", "telefon", "telefonnummer", "nummer", "handy", "email", "e mail", "mail",
               "phone", "contact")),
    ),
    extra_slots=(WHEN, STOP),
))


def normalise_contact(text: str) -> str | None:
    """A phone number in E.164 (German numbers without +49 accepted) or an e-mail address."""
    value = text.strip().strip(".,;")
    if _EMAIL.match(value):
        return value.lower()
    try:
        number = phonenumbers.parse(value, "DE")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def valid_name(text: str) -> str | None:
    value = " ".join(text.split())
    letters = sum(c.isalpha() for c in value)
    if not 2 <= len(value) <= 80 or letters < 2 or any(c.isdigit() or c in "@/<>{}" for c in value):
        return None
    return value


def stop() -> dict[str, Any]:
    """Slot values that end the form now; the rule after it forgets the values."""
    return {STOP: True}


class AppointmentValidation(RequestFormValidation):
    """The appointment forms: ``forms_common``'s flow, plus ending early (``STOP``)."""

    handoff_rule = True  # bot/data/appointments.yml: asking for a person, then the form again

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        if tracker.get_slot(STOP):
            return []
        return await super().required_slots(domain_slots, dispatcher, tracker, domain)


class ValidateTerminForm(AppointmentValidation):
    def spec(self) -> FormSpec:
        return SPEC

    async def extract_appt_office(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        asked = self.asked(tracker, OFFICE)
        if not asked and not self.prefill(tracker, OFFICE):
            return {}
        try:
            office = offices_.find(latest_text(tracker), await office_list())
        except client.CaseServiceError:
            return {}
        if office is not None:
            return {OFFICE: office.id}
        return {OFFICE: "?"} if asked else {}

    def validate_appt_office(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        if value == "?":
            return invalid(dispatcher, tracker, OFFICE, say("office_unknown", variant(tracker)))
        return accepted({OFFICE: value})

    async def extract_appt_start(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        text = latest_text(tracker)
        if self.asked(tracker, START):
            return {START: text}
        # "Termin bei der Zulassungsstelle nächsten Dienstag": the wish said ahead of time
        if self.prefill(tracker, START) and dateparse.parse(text, now()) is not None:
            return {START: text}
        return {}

    async def validate_appt_start(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return await read_start(dispatcher, tracker, str(value or ""))

    async def extract_appt_name(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        return {NAME: latest_text(tracker)} if self.asked(tracker, NAME) else {}

    def validate_appt_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> dict[str, Any]:
        name = valid_name(str(value or ""))
        if name is None:
            return invalid(dispatcher, tracker, NAME, say("name_invalid", variant(tracker)))
        return accepted({NAME: name})

    async def extract_appt_contact(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        return {CONTACT: latest_text(tracker)} if self.asked(tracker, CONTACT) else {}

    def validate_appt_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        contact = normalise_contact(str(value or ""))
        if contact is None:
            return invalid(dispatcher, tracker, CONTACT, say("contact_invalid", variant(tracker)))
        return accepted({CONTACT: contact})

    def on_change(self, slot: str) -> dict[str, Any]:
        if slot == OFFICE:  # a slot belongs to its office
            return {START: None, WHEN: None}
        return {WHEN: None} if slot == START else {}

    async def validate_confirm(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value != "yes":
            return super().validate_confirm(value, dispatcher, tracker, domain)
        return await book(dispatcher, tracker)


async def book(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """POST the booking after "ja"; a taken slot leads straight to fresh ones."""
    language = variant(tracker)
    start = datetime.fromisoformat(tracker.get_slot(START))
    contact = tracker.get_slot(CONTACT) or ""
    try:
        result = await client.book(
            idempotency_key=idempotency_key(tracker), office=tracker.get_slot(OFFICE), start=start,
            conversation_id=tracker.sender_id, channel=channel_of(tracker), language=language,
            name=tracker.get_slot(NAME) or "",
            contact={"phone": None if "@" in contact else contact,
                     "email": contact if "@" in contact else None},
        )
    except client.CaseServiceError:
        dispatcher.utter_message(text=say("booking_failed", language))
        return {CONFIRM: None}
    if isinstance(result, client.SlotGone):
        dispatcher.utter_message(text=say("slot_taken", language))
        same_day = dateparse.DateQuery(slots_.local(start).date(), slots_.local(start).date(),
                                       slots_.local(start).time())
        return {CONFIRM: None, START: None, WHEN: slots_.dump(same_day), ATTEMPTS: 0}
    office = cached_office(result.office) or next(
        (o for o in await offices_or_empty() if o.id == result.office), None)
    dispatcher.utter_message(text=booked_text(result, office, language, channel_of(tracker)))
    return accepted({CONFIRM: True})


def booked_text(booking: client.Booking, office: client.Office | None, language: str,
                channel: str = "webchat") -> str:
    """Reference, PIN, date and time in words, address, and what to bring (compact on SMS)."""
    values = {"when": slots_.long_datetime(booking.start, language),
              "office": office.name if office else booking.office,
              "address": office.address if office else "",
              "reference": booking.reference, "pin": booking.pin or "-"}
    items = offices_.bring(office.topic, language) if office else []
    if channel == "sms":
        listed = say("bring_sms", language, items="; ".join(items)) if items else ""
        return say("booked_sms", language, bring=listed, **values)
    lines = [say("booked", language, **values)]
    if items:
        lines.append(say("bring", language, items="\n".join(f"• {item}" for item in items)))
    return "\n\n".join(lines)


class ActionAskApptOffice(Action):
    """The offices as buttons (title and payload: the office's name)."""

    def name(self) -> str:
        return "action_ask_appt_office"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        language = variant(tracker)
        try:
            offices = await office_list()
        except client.CaseServiceError:
            dispatcher.utter_message(text=say("offices_unavailable", language))
            return [SlotSet("requested_slot", None)]
        dispatcher.utter_message(text=say("ask_office", language),
                                 buttons=[button(o.name, o.name) for o in offices])
        return []


class ActionAskTerminFormConfirm(Action):
    """The booking summary with yes/no buttons (before the generic action_ask_confirm)."""

    def name(self) -> str:
        return "action_ask_termin_form_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        language = variant(tracker)
        await offices_or_empty()  # fills the cache the office name is shown from
        lines = [say("summary_intro", language)]
        for field in SPEC.fields:
            value = tracker.get_slot(field.slot)
            if value is not None:
                lines.append(f"• {field.title(language)}: {field.show(value, language)}")
        lines.append(say("summary_question", language))
        dispatcher.utter_message(text="\n".join(lines), buttons=[
            button(say("yes_book", language), "/affirm"),
            button(say("no_change", language), "/deny")])
        return []


class ActionCancelAppointment(ActionCancelRequest):
    """"abbrechen" in an appointment form: it stops and says that nothing was booked or changed."""

    def name(self) -> str:
        return "action_cancel_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        inner = CollectingDispatcher()
        events = await super().run(inner, tracker, domain)
        key = "cancelled_booking" if tracker.active_loop.get("name") == SPEC.form else "cancelled_change"
        dispatcher.utter_message(text=say(key, variant(tracker)))
        return events


class ActionAppointmentDone(Action):
    """After an appointment form ends (booked, cancelled, moved or stopped): forget its values."""

    def name(self) -> str:
        return "action_appointment_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        slots: list[EventType] = []
        for form in ("termin_form", "termin_absagen_form", "termin_verschieben_form"):
            spec = FORMS.get(form)
            if spec is not None:
                slots += reset_events(spec)
        return slots



class ActionAskApptName(Action):
    def name(self) -> str:
        return "action_ask_appt_name"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=say("ask_name", variant(tracker)))
        return []


class ActionAskApptContact(Action):
    def name(self) -> str:
        return "action_ask_appt_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=say("ask_contact", variant(tracker)))
        return []
