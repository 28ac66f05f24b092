"""The data-protection actions as the action server runs them: the erase question and its answers,
the conversation facts of daten_auskunft, and German, English and Leichte Sprache counts. The
case service part and the gateway's erasure: tests/channels/test_privacy_e2e.py (real Rasa)."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions.privacy import ERASE, ActionDataErase, conversation_facts, tracker_days
from actions.privacy_texts import count
from tests.dialogue.conftest import make_tracker


async def test_erasure_is_only_asked_for_first(dispatcher) -> None:
    events = await ActionDataErase().run(dispatcher, make_tracker("daten löschen", "daten_loeschen"), {})
    assert events == [SlotSet("erase_pending", True)]
    [question] = dispatcher.messages
    assert question["text"] == "Soll ich jetzt alles löschen?"
    assert [b["payload"] for b in question["buttons"]] == ["/affirm", "/deny"]
    assert not any(m.get("json_message") for m in dispatcher.messages)


async def test_yes_to_the_question_hands_the_erasure_to_the_gateway(dispatcher) -> None:
    tracker = make_tracker("/affirm", "affirm", slots={"erase_pending": True, "language": "en"})
    events = await ActionDataErase().run(dispatcher, tracker, {})
    assert events == [SlotSet("erase_pending", None)]
    assert dispatcher.messages[0]["text"].startswith("Your data is being deleted now.")
    assert dispatcher.messages[1]["custom"] == ERASE


async def test_no_keeps_everything_and_a_late_yes_is_just_a_yes(dispatcher) -> None:
    tracker = make_tracker("nein", "deny", slots={"erase_pending": True, "language": "ls"})
    assert await ActionDataErase().run(dispatcher, tracker, {}) == [SlotSet("erase_pending", None)]
    assert dispatcher.messages[0]["text"].startswith("Gut. Ich lösche nichts.")
    dispatcher.messages.clear()
    assert await ActionDataErase().run(dispatcher, make_tracker("ja", "affirm"), {}) == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_affirm"]
    assert not any(m.get("custom") for m in dispatcher.messages)


def test_conversation_facts_count_the_citizens_messages(monkeypatch) -> None:
    tracker = make_tracker("x")
    tracker.events = [{"event": "user", "timestamp": 1_796_000_000.0}, {"event": "bot", "timestamp": 1.0},
                      {"event": "user", "timestamp": 1_796_100_000.0}]
    messages, since = conversation_facts(tracker)
    assert messages == 2 and since is not None and since.year == 2026
    monkeypatch.setenv("TRACKER_TTL_SECONDS", str(30 * 86400))
    assert tracker_days() == 30


def test_counts_agree_in_number() -> None:
    assert count(1, "day", "de") == "1 Tag" and count(30, "day", "de") == "30 Tage"
    assert count(30, "day_dative", "ls") == "30 Tagen" and count(1, "message", "en") == "1 message"
