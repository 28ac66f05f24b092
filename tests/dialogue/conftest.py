"""Fixtures for tests of the Rasa side (run with .venv-rasa's Python 3.10)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def make_tracker(
    text: str = "",
    intent: str = "faq",
    response_key: str | None = None,
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    latest_action: str = "action_listen",
    metadata: dict[str, Any] | None = None,
    active_loop: dict[str, Any] | None = None,
) -> Tracker:
    """A rasa-sdk tracker as the Rasa server would send it to the action server."""
    latest: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "metadata": metadata or {},
    }
    if response_key:
        latest["response_selector"] = {
            "faq": {"response": {"intent_response_key": response_key, "confidence": 0.9}}
        }
    return Tracker(
        sender_id="test-user",
        slots={"language": "de", "user_language": "de", "town": None, "pending_topic": None,
               "town_attempts": 0, "language_choice": None, **(slots or {})},
        latest_message=latest,
        events=[],
        paused=False,
        followup_action=None,
        active_loop=active_loop or {},
        latest_action_name=latest_action,
    )


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def tracker_factory():
    return make_tracker
