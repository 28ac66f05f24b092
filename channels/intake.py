"""Inbound: emergency check, dedupe, persist - all before the webhook's 2xx.

``Intake.accept`` is the only way a message enters the system; webhooks and
the web chat's WebSocket both call it and acknowledge only after it
returned. One Lua script (``scripts.ACCEPT``) checks the dedupe marker,
appends the message to its partition's stream and only then sets the
marker, so a Redis failure half-way cannot swallow a message: either the
channel gets an error and retries, or the message is queued and marked.

Messages about acute danger never enter the queue: they are answered here
from the emergency fast path (see ``emergency.py`` for why they are not
forwarded to Rasa), atomically with their dedupe marker.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import redis.asyncio as aioredis

from channels import emergency, outbox
from channels.adapter import ChannelAdapter, RenderContext
from channels.keys import Keys
from channels.messages import Channel, InboundMessage, Outbound, QueuedMessage
from channels.metrics import Metrics
from channels.pseudonym import conversation_id, message_id, partition_of
from channels.scripts import Scripts
from channels.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accepted:
    """What happened to one message (ids are pseudonymous, safe to log and return)."""

    message_id: str
    conversation_id: str
    duplicate: bool
    emergency: bool


class Intake:
    def __init__(
        self,
        settings: Settings,
        redis: aioredis.Redis,
        scripts: Scripts,
        keys: Keys,
        adapters: Mapping[Channel, ChannelAdapter],
        metrics: Metrics,
    ) -> None:
        self._settings = settings
        self._redis = redis
        self._scripts = scripts
        self._keys = keys
        self._adapters = adapters
        self._metrics = metrics
        self._pseudonym_key = settings.pseudonym_key.get_secret_value().encode("utf-8")

    def ids(self, message: InboundMessage) -> tuple[str, str]:
        """(conversation id, message id) of a message."""
        return (
            conversation_id(self._pseudonym_key, message.channel, message.channel_user_id),
            message_id(self._pseudonym_key, message.channel, message.channel_message_id),
        )

    async def accept(self, message: InboundMessage) -> Accepted:
        """Queue (or answer at once) one message; raises redis errors for the caller to map to 503."""
        conversation, mid = self.ids(message)
        channel = message.channel.value
        await self._remember_address(message, conversation)
        match = emergency.detect(message.text, message.language_hint)
        if match is not None:
            duplicate = not await self._answer_emergency(message, conversation, mid, match)
            if not duplicate:
                self._metrics.emergencies.labels(channel=channel).inc()
                log.warning("emergency fast path answered channel=%s mid=%s conv=%s language=%s",
                            channel, mid, conversation, match.language)
        else:
            partition = partition_of(conversation, self._settings.gateway_partitions)
            fields = QueuedMessage(conversation, mid, message).to_fields()
            flat = [part for pair in fields.items() for part in pair]
            entry = await self._scripts.accept(
                keys=[self._keys.seen(mid), self._keys.inbound(partition)],
                args=[self._settings.gateway_dedupe_ttl_s, *flat],
            )
            duplicate = entry is None
            if not duplicate:
                log.info("queued channel=%s mid=%s conv=%s partition=%d", channel, mid, conversation,
                         partition)
        if duplicate:
            self._metrics.duplicates.labels(channel=channel).inc()
            log.info("duplicate dropped channel=%s mid=%s", channel, mid)
        else:
            self._metrics.messages_in.labels(channel=channel).inc()
        return Accepted(mid, conversation, duplicate, match is not None)

    async def _remember_address(self, message: InboundMessage, conversation: str) -> None:
        """Where staff replies and case notifications go (``notify.py``); refreshed with every message."""
        key = self._keys.address(conversation)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(key, mapping={"channel": message.channel.value, "user": message.channel_user_id})
            pipe.expire(key, self._settings.gateway_address_ttl_s)
            await pipe.execute()

    async def _answer_emergency(self, message: InboundMessage, conversation: str, mid: str,
                                match: emergency.EmergencyMatch) -> bool:
        adapter = self._adapters[message.channel]
        bodies = adapter.render([emergency.answer(match)], RenderContext(conversation, match.language))
        items = [Outbound(message.channel, message.channel_user_id, conversation, mid, f"e{i}", body)
                 for i, body in enumerate(bodies)]
        added = await outbox.push(self._redis, self._scripts, self._keys, self._settings, message.channel,
                                  items, seen_key=self._keys.seen(mid))
        return added >= 0
