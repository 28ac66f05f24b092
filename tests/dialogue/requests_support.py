"""Helpers for the request-form tests: trackers as the Rasa server sends them, the domain."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]


@cache
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "bot" / "domain" / "requests.yml").read_text("utf-8"))


def tracker(text: str, intent: str = "nlu_fallback", *, form: str | None = None,
            requested: str | None = None, slots: dict[str, Any] | None = None,
            metadata: dict[str, Any] | None = None, entities: list[dict[str, Any]] | None = None,
            message_id: str = "m-1", sender: str = "conv-test") -> Tracker:
    """The tracker of one user turn inside ``form`` with ``requested`` asked."""
    all_slots = {name: None for name in domain()["slots"]}
    all_slots.update({"language": "de", "user_language": "de", "attempts": 0,
                      "requested_slot": requested, **(slots or {})})
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.95},
              "entities": entities or [], "metadata": {"channel": "webchat", **(metadata or {})}}
    events = [{"event": "user", "text": text, "message_id": message_id, "parse_data": latest,
               "input_channel": "webchat", "timestamp": 1.0}]
    return Tracker(sender_id=sender, slots=all_slots, latest_message=latest, events=events,
                   paused=False, followup_action=None,
                   active_loop={"name": form} if form else {}, latest_action_name="action_listen")


def slot_sets(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The slots the action set, last value wins."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def slot(name: str, value: Any) -> dict[str, Any]:
    return SlotSet(name, value)
