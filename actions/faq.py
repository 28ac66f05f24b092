"""Answers to faq topics, with responsibility routing to the citizen's town."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content, language
from actions.texts import text

RETRIEVAL_INTENT = "faq"
NO_TOWN = "-"  # the town form ended without a town (declined or not found)
MAX_TOWN_ATTEMPTS = 2
_AFTER_TOWN_FORM = {"town_form", "action_deactivate_loop"}


def predicted_topic(tracker: Tracker) -> str | None:
    """Topic id from a button entity, the response selector or the intent."""
    topic = next(tracker.get_latest_entity_values("topic"), None)
    if topic:
        return str(topic)
    message = tracker.latest_message or {}
    selector = (message.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    key = (selector.get("response") or {}).get("intent_response_key") or ""
    if key.startswith(f"{RETRIEVAL_INTENT}/"):
        return key.split("/", 1)[1]
    name = (message.get("intent") or {}).get("name") or ""
    if name.startswith(f"{RETRIEVAL_INTENT}/"):
        return name.split("/", 1)[1]
    return None


def _office_sentence(town: content.Town, variant: str) -> str:
    online = text("online", variant, url=town.online_services) if town.online_services else ""
    return text(
        "town_office",
        variant,
        town=town.name,
        office=town.office.name,
        address=town.office.address,
        phone=town.office.phone,
        online=online,
    )


class _TopicRouting:
    """Shared steps: language notice and who is responsible where.

    A mixin, not an Action subclass: rasa-sdk registers every Action subclass.
    """

    def _context(
        self,
        topic: content.Topic,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        allow_asking: bool,
    ) -> list[EventType] | None:
        """Messages before the answer; None when the town must be asked first."""
        variant = tracker.get_slot("language") or "de"
        user_language = tracker.get_slot("user_language") or "de"
        events: list[EventType] = [SlotSet("pending_topic", None), SlotSet("town_attempts", 0)]
        town: content.Town | None = None
        if topic.authority in ("gemeinde", "mixed"):
            town_id = tracker.get_slot("town")
            found = content.find_town(tracker.latest_message.get("text") or "").town
            if found is not None and allow_asking:
                town = found
                events.append(SlotSet("town", found.id))
            elif town_id and town_id != NO_TOWN:
                town = content.towns().get(town_id)
            if town is None and allow_asking:
                return None
            if town_id == NO_TOWN:
                events.append(SlotSet("town", None))
        if notice := language.notice(user_language):
            dispatcher.utter_message(text=notice)
        if topic.authority in ("gemeinde", "mixed"):
            kreis = content.kreis()
            if town is None:
                dispatcher.utter_message(
                    text=text("town_unknown", variant, kreis=kreis["name"],
                              url=kreis.get("url", ""))
                )
            elif content.responsible(topic, town) == "gemeinde":
                dispatcher.utter_message(text=_office_sentence(town, variant))
            else:
                dispatcher.utter_message(
                    text=text("kreis_in_town", variant, town=town.name, kreis=kreis["name"])
                )
        return events


def offer_feedback(dispatcher: CollectingDispatcher, topic: content.Topic) -> None:
    """Ask "War das hilfreich?" about this answer. Channel-neutral: the gateway puts it after the
    turn's answer and each channel shows it its own way (none on SMS, where it costs a segment)."""
    dispatcher.utter_message(json_message={"feedback": {"topic": topic.id}})


def _ask_town(topic: content.Topic) -> list[EventType]:
    return [SlotSet("pending_topic", topic.id), FollowupAction("town_form")]


class ActionFaqContext(_TopicRouting, Action):
    """Runs before ``utter_faq``: notices and routing for the predicted topic."""

    def name(self) -> str:
        return "action_faq_context"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        topic = content.catalogue().get(predicted_topic(tracker) or "")
        if topic is None:
            return []
        events = self._context(topic, dispatcher, tracker, allow_asking=True)
        if events is None:
            return _ask_town(topic)
        offer_feedback(dispatcher, topic)  # utter_faq follows this action; the gateway moves it after
        return events


class ActionAnswerTopic(_TopicRouting, Action):
    """The whole answer for a topic named by a button or waiting for the town."""

    def name(self) -> str:
        return "action_answer_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        after_form = tracker.latest_action_name in _AFTER_TOWN_FORM
        topic_id = tracker.get_slot("pending_topic") if after_form else predicted_topic(tracker)
        topic = content.catalogue().get(topic_id or "")
        if topic is None or topic.kind != "faq":
            dispatcher.utter_message(response="utter_default")
            return [SlotSet("pending_topic", None)]
        events = self._context(topic, dispatcher, tracker, allow_asking=not after_form)
        if events is None:
            return _ask_town(topic)
        dispatcher.utter_message(response=f"utter_{RETRIEVAL_INTENT}/{topic.id}")
        offer_feedback(dispatcher, topic)
        return events


class ActionAskTown(Action):
    """The town form's question; names the district from the directory."""

    def name(self) -> str:
        return "action_ask_town"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        variant = tracker.get_slot("language") or "de"
        dispatcher.utter_message(text=text("ask_town", variant, kreis=content.kreis()["name"]))
        return []


class ValidateTownForm(FormValidationAction):
    def name(self) -> str:
        return "validate_town_form"

    def validate_town(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        value = str(slot_value or "").strip()
        variant = tracker.get_slot("language") or "de"
        kreis_name = content.kreis()["name"]
        match = content.find_town(value, fuzzy=True)
        if match.town is not None:
            return {"town": match.town.id, "town_attempts": 0}
        if match.postcode_outside:
            dispatcher.utter_message(
                text=text("postcode_outside", variant, value=match.postcode_outside,
                          kreis=kreis_name)
            )
            return {"town": NO_TOWN, "town_attempts": 0}
        attempts = int(tracker.get_slot("town_attempts") or 0) + 1
        if attempts >= MAX_TOWN_ATTEMPTS:
            return {"town": NO_TOWN, "town_attempts": 0}
        dispatcher.utter_message(
            text=text("place_unknown", variant, value=value[:60], kreis=kreis_name)
        )
        return {"town": None, "town_attempts": attempts}
