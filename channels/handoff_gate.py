"""The worker's turn while a conversation is handed off to staff: no dialogue core involved.

While the conversation waits for or is held by staff (``handoff.py``), a
citizen's message goes to the transcript the console shows, not to Rasa
(the emergency fast path answered before anything was queued, see
``intake.py``). The first message while waiting gets one short
acknowledgement. "zurück zum Bot" (or the button ``/handoff_release``) ends
the handoff at once; the call-back button (``/rueckruf``) of the waiting
offer ends the wait and goes to the dialogue core, which runs the call-back
form. On SMS the numbered menu maps "1" / "2" to those payloads as usual.
"""

from __future__ import annotations

import logging
import re

from channels import handoff_texts, texts
from channels.dialogue import Offers
from channels.handoff import Handoffs, State
from channels.messages import InboundMessage, QueuedMessage, Response, Text

log = logging.getLogger(__name__)

RELEASE_PAYLOAD = "/handoff_release"
CALLBACK_PAYLOAD = "/rueckruf"
_RELEASE_PHRASES = frozenset({"zurück zum bot", "zurueck zum bot", "zuruck zum bot", "zurück zum assistenten",
                              "back to the bot", "back to bot"})


def is_release_text(text: str | None) -> bool:
    """"zurück zum Bot" and close spellings, ignoring case, spaces and end punctuation."""
    if not text:
        return False
    words = re.sub(r"\s+", " ", text.strip().lower().rstrip(".!?")).strip()
    return words in _RELEASE_PHRASES


def transcript_text(message: InboundMessage, payload: str | None) -> str:
    """What staff see for a message: its text, the pressed button, or a marker for location/media."""
    if message.text and message.text.strip():
        return message.text
    if payload:
        return f"[Schaltfläche {payload}]"
    if message.location is not None:
        return f"[Standort {message.location.lat:.5f}, {message.location.lon:.5f}]"
    return "[Anhang]"


class HandoffGate:
    def __init__(self, handoffs: Handoffs, offers: Offers) -> None:
        self._handoffs = handoffs
        self._offers = offers

    async def route(self, queued: QueuedMessage, numbered: bool,
                    language: str | None) -> list[Response] | None:
        """Responses to send instead of a dialogue turn, or None: the dialogue core handles it."""
        conversation, message = queued.conversation_id, queued.message
        payload = message.payload
        if payload is None and numbered and message.text:
            payload = await self._offers.menu_choice(conversation, message.text)
        releasing = payload == RELEASE_PAYLOAD or is_release_text(message.text)
        if not await self._handoffs.is_active(conversation):
            # the button of an old offer: nothing to end, but the citizen should hear where they are
            released = payload == RELEASE_PAYLOAD
            return [Text(texts.pick(handoff_texts.RELEASED, language))] if released else None
        if releasing:
            await self._handoffs.release(conversation)
            log.info("handoff released by the citizen conv=%s", conversation)
            return [Text(texts.pick(handoff_texts.RELEASED, language))]
        if payload == CALLBACK_PAYLOAD:
            current = await self._handoffs.get(conversation)
            if current is not None and current.state is State.WAITING:
                await self._handoffs.release(conversation)
                log.info("handoff: citizen chose a call-back conv=%s", conversation)
                return None
        acknowledge = await self._handoffs.log_citizen(conversation, queued.message_id,
                                                       transcript_text(message, payload))
        if acknowledge is None:  # the handoff ended meanwhile
            return None
        return [Text(texts.pick(handoff_texts.RECEIVED, language))] if acknowledge else []
