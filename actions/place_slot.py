"""A place slot of a form: shared location or text, inside the district, town asked once.

Used by the defect report (the place of the problem) and the bulky-waste
collection (the address). The candidate value is the raw input
(``{"lat", "lon"}`` or ``{"text"}``); validation turns it into the case
service's place dict or says why it cannot be taken.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import content, places
from actions.forms_common import accepted, invalid, latest_intent, latest_metadata, latest_text, variant
from actions.request_texts import say

PENDING = "place_pending"  # a place description still waiting for its town
PLACEHOLDERS = frozenset({"[standort]", "[anhang]"})


def raw_place(tracker: Tracker, prefill: bool) -> dict[str, Any] | None:
    """The candidate from this message, or None. Unasked (``prefill``) only when it is clear."""
    location = latest_metadata(tracker).get("location")
    if places.from_coordinates(location) is not None:
        return {"lat": location["lat"], "lon": location["lon"]}
    text = latest_text(tracker)
    if not text or text.lower() in PLACEHOLDERS or text.startswith("/"):
        return None
    if prefill:
        verdict = places.from_text(text)
        if verdict.place is None and not verdict.outside_town and not verdict.outside_postcode:
            return None
    # An answer to the place question is all place: kept whole. A place inside another
    # sentence ("In der Lindenstraße in Iserlohn ist ein Schlagloch") becomes street + town.
    return {"text": text, "whole": not prefill}


def validate_place(slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                   need_town: bool) -> dict[str, Any]:
    """The place for the case service, or a specific sentence and the question again."""
    language = variant(tracker)
    if not isinstance(value, dict):
        return invalid(dispatcher, tracker, slot, say("place_too_short", language))
    if "text" not in value:  # coordinates
        verdict = places.from_coordinates(value)
        if verdict is None or verdict.outside_coordinates:
            return {PENDING: None,
                    **invalid(dispatcher, tracker, slot, say("place_outside_coordinates", language))}
        return accepted({slot: verdict.place.as_dict(), PENDING: None})
    text = " ".join(str(value["text"]).split())
    pending = tracker.get_slot(PENDING)
    verdict = places.from_text(text)
    if verdict.outside_town:
        return {PENDING: None, **invalid(dispatcher, tracker, slot,
                                         say("place_outside_town", language, town=verdict.outside_town))}
    if verdict.outside_postcode:
        return {PENDING: None, **invalid(dispatcher, tracker, slot, say(
            "place_outside_postcode", language, postcode=verdict.outside_postcode))}
    if verdict.place is not None:
        place = verdict.place
        if pending:  # the answer to "in which town?": the street came before
            place = places.Place(town=place.town, address=f"{pending}, {_town_name(place.town)}"[:200])
        elif value.get("whole"):
            place = places.Place(town=place.town, address=text[:200])
        return accepted({slot: place.as_dict(), PENDING: None})
    if len(text) < 3 and not pending:
        return invalid(dispatcher, tracker, slot, say("place_too_short", language))
    if not pending:  # no town named: ask for it once
        return {slot: None, PENDING: text[:200]}
    if need_town:
        return {PENDING: None, **invalid(dispatcher, tracker, slot, say("address_needs_town", language))}
    address = pending if latest_intent(tracker) == "deny" else f"{pending}, {text}"[:200]
    return accepted({slot: places.Place(town=None, address=address).as_dict(), PENDING: None})


def _town_name(town_id: str | None) -> str | None:
    town = content.towns().get(town_id or "")
    return town.name if town else None


def ask_place(dispatcher: CollectingDispatcher, tracker: Tracker, question_key: str) -> None:
    """The place question (or, with a description waiting, the town question) + location button."""
    language = variant(tracker)
    key = "ask_place_town" if tracker.get_slot(PENDING) else question_key
    dispatcher.utter_message(text=say(key, language), json_message={"request": "location"})
