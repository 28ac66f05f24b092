"""What a conversation is about when the citizen asks for a person: a catalogue topic id.

The case service picks the desk by it (``backoffice/handoff_hours.yml``
``topics``) and staff see its title before taking the conversation. Only
ids of ``nlu_data/catalogue.yml`` leave here, never the citizen's text.

Order: an active request form says what the citizen is doing right now;
otherwise the latest thing the bot answered in this session (an faq answer,
recognised by its feedback offer or its ``utter_faq/<id>`` response, as the
gateway does in ``channels/feedback.py``) or a request form it started.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions import content

# Request form -> its catalogue topic. Cancelling and moving an appointment have no topic of
# their own (control intents): they are about the appointment, so "Termin vereinbaren".
FORM_TOPICS = {
    "maengelmeldung_form": "maengelmeldung",
    "sperrmuell_form": "sperrmuell_anmelden",
    "rueckruf_form": "rueckruf",
    "status_form": "status_abfragen",
    "termin_form": "termin_buchen",
    "termin_absagen_form": "termin_buchen",
    "termin_verschieben_form": "termin_buchen",
}
TOWN_FORM = "town_form"  # asks for the town before an faq answer: the topic waits in pending_topic
ANSWER_PREFIX = "utter_faq/"
_SESSION_EDGES = frozenset({"session_started", "restart"})


def answer_topic(event: dict[str, Any]) -> str | None:
    """The topic a bot event answered, or None (a question, a confirmation, small talk)."""
    custom = (event.get("data") or {}).get("custom")
    feedback = custom.get("feedback") if isinstance(custom, dict) else None
    if isinstance(feedback, dict) and isinstance(feedback.get("topic"), str):
        return feedback["topic"]
    utter = (event.get("metadata") or {}).get("utter_action")
    if isinstance(utter, str) and utter.startswith(ANSWER_PREFIX):
        return utter[len(ANSWER_PREFIX):]
    return None


def _from_events(events: list[dict[str, Any]]) -> str | None:
    """The latest answered topic or started request form of the current session."""
    for event in reversed(events):
        kind = event.get("event")
        if kind in _SESSION_EDGES:
            return None
        if kind == "bot" and (topic := answer_topic(event)):
            return topic
        if kind == "active_loop" and event.get("name") in FORM_TOPICS:
            return FORM_TOPICS[event["name"]]
    return None


def current_topic(tracker: Tracker) -> str | None:
    """The catalogue topic id the conversation is about, or None."""
    form = tracker.active_loop_name
    if form in FORM_TOPICS:
        topic = FORM_TOPICS[form]
    elif form == TOWN_FORM and tracker.get_slot("pending_topic"):
        topic = str(tracker.get_slot("pending_topic"))
    else:
        topic = _from_events(tracker.events)
    return topic if topic in content.catalogue() else None
