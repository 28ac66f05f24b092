"""The gateway's input channel into Rasa.

Rasa's stock REST channel has no authentication, drops the message id and
names every output channel ``collector``. This channel

* requires the gateway's bearer token (constant-time compare, fail closed);
* passes the channel's message id on as Rasa's ``message_id`` and, when the
  tracker already holds a user event with that id, replays the responses
  that followed it instead of running the turn again (a message reclaimed
  after a gateway crash is idempotent);
* names the output channel after the real channel, so ``channel: sms``
  response variants apply;
* forwards the language hint and channel capabilities as metadata.

Request:  POST /webhooks/gateway/webhook
          {"sender": str, "message_id": str, "channel": str, "text": str,
           "metadata": {...}}
Response: {"messages": [...], "replayed": bool, "language": str | null,
           "user_language": str | null, "intent": str | null}

``intent`` is NLU's intent for this message (for the gateway's fallback
rate; no text, no confidence).

While the tracker store (Redis) is unreachable the channel answers 503, and
the gateway retries the turn later. Rasa's ``FailSafeTrackerStore`` would
instead answer with an empty tracker and keep the result in memory: the
turn would run without the conversation's history, the replay check would
miss, and a write landing after Redis is back would replace the stored
conversation with that one turn (:func:`strict`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.lock_store import LockError
from rasa.core.tracker_store import FailSafeTrackerStore, TrackerStore
from rasa.shared.core.events import BotUttered, UserUttered
from redis.exceptions import RedisError
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import logmask

logger = logging.getLogger(__name__)
logmask.install()  # Rasa loads this channel at start-up: from here on its records are masked too

CHANNEL_NAMES = frozenset({"webchat", "telegram", "sms", "whatsapp", "test"})
_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:@\-]{1,200}$")
MAX_TEXT = 10_000


class _ChannelCollector(CollectingOutputChannel):
    """Collects responses whole (the gateway renders them) under a real name."""

    channel_name = "collector"

    @classmethod
    def name(cls) -> str:
        return cls.channel_name

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text.strip()))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._persist_message(self._message(recipient_id, text=text.strip(), buttons=buttons))


_COLLECTORS: dict[str, type[_ChannelCollector]] = {
    name: type(f"Collector_{name}", (_ChannelCollector,), {"channel_name": name})
    for name in CHANNEL_NAMES
}


def bot_event_to_message(event: BotUttered) -> dict[str, Any]:
    """The response dict a collector would have produced for this event."""
    message: dict[str, Any] = {"text": event.text.strip()} if event.text else {}
    for key in ("buttons", "quick_replies", "image", "attachment", "custom", "elements"):
        value = (event.data or {}).get(key)
        if value:
            message["buttons" if key == "quick_replies" else key] = value
    return message


def responses_after(events: list[Any], message_id: str) -> list[dict[str, Any]] | None:
    """Responses that followed the user event with ``message_id``; None if unseen."""
    found = False
    replies: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event, UserUttered):
            if found:
                break
            found = event.message_id == message_id
        elif found and isinstance(event, BotUttered):
            replies.append(bot_event_to_message(event))
    return replies if found else None


def intent_of(events: list[Any], message_id: str) -> str | None:
    """The intent NLU gave the user event with ``message_id`` (the gateway counts fallbacks)."""
    for event in reversed(events):
        if isinstance(event, UserUttered) and event.message_id == message_id:
            return (event.intent or {}).get("name")
    return None


class TrackerStoreUnavailable(Exception):
    """The conversation store failed; the turn must be retried, not run on an empty tracker."""


def _raise_unavailable(error: Exception) -> None:
    raise TrackerStoreUnavailable(type(error).__name__) from error


def strict(store: TrackerStore) -> TrackerStore:
    """Make Rasa's fail-safe wrapper raise instead of falling back to an in-memory store.

    ``FailSafeTrackerStore`` hands every error of the real store to its error
    callback and, without one, logs it and carries on with an empty tracker;
    a callback that raises turns the fallback off (rasa 3.6's only hook)."""
    if isinstance(store, FailSafeTrackerStore) and store._on_tracker_store_error is None:
        store._on_tracker_store_error = _raise_unavailable
    return store


def _bad_request(reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=400)


class GatewayInput(InputChannel):
    """Authenticated, idempotent input channel used by the gateway."""

    @classmethod
    def name(cls) -> str:
        return "gateway"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GatewayInput:
        return cls(token=str((credentials or {}).get("token") or ""))

    def __init__(self, token: str) -> None:
        self.token = token
        # One turn per conversation at a time in this process, so the replay
        # check and the turn cannot interleave for two deliveries of the same
        # message. Across Rasa processes the gateway keeps a conversation on
        # one instance.
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def _conversation_lock(self, sender: str) -> AsyncIterator[None]:
        """A per-conversation lock that is dropped when nobody holds or awaits it."""
        lock, users = self._locks.get(sender, (asyncio.Lock(), 0))
        self._locks[sender] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[sender]
            if users <= 1:
                del self._locks[sender]
            else:
                self._locks[sender] = (lock, users - 1)

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        supplied = header[7:] if header.startswith("Bearer ") else ""
        return bool(self.token) and hmac.compare_digest(
            supplied.encode("utf-8"), self.token.encode("utf-8")
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("gateway_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return response.json({"error": "missing or wrong gateway token"}, status=403)
            try:
                body = request.json
            except Exception:  # sanic raises its own InvalidUsage for bad JSON
                return _bad_request("body is not JSON")
            if not isinstance(body, dict):
                return _bad_request("body must be a JSON object")
            sender, message_id = body.get("sender"), body.get("message_id")
            channel, text = body.get("channel"), body.get("text")
            metadata = body.get("metadata", {})
            if not isinstance(sender, str) or not _ID_PATTERN.match(sender):
                return _bad_request("sender must be an id of letters, digits and _.:@-")
            if not isinstance(message_id, str) or not _ID_PATTERN.match(message_id):
                return _bad_request("message_id must be an id of letters, digits and _.:@-")
            if channel not in CHANNEL_NAMES:
                return _bad_request(f"channel must be one of {sorted(CHANNEL_NAMES)}")
            if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
                return _bad_request(f"text must be a non-empty string of at most {MAX_TEXT}")
            if not isinstance(metadata, dict):
                return _bad_request("metadata must be an object")

            agent = request.app.ctx.agent
            store = strict(agent.tracker_store)
            async with self._conversation_lock(sender):
                try:
                    tracker = await store.retrieve(sender)
                    if tracker is not None:
                        earlier = responses_after(list(tracker.events), message_id)
                        if earlier is not None:
                            return response.json(
                                {"messages": earlier, "replayed": True, **_languages(tracker),
                                 "intent": intent_of(list(tracker.events), message_id)}
                            )
                    collector = _COLLECTORS[channel]()
                    await on_new_message(
                        UserMessage(
                            text,
                            collector,
                            sender,
                            input_channel=channel,
                            message_id=message_id,
                            metadata={**metadata, "channel": channel},
                        )
                    )
                    tracker = await store.retrieve(sender)
                except (TrackerStoreUnavailable, LockError, RedisError) as exc:
                    logger.warning("conversation store unavailable (%s); the gateway retries", exc)
                    return response.json({"error": "conversation store unavailable"}, status=503)
            messages = [
                {k: v for k, v in m.items() if k != "recipient_id"} for m in collector.messages
            ]
            events = list(tracker.events) if tracker is not None else []
            return response.json(
                {"messages": messages, "replayed": False, **_languages(tracker),
                 "intent": intent_of(events, message_id)}
            )

        return hook


def _languages(tracker: Any) -> dict[str, Any]:
    if tracker is None:
        return {"language": None, "user_language": None}
    return {
        "language": tracker.get_slot("language"),
        "user_language": tracker.get_slot("user_language"),
    }
