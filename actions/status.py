"""The status query (status_abfragen): reference number, the PIN only when needed.

Privacy: the case service answers only the conversation that created the
case or the right PIN; "not found" is the same for another conversation's
number and for a number that does not exist, and so is our answer.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import case_service, content
from actions.forms_common import (
    SKIPPED,
    FormSpec,
    accepted,
    invalid,
    is_interruption,
    latest_intent,
    latest_text,
    register,
    requested,
    variant,
)
from actions.request_texts import say

FORM = "status_form"
REFERENCE, PIN, NEED_PIN = "case_reference", "case_pin", "case_need_pin"
_REFERENCE = re.compile(r"\b([A-Za-z]{2,4})[- ]?(\d{4})[- ]?(\d{6})[- ]?(\d)\b")
_PIN = re.compile(r"\b(\d{4,8})\b")

STATUS_NAMES: dict[str, dict[str, str]] = {
    "received": {"de": "eingegangen", "en": "received", "ls": "Ist angekommen."},
    "in_progress": {"de": "in Bearbeitung", "en": "in progress", "ls": "Wird bearbeitet."},
    "forwarded": {"de": "an die zuständige Stelle weitergeleitet", "en": "forwarded to the responsible "
                  "office", "ls": "Ist bei der richtigen Stelle."},
    "waiting_for_citizen": {"de": "wartet auf eine Rückmeldung von Ihnen", "en": "waiting for your "
                            "reply", "ls": "Wir brauchen eine Antwort von Ihnen."},
    "done": {"de": "erledigt", "en": "done", "ls": "Ist fertig."},
    "rejected": {"de": "abgelehnt", "en": "rejected", "ls": "Wurde abgelehnt."},
    "cancelled": {"de": "storniert", "en": "cancelled", "ls": "Wurde abgesagt."},
    "booked": {"de": "Termin gebucht", "en": "appointment booked", "ls": "Termin ist gebucht."},
}

SPEC = register(FormSpec(form=FORM, fields=(), extra_slots=(REFERENCE, PIN, NEED_PIN),
                          intent="status_abfragen"))


def reference_in(tracker: Tracker) -> str | None:
    """The reference from the regex entity or the text, normalised to PREFIX-YYYY-NNNNNN-C."""
    candidates = [str(v) for v in tracker.get_latest_entity_values("reference")]
    candidates.append(latest_text(tracker))
    for candidate in candidates:
        match = _REFERENCE.search(candidate)
        if match:
            prefix, year, number, check = match.groups()
            return f"{prefix.upper()}-{year}-{number}-{check}"
    return None


def _phone() -> str:
    return str(content.kreis().get("phone", ""))


def _date(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return f"{moment.day:02d}.{moment.month:02d}.{moment.year}"


def _answer(dispatcher: CollectingDispatcher, language: str, found: case_service.Status) -> None:
    names = STATUS_NAMES.get(found.status) or {"de": found.status}
    dispatcher.utter_message(text=say("status_answer", language, reference=found.reference,
                                      status=names.get(language, names["de"]),
                                      updated=_date(found.updated_at)))


def _finished(reference: str) -> dict[str, Any]:
    """All slots filled: the form ends (action_status_done clears them)."""
    return accepted({REFERENCE: reference, PIN: SKIPPED, NEED_PIN: False})


class ValidateStatusForm(FormValidationAction):
    def name(self) -> str:
        return f"validate_{FORM}"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        return [REFERENCE, PIN] if tracker.get_slot(NEED_PIN) else [REFERENCE]

    async def extract_case_reference(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        asking = requested(tracker) == REFERENCE
        if tracker.get_slot(REFERENCE) is not None and not asking:
            return {}
        if asking and is_interruption(tracker):
            return {}
        found = reference_in(tracker)
        if found:
            return {REFERENCE: found}
        return {REFERENCE: "?"} if asking else {}

    async def validate_case_reference(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        language = variant(tracker)
        if not value or value == "?":
            return invalid(dispatcher, tracker, REFERENCE, say("reference_unreadable", language))
        try:
            result = await case_service.case_status(str(value), tracker.sender_id)
        except case_service.CaseServiceError:
            dispatcher.utter_message(text=say("status_unavailable", language, phone=_phone()))
            return _finished(str(value))
        if isinstance(result, case_service.Mistyped):
            return invalid(dispatcher, tracker, REFERENCE, say("reference_typo", language))
        if isinstance(result, case_service.NotFound):
            return accepted({REFERENCE: str(value), NEED_PIN: True, PIN: None})
        if isinstance(result, case_service.TooMany):
            dispatcher.utter_message(text=say("status_too_many", language))
        else:
            _answer(dispatcher, language, result)
        return _finished(str(value))

    async def extract_case_pin(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        if requested(tracker) != PIN or is_interruption(tracker):
            return {}
        if latest_intent(tracker) == "deny":
            return {PIN: "none"}
        found = _PIN.search(latest_text(tracker))
        return {PIN: found.group(1) if found else "none"}

    async def validate_case_pin(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        language = variant(tracker)
        reference = str(tracker.get_slot(REFERENCE))
        if value == "none":
            dispatcher.utter_message(text=say("status_not_found", language, phone=_phone()))
            return _finished(reference)
        try:
            result = await case_service.case_status(reference, tracker.sender_id, pin=str(value))
        except case_service.CaseServiceError:
            dispatcher.utter_message(text=say("status_unavailable", language, phone=_phone()))
            return _finished(reference)
        if isinstance(result, case_service.Status):
            _answer(dispatcher, language, result)
        elif isinstance(result, case_service.TooMany):
            dispatcher.utter_message(text=say("status_too_many", language))
        else:  # NotFound, or Mistyped which the first lookup already excluded
            dispatcher.utter_message(text=say("status_not_found", language, phone=_phone()))
        return _finished(reference)


class ActionAskCaseReference(Action):
    def name(self) -> str:
        return "action_ask_case_reference"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=say("ask_case_reference", variant(tracker)))
        return []


class ActionAskCasePin(Action):
    def name(self) -> str:
        return "action_ask_case_pin"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=say("ask_case_pin", variant(tracker)))
        return []


class ActionStatusDone(Action):
    """After the answer: forget number and PIN, so the next query starts afresh."""

    def name(self) -> str:
        return "action_status_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        return [SlotSet(slot, None) for slot in (REFERENCE, PIN, NEED_PIN)]
