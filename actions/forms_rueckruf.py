"""The call-back form (rueckruf): topic, phone number, preferred time window."""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.forms_common import (
    CaseParts,
    Field,
    FormSpec,
    RequestFormValidation,
    SubmitRequest,
    accepted,
    button,
    invalid,
    latest_text,
    register,
    variant,
)
from actions.place_slot import PLACEHOLDERS
from actions.request_texts import say

FORM = "rueckruf_form"
TOPIC, PHONE, WINDOW = "callback_topic", "callback_phone", "callback_window"

# The topics people most often want to discuss on the phone (button titles = payloads).
TOPIC_BUTTONS: tuple[dict[str, str], ...] = (
    {"de": "Fahrzeugzulassung", "en": "Vehicle registration"},
    {"de": "Führerschein", "en": "Driving licence"},
    {"de": "Ausländerbehörde", "en": "Immigration office"},
    {"de": "Elterngeld", "en": "Parental allowance"},
)
# Normalised window words -> stored value.
_WINDOW_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("vormittags", ("vormittag", "vormittags", "morgens", "frueh", "morning", "forenoon")),
    ("nachmittags", ("nachmittag", "nachmittags", "abends", "afternoon", "evening")),
    ("jederzeit", ("jederzeit", "egal", "immer", "ganztags", "anytime", "any time", "whenever")),
)
_CLOCK = re.compile(r"\b(?:ab|nach|bis|vor|zwischen|after|before|from|until)?\s*\d{1,2}(?:[:.]\d{2})?"
                    r"\s*(?:uhr|h|am|pm|bis\s*\d{1,2}(?:[:.]\d{2})?\s*uhr)\b", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"[+(]?\d[\d\s()/.-]{3,}\d")


def phone_in(text: str) -> str | None:
    """The first valid German (or international) phone number in ``text``, as E.164."""
    for match in phonenumbers.PhoneNumberMatcher(text, "DE"):
        if phonenumbers.is_valid_number(match.number):
            return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None


def phone_attempt(text: str) -> str:
    """The part of ``text`` that looks like a number, for the error sentence."""
    found = _PHONE_CHARS.search(text)
    return (found.group(0) if found else text).strip()[:30]


def window_of(text: str) -> str | None:
    """'vormittags', 'nachmittags', 'jederzeit' or a clock phrase ('ab 14 Uhr'), else None."""
    padded = f" {content.normalise(text)} "
    for value, words in _WINDOW_WORDS:
        if any(f" {w} " in padded for w in words):
            return value
    clock = _CLOCK.search(text)
    return " ".join(clock.group(0).split()) if clock else None


def show_window(value: Any, language: str) -> str:
    keys = {"vormittags": "morning", "nachmittags": "afternoon", "jederzeit": "anytime"}
    return say(keys[value], language) if value in keys else str(value)


def show_phone(value: Any, _language: str) -> str:
    try:
        number = phonenumbers.parse(str(value), "DE")
    except phonenumbers.NumberParseException:
        return str(value)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


SPEC = register(FormSpec(
    form=FORM,
    intent="rueckruf",
    fields=(
        Field(TOPIC, {"de": "Anliegen", "en": "Topic"}, ("anliegen", "thema", "topic", "worum"),
              lambda v, _l: str(v)[:200]),
        Field(PHONE, {"de": "Telefonnummer", "en": "Phone number"},
              ("telefon", "telefonnummer", "nummer", "phone", "number"), show_phone),
        Field(WINDOW, {"de": "Erreichbar", "en": "Reachable"},
              ("zeit", "uhrzeit", "erreichbar", "wann", "time", "reachable"), show_window),
    ),
))


class ValidateRueckrufForm(RequestFormValidation):
    handoff_rule = True

    def spec(self) -> FormSpec:
        return SPEC

    async def extract_callback_topic(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        if not self.asked(tracker, TOPIC):
            return {}
        text = latest_text(tracker)
        return {TOPIC: "" if text.lower() in PLACEHOLDERS else text}

    def validate_callback_topic(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = " ".join(str(value or "").split())
        if len(text) < 4:
            return invalid(dispatcher, tracker, TOPIC, say("topic_too_short", variant(tracker)))
        return accepted({TOPIC: text[:500]})

    async def extract_callback_phone(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        if self.asked(tracker, PHONE):
            return {PHONE: latest_text(tracker)}
        if self.prefill(tracker, PHONE) and phone_in(latest_text(tracker)):
            return {PHONE: latest_text(tracker)}
        return {}

    def validate_callback_phone(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value or "")
        number = phone_in(text)
        if number is None:
            return invalid(dispatcher, tracker, PHONE,
                           say("phone_invalid", variant(tracker), value=phone_attempt(text)))
        return accepted({PHONE: number})

    async def extract_callback_window(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> dict[str, Any]:
        if self.asked(tracker, WINDOW):
            return {WINDOW: window_of(latest_text(tracker)) or "?"}
        if self.prefill(tracker, WINDOW):
            found = window_of(latest_text(tracker))
            return {WINDOW: found} if found else {}
        return {}

    def validate_callback_window(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if not value or value == "?":
            return invalid(dispatcher, tracker, WINDOW, say("window_unknown", variant(tracker)))
        return accepted({WINDOW: value})


class ActionAskCallbackTopic(Action):
    def name(self) -> str:
        return "action_ask_callback_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        language = variant(tracker)
        titles = [t.get(language, t["de"]) for t in TOPIC_BUTTONS]
        dispatcher.utter_message(text=say("ask_callback_topic", language),
                                 buttons=[button(t, t) for t in titles])
        return []


class ActionAskCallbackPhone(Action):
    def name(self) -> str:
        return "action_ask_callback_phone"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=say("ask_callback_phone", variant(tracker)))
        return []


class ActionAskCallbackWindow(Action):
    def name(self) -> str:
        return "action_ask_callback_window"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        language = variant(tracker)
        titles = [say(k, language) for k in ("morning", "afternoon", "anytime")]
        dispatcher.utter_message(text=say("ask_callback_window", language),
                                 buttons=[button(t, t) for t in titles])
        return []


class ActionSubmitRueckruf(SubmitRequest):
    kind = "rueckruf"

    def spec(self) -> FormSpec:
        return SPEC

    def parts(self, tracker: Tracker) -> CaseParts:
        return CaseParts(data={"topic": tracker.get_slot(TOPIC), "phone": tracker.get_slot(PHONE),
                               "window": tracker.get_slot(WINDOW)})

    def extra_confirmation(self, language: str) -> str | None:
        return say("callback_created", language)
