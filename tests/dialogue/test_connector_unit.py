"""Replay of earlier responses by message id (the connector's idempotency)."""

from __future__ import annotations

from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

from bot.connector import bot_event_to_message, intent_of, responses_after


def _events() -> list:
    return [
        ActionExecuted("action_listen"),
        UserUttered("Hallo", message_id="m1"),
        BotUttered("Guten Tag!", data={"buttons": [{"title": "A", "payload": "/a"}]}),
        BotUttered("Hinweis"),
        SlotSet("language", "de"),
        ActionExecuted("action_listen"),
        UserUttered("Danke", intent={"name": "thanks", "confidence": 0.9}, message_id="m2"),
        BotUttered("Gern geschehen.\n"),
    ]


def test_replays_responses_of_the_first_turn_only() -> None:
    assert responses_after(_events(), "m1") == [
        {"text": "Guten Tag!", "buttons": [{"title": "A", "payload": "/a"}]},
        {"text": "Hinweis"},
    ]


def test_replays_last_turn() -> None:
    assert responses_after(_events(), "m2") == [{"text": "Gern geschehen."}]


def test_unknown_message_id_is_none() -> None:
    assert responses_after(_events(), "m3") is None


def test_turn_without_responses_is_an_empty_list_not_none() -> None:
    events = [UserUttered("…", message_id="m9"), ActionExecuted("action_listen")]
    assert responses_after(events, "m9") == []


def test_custom_payloads_are_kept() -> None:
    event = BotUttered(None, data={"custom": {"location_request": True}})
    assert bot_event_to_message(event) == {"custom": {"location_request": True}}


def test_intent_of_the_message_for_the_gateways_fallback_rate() -> None:
    events = [*_events(), UserUttered("xyz", intent={"name": "nlu_fallback"}, message_id="m3")]
    assert intent_of(events, "m2") == "thanks"
    assert intent_of(events, "m3") == "nlu_fallback"
    assert intent_of(events, "m1") is None  # parsed without an intent
    assert intent_of(events, "m4") is None  # unknown message
