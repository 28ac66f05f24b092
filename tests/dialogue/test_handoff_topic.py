"""The topic ``action_handoff`` sends: the active request form, else the latest answer of the session."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import case_service, content
from actions.handoff import ActionHandoff
from actions.handoff_topic import FORM_TOPICS, current_topic
from tests.dialogue.requests_support import domain, tracker

ASK = "Ich möchte mit einem Menschen sprechen"


def user(text: str, intent: str) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"text": text, "intent": {"name": intent}}}


def faq_answer(topic: str) -> list[dict[str, Any]]:
    """An faq answer as Rasa stores it: the response selector's utterance, then the feedback offer."""
    return [{"event": "bot", "text": "Antwort", "metadata": {"utter_action": f"utter_faq/{topic}"},
             "data": {"buttons": None, "custom": None}},
            {"event": "bot", "text": None, "metadata": {},
             "data": {"custom": {"feedback": {"topic": topic}}}}]


def turn(history: list[dict[str, Any]], form: str | None = None, text: str = ASK,
         slots: dict[str, Any] | None = None) -> Tracker:
    """``tracker`` of the handoff request with ``history`` before it."""
    base = tracker(text, "mensch_sprechen", form=form, slots=slots)
    base.events = [*history, *base.events]
    return base


def test_form_topics_are_catalogue_ids() -> None:
    assert set(FORM_TOPICS.values()) <= set(content.catalogue())


def test_the_latest_faq_answer_is_the_topic() -> None:
    history = [user("Was kostet Wohngeld?", "faq"), *faq_answer("wohngeld"),
               user("Ich habe meinen Führerschein verloren", "faq"), *faq_answer("fuehrerschein_verlust"),
               user("danke", "thanks"), {"event": "bot", "text": "Gern geschehen!", "metadata": {}}]
    assert current_topic(turn(history)) == "fuehrerschein_verlust"


def test_an_answer_without_feedback_offer_counts_by_its_response() -> None:
    """An answer during a form (``action_answer_during_form``) has no offer, only the response name."""
    history = [user("Wie melde ich mein Auto ab?", "faq"),
               {"event": "bot", "text": "Antwort", "metadata": {"utter_action": "utter_faq/kfz_abmeldung"}}]
    assert current_topic(turn(history)) == "kfz_abmeldung"


def test_an_active_request_form_wins_over_an_earlier_answer() -> None:
    history = [*faq_answer("fuehrerschein_verlust"), {"event": "active_loop", "name": "maengelmeldung_form"}]
    assert current_topic(turn(history, form="maengelmeldung_form")) == "maengelmeldung"
    assert current_topic(turn(history, form="termin_absagen_form")) == "termin_buchen"


def test_a_finished_form_is_the_topic_until_the_next_answer() -> None:
    history = [*faq_answer("wohngeld"), {"event": "active_loop", "name": "sperrmuell_form"},
               {"event": "active_loop", "name": None}, {"event": "bot", "text": "Vorgangsnummer: …"}]
    assert current_topic(turn(history)) == "sperrmuell_anmelden"
    assert current_topic(turn([*history, *faq_answer("gelbe_tonne")])) == "gelbe_tonne"


def test_the_town_question_is_about_the_waiting_topic() -> None:
    assert current_topic(turn([], form="town_form", slots={"pending_topic": "wohngeld"})) == "wohngeld"


@pytest.mark.parametrize("history", [
    [],
    [user("Hallo", "greet"),
     {"event": "bot", "text": "Guten Tag!", "metadata": {"utter_action": "utter_greet"}}],
    # an answer of an earlier session does not count
    [*faq_answer("kfz_zulassung"), {"event": "action", "name": "action_session_start"},
     {"event": "session_started"}],
    # only catalogue ids leave: never text, never an unknown id
    [{"event": "bot", "text": "x", "data": {"custom": {"feedback": {"topic": "Mein Führerschein"}}}}],
    [{"event": "bot", "text": "x", "metadata": {"utter_action": "utter_faq/gibt_es_nicht"}}],
])
def test_no_topic(history: list[dict[str, Any]]) -> None:
    assert current_topic(turn(history)) is None


async def test_the_action_sends_the_topic_and_never_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple] = []

    async def handoff(*args: Any) -> case_service.HandoffQueued:
        sent.append(args)
        return case_service.HandoffQueued(position=1)

    monkeypatch.setattr(case_service, "handoff", handoff)
    history = [user("Führerschein verloren, was nun?", "faq"), *faq_answer("fuehrerschein_verlust")]
    await ActionHandoff().run(CollectingDispatcher(), turn(history), domain())
    (_, _, _, topic, reason, office), = sent
    assert (topic, reason, office) == ("fuehrerschein_verlust", "asked", None)
    assert all("Führerschein" not in str(value) and ASK not in str(value) for value in sent[0])
