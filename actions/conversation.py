"""Language detection and switch, greeting notice, other authorities."""

from __future__ import annotations

import os
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import content, language
from actions.texts import text


def _entity(tracker: Tracker, name: str) -> str | None:
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value is not None else None


def content_is_example() -> bool:
    return os.environ.get("CONTENT_IS_EXAMPLE", "true").strip().lower() in ("1", "true", "yes")


class ActionDetectLanguage(Action):
    """Custom slot mapping: runs on every user message (action_extract_slots)."""

    def name(self) -> str:
        return "action_detect_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        message = tracker.latest_message or {}
        body = message.get("text") or ""
        if body.lstrip().startswith("/"):  # a button payload carries no language
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
    """Switches to the language named by the ``language`` entity."""

    def name(self) -> str:
        return "action_switch_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        code = _entity(tracker, "language")
        if code not in language.LANGUAGES and code not in language.ANSWER_LANGUAGES:
            dispatcher.utter_message(response="utter_sprache_wechseln")
            return []
        user_language = "de" if code == "ls" else code
        choice = code if code in language.ANSWER_LANGUAGES else None
        variant = language.answer_variant(user_language, choice)
        if choice is not None:
            dispatcher.utter_message(text=text("language_switched", variant))
        else:
            dispatcher.utter_message(text=language.NO_ANSWER_NOTICE[user_language])
        return [
            SlotSet("language_choice", choice),
            SlotSet("user_language", user_language),
            SlotSet("language", variant),
        ]


class ActionLanguageNotice(Action):
    """Before a reply that is not a topic's answer (out of scope, not understood): the same
    one-sentence notice a topic's answer gets, so a Turkish writer knows why English follows."""

    def name(self) -> str:
        return "action_language_notice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if notice := language.notice(tracker.get_slot("user_language")):
            dispatcher.utter_message(text=notice)
        return []


class ActionExampleNotice(Action):
    """After the greeting: says the content is example content (a setting)."""

    def name(self) -> str:
        return "action_example_notice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if content_is_example():
            variant = tracker.get_slot("language") or "de"
            dispatcher.utter_message(text=text("example_content", variant))
        return []


class ActionPointToAuthority(Action):
    """Names the authority that handles what the citizen asked about."""

    def name(self) -> str:
        return "action_point_to_authority"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        authority_id = _entity(tracker, "other_authority")
        variant = tracker.get_slot("language") or "de"
        authority = next((a for a in content.authorities() if a.id == authority_id), None)
        answer = authority.answer.get("en" if variant == "en" else "de") if authority else None
        if notice := language.notice(tracker.get_slot("user_language")):
            dispatcher.utter_message(text=notice)
        if answer:
            dispatcher.utter_message(text=answer.strip())
        else:
            dispatcher.utter_message(response="utter_out_of_scope")
        return []
