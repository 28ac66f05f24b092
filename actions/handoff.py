"""Talking to a person: the handoff request, and the offer after two misunderstandings."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import case_service, content, unanswered
from actions.forms_common import button, channel_of, latest_text, variant
from actions.handoff_topic import current_topic
from actions.request_texts import say

BERLIN = ZoneInfo("Europe/Berlin")
FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
APPOINTMENT_FORMS = frozenset({"termin_form", "termin_absagen_form", "termin_verschieben_form"})
_WEEKDAYS = {"de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
             "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}


def next_open_text(iso: str, language: str, now: datetime | None = None) -> str:
    """'Dienstag, 1.12., 8:00 Uhr' (or 'heute, 14:00 Uhr') in Europe/Berlin."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BERLIN)
    moment = moment.astimezone(BERLIN)
    today = (now or datetime.now(BERLIN)).astimezone(BERLIN).date()
    english = language == "en"
    if moment.date() == today:
        day = "today" if english else "heute"
    else:
        day = _WEEKDAYS["en" if english else "de"][moment.weekday()]
        day += f" {moment.day} {moment.strftime('%B')}" if english else f", {moment.day}.{moment.month}."
    clock = f"{moment.hour}:{moment.minute:02d}"
    return f"{day}, {clock}" if english else f"{day}, {clock} Uhr"


def handoff_office(tracker: Tracker) -> str | None:
    """The appointment office of an active appointment form, so the desk serving it (its hours) answers;
    None (the default desk) for every other form or topic, which have no desk of their own."""
    if tracker.active_loop_name not in APPOINTMENT_FORMS:
        return None
    office = tracker.get_slot("appt_office")
    if not office:  # cancelling or moving: the office of the booked appointment
        try:
            current = json.loads(tracker.get_slot("appt_current") or "{}")
        except (TypeError, ValueError):
            current = {}
        office = current.get("office") if isinstance(current, dict) else None
    return office if isinstance(office, str) and office else None


def _offer_buttons(language: str, with_human: bool) -> list[dict[str, str]]:
    buttons = [button(say("human_button", language), "/mensch_sprechen")] if with_human else []
    return [*buttons, button(say("callback_button", language), "/rueckruf")]


class ActionHandoff(Action):
    """POST /api/v1/handoff: connect to staff, or say when they are back and offer a call-back.

    Sends the conversation's topic id (``handoff_topic``) and an appointment office: the case
    service picks the desk by them, and staff see the topic before taking the conversation."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        language = variant(tracker)
        reason = "button" if latest_text(tracker).startswith("/") else "asked"
        if reason == "asked" and _previous_was_fallback(tracker):
            reason = "fallbacks"
        try:
            result = await case_service.handoff(tracker.sender_id, channel_of(tracker), language,
                                                current_topic(tracker), reason, handoff_office(tracker))
        except case_service.CaseServiceError:
            dispatcher.utter_message(
                text=say("handoff_unavailable", language, phone=content.kreis().get("phone", "")),
                buttons=_offer_buttons(language, with_human=False))
            return []
        if isinstance(result, case_service.HandoffQueued):
            dispatcher.utter_message(text=say("handoff_queued", language, position=result.position))
        else:
            dispatcher.utter_message(
                text=say("handoff_closed", language, when=next_open_text(result.next_open, language)),
                buttons=_offer_buttons(language, with_human=False))
        return []


def _is_fallback(event: dict[str, Any]) -> bool:
    """A user event the bot could not answer (no other authority recognised)."""
    data = event.get("parse_data") or {}
    intent = (data.get("intent") or {}).get("name")
    entities = {e.get("entity") for e in data.get("entities") or ()}
    return intent in FALLBACK_INTENTS and "other_authority" not in entities


def _previous_was_fallback(tracker: Tracker) -> bool:
    users = [e for e in tracker.events if e.get("event") == "user"]
    return len(users) >= 2 and _is_fallback(users[-2])


class ActionFallback(Action):
    """After "not understood": record the question for the editors (masked by the case service);
    the second time in a row, offer a person or a call-back."""

    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        await unanswered.report(tracker)
        if _previous_was_fallback(tracker):
            language = variant(tracker)
            dispatcher.utter_message(text=say("fallback_offer", language),
                                     buttons=_offer_buttons(language, with_human=True))
        return []
