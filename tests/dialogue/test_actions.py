"""Custom actions, run as the action server runs them."""

from __future__ import annotations

import pytest
from rasa_sdk.events import FollowupAction, SlotSet

from actions.conversation import (
    ActionDetectLanguage,
    ActionExampleNotice,
    ActionPointToAuthority,
    ActionSwitchLanguage,
)
from actions.faq import NO_TOWN, ActionAnswerTopic, ActionFaqContext, ValidateTownForm
from tests.dialogue.conftest import make_tracker


def _texts(dispatcher) -> list[str]:
    return [m.get("text") or "" for m in dispatcher.messages if not m.get("custom")]


def _feedback(dispatcher) -> list[dict]:
    return [m["custom"]["feedback"] for m in dispatcher.messages if "feedback" in (m.get("custom") or {})]


def _responses(dispatcher) -> list[str]:
    return [m.get("response") for m in dispatcher.messages if m.get("response")]


async def test_kreis_topic_needs_no_town(dispatcher) -> None:
    tracker = make_tracker("Wie melde ich mein Auto an?", response_key="faq/kfz_zulassung")
    events = await ActionFaqContext().run(dispatcher, tracker, {})
    assert not any(e.get("event") == "followup" for e in events)
    # only "War das hilfreich?" for the answer that follows (the gateway shows it after the answer)
    assert [m["custom"] for m in dispatcher.messages] == [{"feedback": {"topic": "kfz_zulassung"}}]


async def test_gemeinde_topic_asks_for_the_town_first(dispatcher) -> None:
    tracker = make_tracker("perso abgelaufen", response_key="faq/personalausweis")
    events = await ActionFaqContext().run(dispatcher, tracker, {})
    assert SlotSet("pending_topic", "personalausweis") in events
    assert FollowupAction("town_form") in events
    assert dispatcher.messages == []  # no answer yet, so no "War das hilfreich?"


async def test_town_in_the_question_is_used_and_remembered(dispatcher) -> None:
    tracker = make_tracker("Personalausweis beantragen in Iserlohn",
                           response_key="faq/personalausweis")
    events = await ActionFaqContext().run(dispatcher, tracker, {})
    assert SlotSet("town", "iserlohn") in events
    assert "Iserlohn" in _texts(dispatcher)[0]


async def test_known_town_routes_to_its_office(dispatcher) -> None:
    tracker = make_tracker("Reisepass beantragen", response_key="faq/reisepass",
                           slots={"town": "balve"})
    events = await ActionFaqContext().run(dispatcher, tracker, {})
    assert not any(e.get("event") == "followup" for e in events)
    assert "Balve" in _texts(dispatcher)[0]


async def test_mixed_topic_handled_by_the_kreis_says_so(dispatcher) -> None:
    tracker = make_tracker("Bauantrag stellen", response_key="faq/bauantrag",
                           slots={"town": "balve"})
    await ActionFaqContext().run(dispatcher, tracker, {})
    assert "der Märkische Kreis zuständig" in _texts(dispatcher)[0]


async def test_other_language_gets_a_notice_in_that_language(dispatcher) -> None:
    tracker = make_tracker("Як зареєструвати авто?", response_key="faq/kfz_zulassung",
                           slots={"user_language": "uk", "language": "en"})
    await ActionFaqContext().run(dispatcher, tracker, {})
    assert _texts(dispatcher) == ["На жаль, відповіді українською поки що немає. "
                                  "Нижче відповідь англійською."]


async def test_answer_topic_after_the_town_form(dispatcher) -> None:
    tracker = make_tracker("Iserlohn", intent="nlu_fallback", latest_action="town_form",
                           slots={"town": "iserlohn", "pending_topic": "personalausweis"})
    events = await ActionAnswerTopic().run(dispatcher, tracker, {})
    assert "Iserlohn" in _texts(dispatcher)[0]
    assert _responses(dispatcher) == ["utter_faq/personalausweis"]
    assert SlotSet("pending_topic", None) in events


async def test_answer_topic_when_the_town_stayed_unknown(dispatcher) -> None:
    tracker = make_tracker("weiß nicht", intent="deny", latest_action="action_deactivate_loop",
                           slots={"town": NO_TOWN, "pending_topic": "personalausweis"})
    events = await ActionAnswerTopic().run(dispatcher, tracker, {})
    assert "Stadt" in _texts(dispatcher)[0]
    assert _responses(dispatcher) == ["utter_faq/personalausweis"]
    assert SlotSet("town", None) in events  # asked again next time


