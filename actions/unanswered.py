"""Report a message the bot could not place to the case service, for the editors' console.

Called by ``action_fallback`` (the rules run it after ``nlu_fallback`` and
``out_of_scope``). The case service masks personal data before it stores
anything; here only what helps an editor is added: the language the citizen
wrote, the channel and the model's best guesses. Button payloads and
location/attachment placeholders are not questions and are not reported.
A failed report never disturbs the conversation.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker

from actions import case_service
from actions.forms_common import channel_of, latest_text, variant

logger = logging.getLogger(__name__)

MAX_TEXT = 1000
NOT_QUESTIONS = frozenset({"[Standort]", "[Anhang]"})
FALLBACK = "nlu_fallback"


def _guess(name: object, confidence: object) -> dict[str, Any]:
    return {"name": str(name), "confidence": min(1.0, max(0.0, round(float(confidence or 0), 3)))}


def guesses(message: dict[str, Any], limit: int = 3) -> list[dict[str, Any]]:
    """The model's best intents; for ``faq`` its best answers (``faq/<topic>``, response confidence)."""
    ranking = [r for r in message.get("intent_ranking") or () if r.get("name") and r["name"] != FALLBACK]
    selector = ((message.get("response_selector") or {}).get("faq") or {}).get("ranking") or ()
    found: list[dict[str, Any]] = []
    for entry in ranking:
        if entry["name"] == "faq" and selector:
            found.extend(_guess(r["intent_response_key"], r.get("confidence"))
                         for r in selector[:2] if r.get("intent_response_key"))
        else:
            found.append(_guess(entry["name"], entry.get("confidence")))
    return sorted(found, key=lambda g: g["confidence"], reverse=True)[:limit]


async def report(tracker: Tracker) -> bool:
    """True when the message was recorded."""
    text = latest_text(tracker)
    if not text or text.startswith("/") or text in NOT_QUESTIONS:
        return False
    language = tracker.get_slot("user_language") or variant(tracker)
    try:
        await case_service.record_unanswered(text[:MAX_TEXT], str(language), channel_of(tracker),
                                             guesses(tracker.latest_message or {}))
    except case_service.CaseServiceError:
        return False  # logged by the client, without the text
    return True
