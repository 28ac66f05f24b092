"""Language, greeting, language switch and out-of-scope answers."""

from __future__ import annotations

import os
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import content, language
from actions.texts import text

_SWITCH_WORDS = (
    ("ls", ("leicht", "einfach", "simple german", "easy german")),
    ("en", ("englisch", "english", "inglizce", "ingilizce", "англ")),
    ("de", ("deutsch", "german", "almanca", "німец", "немец", "niemieck")),
    ("uk", ("ukrain", "україн", "украин")),
    ("tr", ("türk", "turk")),
    ("ar", ("arab", "عرب")),
    ("ru", ("russ", "русск")),
    ("pl", ("polni", "polsk", "polish")),
)


def _entity(tracker: Tracker, name: str) -> str | None:
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value is not None else None


def requested_language(tracker: Tracker) -> str | None:
    """The language a citizen asks for, from a button entity or the words used."""
    chosen = _entity(tracker, "language")
    if chosen:
        return chosen if chosen in language.ANSWER_LANGUAGES or chosen in language.LANGUAGES else None
    lowered = (tracker.latest_message.get("text") or "").lower()
    for code, words in _SWITCH_WORDS:
        if any(word in lowered for word in words):
            return code
    return None


class ActionDetectLanguage(Action):
    """Custom slot mapping: runs on every user message (action_extract_slots)."""

    def name(self) -> str:
        return "action_detect_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        message = tracker.latest_message or {}
        body = message.get("text") or ""
        if body.startswith("/"):  # a button payload carries no language
            return []
        hint = (message.get("metadata") or {}).get("language_hint")
        state = language.decide(
            body,
            current=tracker.get_slot("user_language"),
            choice=tracker.get_slot("language_choice"),
            hint=hint,
        )
        events: list[EventType] = []
        if state.user_language != tracker.get_slot("user_language"):
            events.append(SlotSet("user_language", state.user_language))
        if state.answer_language != tracker.get_slot("language"):
            events.append(SlotSet("language", state.answer_language))
        return events


class ActionSwitchLanguage(Action):
    def name(self) -> str:
        return "action_switch_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        code = requested_language(tracker)
        if code is None:
            dispatcher.utter_message(response="utter_sprache_wechseln")
            return []
        user_language = "de" if code == "ls" else code
        variant = language.answer_variant(user_language, code if code in ("de", "en", "ls") else None)
        if variant in ("de", "en", "ls") and user_language in ("de", "en"):
            dispatcher.utter_message(text=text("language_switched", variant))
        else:
            dispatcher.utter_message(text=language.NO_ANSWER_NOTICE.get(user_language, ""))
        return [
            SlotSet("language_choice", code if code in language.ANSWER_LANGUAGES else None),
            SlotSet("user_language", user_language),
            SlotSet("language", variant),
        ]


class ActionGreet(Action):
    """Greeting, plus the example-content notice while content is unreviewed."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_greet")
        if os.environ.get("CONTENT_IS_EXAMPLE", "true").lower() in ("1", "true", "yes"):
            dispatcher.utter_message(response="utter_example_content")
        return []


class ActionHandleOutOfScope(Action):
    """Points to the right authority where one is recognisable, else explains."""

    def name(self) -> str:
        return "action_handle_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        body = tracker.latest_message.get("text") or ""
        variant = tracker.get_slot("language") or "de"
        authority = content.find_authority(body) if not re.match(r"^\s*/", body) else None
        if authority is not None:
            answer = authority.answer.get("en" if variant == "en" else "de")
            if answer:
                dispatcher.utter_message(text=answer.strip())
                return []
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        dispatcher.utter_message(
            response="utter_out_of_scope" if intent == "out_of_scope" else "utter_default"
        )
        return []