async def test_answer_topic_from_button_entity(dispatcher) -> None:
    tracker = make_tracker('/faq{"topic":"kfz_zulassung"}',
                           entities=[{"entity": "topic", "value": "kfz_zulassung"}])
    await ActionAnswerTopic().run(dispatcher, tracker, {})
    assert _responses(dispatcher) == ["utter_faq/kfz_zulassung"]
    assert dispatcher.messages[-1]["custom"] == {"feedback": {"topic": "kfz_zulassung"}}  # after it


async def test_answer_topic_rejects_unknown_topic(dispatcher) -> None:
    tracker = make_tracker('/faq{"topic":"nope"}', entities=[{"entity": "topic", "value": "nope"}])
    await ActionAnswerTopic().run(dispatcher, tracker, {})
    assert _responses(dispatcher) == ["utter_default"]
    assert _feedback(dispatcher) == []  # nothing answered, nothing to rate


@pytest.mark.parametrize(
    ("value", "slots", "said"),
    [
        ("Iserlohn", {"town": "iserlohn", "town_attempts": 0}, None),
        ("58762", {"town": "altena", "town_attempts": 0}, None),
        ("10115", {"town": NO_TOWN, "town_attempts": 0}, "10115"),
        ("Hagen", {"town": None, "town_attempts": 1}, "Hagen"),
    ],
)
def test_validate_town(dispatcher, value: str, slots: dict, said: str | None) -> None:
    result = ValidateTownForm().validate_town(value, dispatcher, make_tracker(value), {})
    assert result == slots
    if said is None:
        assert dispatcher.messages == []
    else:
        assert said in _texts(dispatcher)[0]


def test_validate_town_gives_up_after_two_attempts(dispatcher) -> None:
    tracker = make_tracker("Hagen", slots={"town_attempts": 1})
    result = ValidateTownForm().validate_town("Hagen", dispatcher, tracker, {})
    assert result == {"town": NO_TOWN, "town_attempts": 0}


async def test_detect_language_uses_hint_first(dispatcher) -> None:
    tracker = make_tracker("Personalausweis", metadata={"language_hint": "en-GB"},
                           slots={"user_language": None, "language": "de"})
    events = await ActionDetectLanguage().run(dispatcher, tracker, {})
    assert SlotSet("user_language", "en") in events
    assert SlotSet("language", "en") in events


async def test_detect_language_ignores_button_payloads(dispatcher) -> None:
    tracker = make_tracker('/faq{"topic":"kfz_zulassung"}', slots={"user_language": "en"})
    assert await ActionDetectLanguage().run(dispatcher, tracker, {}) == []


async def test_switch_to_leichte_sprache(dispatcher) -> None:
    tracker = make_tracker("bitte leichte Sprache", intent="sprache_wechseln",
                           entities=[{"entity": "language", "value": "ls"}])
    events = await ActionSwitchLanguage().run(dispatcher, tracker, {})
    assert SlotSet("language", "ls") in events
    assert SlotSet("language_choice", "ls") in events
    assert "Leichter Sprache" in _texts(dispatcher)[0]


async def test_switch_to_ukrainian_explains_english_answers(dispatcher) -> None:
    tracker = make_tracker("Українською", intent="sprache_wechseln",
                           entities=[{"entity": "language", "value": "uk"}])
    events = await ActionSwitchLanguage().run(dispatcher, tracker, {})
    assert SlotSet("user_language", "uk") in events
    assert SlotSet("language", "en") in events
    assert "українською" in _texts(dispatcher)[0]


async def test_switch_without_language_asks(dispatcher) -> None:
    tracker = make_tracker("andere Sprache", intent="sprache_wechseln")
    assert await ActionSwitchLanguage().run(dispatcher, tracker, {}) == []
    assert _responses(dispatcher) == ["utter_sprache_wechseln"]


async def test_example_notice_follows_setting(dispatcher, monkeypatch) -> None:
    monkeypatch.setenv("CONTENT_IS_EXAMPLE", "false")
    await ActionExampleNotice().run(dispatcher, make_tracker("Hallo", intent="greet"), {})
    assert dispatcher.messages == []
    monkeypatch.setenv("CONTENT_IS_EXAMPLE", "true")
    await ActionExampleNotice().run(dispatcher, make_tracker("Hallo", intent="greet"), {})
    assert "Beispielinhalte" in _texts(dispatcher)[0]


async def test_point_to_authority(dispatcher) -> None:
    tracker = make_tracker("Kindergeld beantragen", intent="out_of_scope",
                           entities=[{"entity": "other_authority", "value": "familienkasse"}])
    await ActionPointToAuthority().run(dispatcher, tracker, {})
    assert "Familienkasse" in _texts(dispatcher)[0]
