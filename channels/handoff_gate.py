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
from collections.abc import Awaitable, Callable

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
                    language_of: Callable[[], Awaitable[str | None]]) -> list[Response] | None:
        """Responses to send instead of a dialogue turn, or None: the dialogue core handles it.

        Costs one Redis round trip for a conversation that is not handed off (the usual case)."""
        conversation, message = queued.conversation_id, queued.message
        if not await self._handoffs.is_active(conversation):
            if message.payload == RELEASE_PAYLOAD:  # the button of an old offer: say where they are
                return [Text(texts.pick(handoff_texts.RELEASED, await language_of()))]
            return None
        payload = message.payload
        if payload is None and numbered and message.text:
            payload = await self._offers.menu_choice(conversation, message.text)
        if payload == RELEASE_PAYLOAD or is_release_text(message.text):
            await self._handoffs.release(conversation)
            log.info("handoff released by the citizen conv=%s", conversation)
            return [Text(texts.pick(handoff_texts.RELEASED, await language_of()))]
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
        return [Text(texts.pick(handoff_texts.RECEIVED, await language_of()))] if acknowledge else []
