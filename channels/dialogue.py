"""Client of the dialogue core (the project's Rasa connector, ``bot/connector.py``).

What the gateway sends to Rasa, and why:

* ``sender`` is the conversation's pseudonym and ``message_id`` the stable
  internal message id, so a message processed again after a crash gets the
  earlier responses replayed by the connector instead of a second turn.
* Free text must never act as a command. Rasa reads text whose
  ``text.strip()`` starts with ``/`` as ``/intent{entities}``. A prefix such
  as a space does not help (Rasa strips it), and an invisible character
  would hide the change from staff reading the tracker. So the first
  non-blank ``/`` becomes ``／`` (U+FF0F FULLWIDTH SOLIDUS): it survives
  ``strip()``, keeps the text readable and means the same to a reader.
* A button payload is forwarded as a payload only if the bot offered it in
  this conversation (remembered in Redis when the buttons were rendered);
  anything else that looks like a payload is escaped like free text.
* Channels without buttons (SMS) show a numbered menu; a reply that is just
  that number is mapped back to the offered payload.
* Metadata carries the language hint and the channel's capabilities.

Rasa unreachable, timing out or answering 5xx is retried with exponential
backoff and jitter for as long as RASA_GIVE_UP_AFTER_S; a 4xx or a reply
that is not the connector's JSON is not retried (the message is
dead-lettered, see ``worker.py``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from channels import feedback
from channels.errors import DialogueRejected, DialogueUnavailable
from channels.keys import Keys
from channels.messages import Buttons, Channel, InboundMessage, Response, responses_from_connector
from channels.metrics import Metrics
from channels.rasa_ring import RasaRing
from channels.settings import Settings

log = logging.getLogger(__name__)

ESCAPED_SLASH = "\uff0f"  # FULLWIDTH SOLIDUS
MAX_TEXT = 10_000  # the connector's limit
LOCATION_TEXT = "[Standort]"  # the coordinates travel in metadata["location"]
MEDIA_TEXT = "[Anhang]"  # the attachments travel in metadata["media"]


def escape_text(text: str) -> str:
    """``text`` such that Rasa cannot read it as ``/intent``; unchanged unless it starts with "/"."""
    body = text.lstrip()
    if not body.startswith("/"):
        return text
    return text[: len(text) - len(body)] + ESCAPED_SLASH + body[1:]


class Offers:
    """Button payloads the bot offered per conversation, and the numbered menu for SMS."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, ttl_s: int, menu_ttl_s: int | None = None) -> None:
        """``menu_ttl_s`` (default ``ttl_s``): once the numbered menu expires, digits are text again."""
        self._redis = redis
        self._keys = keys
        self._ttl_s = ttl_s
        self._menu_ttl_s = ttl_s if menu_ttl_s is None else menu_ttl_s

    async def remember(self, conversation: str, responses: Sequence[Response], numbered: bool) -> None:
        """Store the payloads of ``responses``. The numbered menu is always the last turn's
        (numbering runs on across its buttons); a turn without buttons clears it."""
        payloads = [b.payload for r in responses if isinstance(r, Buttons) for b in r.buttons]
        if not numbered:  # the feedback buttons exist only where there are buttons
            payloads += feedback.payloads(responses)
        if not payloads and not numbered:
            return
        offered, menu = self._keys.offered(conversation), self._keys.menu(conversation)
        async with self._redis.pipeline(transaction=True) as pipe:
            if payloads:
                pipe.sadd(offered, *payloads).expire(offered, self._ttl_s)
            if numbered:
                pipe.delete(menu)
                if payloads:
                    pipe.rpush(menu, *payloads).expire(menu, self._menu_ttl_s)
            await pipe.execute()

    async def is_offered(self, conversation: str, payload: str) -> bool:
        return bool(await self._redis.sismember(self._keys.offered(conversation), payload))

    async def menu_choice(self, conversation: str, text: str) -> str | None:
        choice = text.strip().rstrip(".)")
        if not choice.isascii() or not choice.isdigit() or len(choice) > 2 or int(choice) < 1:
            return None
        return await self._redis.lindex(self._keys.menu(conversation), int(choice) - 1)

    async def core_text(self, conversation: str, message: InboundMessage, numbered: bool) -> str:
        """The ``text`` Rasa gets for ``message``: an offered payload, or escaped text."""
        if message.payload is not None:
            if await self.is_offered(conversation, message.payload):
                return message.payload
            log.info("payload not offered in conv=%s; sent as text", conversation)
            return escape_text(message.payload)[:MAX_TEXT]
        if message.text and message.text.strip():
            if numbered and (payload := await self.menu_choice(conversation, message.text)):
                return payload
            return escape_text(message.text)[:MAX_TEXT]
        return LOCATION_TEXT if message.location else MEDIA_TEXT


@dataclass(frozen=True)
class TurnRequest:
    sender: str
    message_id: str
    channel: Channel
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"sender": self.sender, "message_id": self.message_id, "channel": self.channel.value,
                "text": self.text, "metadata": self.metadata}


@dataclass(frozen=True)
class TurnReply:
    responses: tuple[Response, ...]
    replayed: bool
    language: str | None
    user_language: str | None
    intent: str | None = None  # what NLU made of the message (analytics: fallback rate)


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class DialogueClient:
    def __init__(self, http: aiohttp.ClientSession, settings: Settings, metrics: Metrics) -> None:
        self._http = http
        self._settings = settings
        self._metrics = metrics
        self._ring = RasaRing(settings.rasa_instances, settings.rasa_down_after_failures,
                              settings.rasa_probe_after_s)
        self._headers = {"Authorization": f"Bearer {settings.rasa_token.get_secret_value()}"}
        self._timeout = aiohttp.ClientTimeout(total=settings.rasa_timeout_s)

    async def turn(self, request: TurnRequest) -> TurnReply:
        """One attempt, on the conversation's Rasa instance (``rasa_ring.py``).
        Raises DialogueUnavailable (retry) or DialogueRejected (do not)."""
        url = await self._instance(request.sender)
        try:
            async with self._http.post(f"{url}/webhooks/gateway/webhook", json=request.body(),
                                       headers=self._headers, timeout=self._timeout) as reply:
                status = reply.status
                raw = await reply.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            self._ring.failed(url)
            self._metrics.dialogue_failures.labels(kind="unreachable").inc()
            raise DialogueUnavailable(f"dialogue core unreachable: {type(exc).__name__}") from exc
        if status >= 500:
            self._ring.failed(url)
            self._metrics.dialogue_failures.labels(kind="5xx").inc()
            raise DialogueUnavailable(f"dialogue core answered {status}")
        self._ring.succeeded(url)
        if status != 200:
            self._metrics.dialogue_failures.labels(kind="4xx").inc()
            raise DialogueRejected(f"dialogue core answered {status}: {_error_of(raw)}")
        try:
            data = json.loads(raw)
            messages = data["messages"]
            if not isinstance(messages, list):
                raise TypeError("messages is not a list")
        except (ValueError, KeyError, TypeError) as exc:
            self._metrics.dialogue_failures.labels(kind="malformed").inc()
            raise DialogueRejected("dialogue core reply is not the connector's JSON") from exc
        return TurnReply(
            responses=tuple(responses_from_connector(messages)),
            replayed=bool(data.get("replayed")),
            language=_optional_str(data.get("language")),
            user_language=_optional_str(data.get("user_language")),
            intent=_optional_str(data.get("intent")),
        )

    async def turn_with_retries(
        self, request: TurnRequest, on_delay: Callable[[], Awaitable[None]] | None = None
    ) -> TurnReply:
        """Retry while the core is unavailable; call ``on_delay`` before each retry once it took
        longer than RASA_DELAY_NOTICE_AFTER_S; give up after RASA_GIVE_UP_AFTER_S."""
        s = self._settings
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                return await self.turn(request)
            except DialogueUnavailable as exc:
                waited = time.monotonic() - started
                if waited >= s.rasa_give_up_after_s:
                    raise DialogueUnavailable(f"gave up after {waited:.0f} s: {exc.reason}") from exc
                if attempt == 0 or attempt % 10 == 0:
                    log.warning("mid=%s: %s (attempt %d); retrying", request.message_id, exc.reason,
                                attempt + 1)
                if on_delay is not None and waited >= s.rasa_delay_notice_after_s:
                    await on_delay()
                ceiling = min(s.rasa_retry_max_s, s.rasa_retry_base_s * 2**attempt)
                pause = ceiling / 2 + random.uniform(0, ceiling / 2)
                if waited < s.rasa_delay_notice_after_s:  # do not sleep past the notice
                    pause = min(pause, s.rasa_delay_notice_after_s - waited + 0.01)
                await asyncio.sleep(pause)
                attempt += 1

    async def _instance(self, sender: str) -> str:
        """The sender's instance; one marked down is probed first when it is due, and skipped
        (its conversations use their next choice) while the probe fails."""
        for _ in self._ring.urls:
            route = self._ring.route(sender)
            if not route.probe:
                return route.url
            if await self._answers(route.url):
                log.info("Rasa instance %s answers again", route.url)
                self._ring.succeeded(route.url)
                return route.url
        return self._ring.route(sender).url

    async def _answers(self, url: str) -> bool:
        """Whether the connector at ``url`` answers (its GET route needs no token)."""
        try:
            async with self._http.get(f"{url}/webhooks/gateway/",
                                      timeout=aiohttp.ClientTimeout(total=3)) as reply:
                return reply.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def ready(self) -> bool:
        """Whether at least one Rasa instance answers (the others' conversations then move)."""
        answers = await asyncio.gather(*(self._answers(url) for url in self._ring.urls))
        return any(answers)


def _error_of(raw: bytes) -> str:
    """The connector's ``error`` field (a fixed reason text, no user data), else a placeholder."""
    try:
        data = json.loads(raw)
        return str(data.get("error"))[:200] if isinstance(data, dict) else "no error field"
    except ValueError:
        return "body is not JSON"
