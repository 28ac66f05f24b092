"""Turn processing: strictly in order per conversation, concurrently across conversations.

Ordering design (details in README.md):

* A conversation's messages all go to one of GATEWAY_PARTITIONS inbound
  streams (``pseudonym.partition_of``). Each partition is leased to one
  process at a time (``leases.py``); its holder processes the partition's
  entries one after the other, in stream order. One process works on many
  partitions concurrently, and several processes share the partitions.
* A new holder first claims and processes the pending (read but not
  acknowledged) entries of the previous holder, in order, then new ones.
* A turn's responses are written to the outbox, and the inbound entry is
  acknowledged (XACK) and deleted, in one Lua step fenced by the lease
  token (``scripts.COMMIT``). A crash before that step leaves the entry
  pending: the next holder processes it again with the same ``message_id``,
  the connector replays the earlier responses instead of running the turn
  again, and the outbox drops items it already has. Nothing is answered
  twice; nothing is lost.
* While the dialogue core is unreachable the partition waits (retrying) -
  later messages must not overtake. After RASA_DELAY_NOTICE_AFTER_S every
  citizen waiting in that partition gets one short notice; the answer
  follows when the core is back.

A message the core rejects (4xx), that cannot be decoded, or whose channel
is switched off goes to the dead-letter stream with its reason, so it
cannot block its partition; the citizen gets a short apology if possible.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from channels import feedback, outbox, privacy, streams, texts
from channels.adapter import ChannelAdapter, RenderContext
from channels.analytics import Counters
from channels.dialogue import DialogueClient, Offers, TurnRequest
from channels.erasure import Eraser, ErasureIncomplete
from channels.errors import DialogueRejected, DialogueUnavailable, describe
from channels.handoff import Handoffs
from channels.handoff_gate import HandoffGate
from channels.keys import GROUP, Keys
from channels.leases import Job, LeaseHandle, LeaseLost
from channels.messages import Channel, InboundMessage, Outbound, QueuedMessage, Response, Text
from channels.metrics import Metrics
from channels.scripts import Scripts
from channels.settings import Settings

log = logging.getLogger(__name__)

BATCH = 10
ERASURE_RETRY_S = 60.0  # pending erasures (the case service was down) are tried again this often


class Worker:
    def __init__(self, settings: Settings, redis: aioredis.Redis, scripts: Scripts, keys: Keys,
                 adapters: Mapping[Channel, ChannelAdapter], dialogue: DialogueClient, offers: Offers,
                 metrics: Metrics, consumer: str, http: aiohttp.ClientSession | None = None) -> None:
        self._settings = settings
        self._redis = redis
        self._scripts = scripts
        self._keys = keys
        self._adapters = adapters
        self._dialogue = dialogue
        self._offers = offers
        self._metrics = metrics
        self._consumer = consumer
        self._handoff = HandoffGate(Handoffs(redis, keys, settings.handoff_ttl_s), offers)
        self._counters = Counters(redis, keys, settings.analytics_retention_days)
        self._votes = feedback.Votes(redis, keys, self._counters, settings.gateway_offer_ttl_s)
        self._eraser = Eraser(settings, redis, keys, http)

    def jobs(self) -> list[Job]:
        return [Job(f"partition {p}", self._keys.partition_lease(p),
                    functools.partial(self.run_partition, p), balanced=True)
                for p in range(self._settings.gateway_partitions)]

    async def run_partition(self, partition: int, handle: LeaseHandle) -> None:
        """Process the partition's entries in order while holding its lease."""
        stream = self._keys.inbound(partition)
        await streams.ensure_group(self._redis, stream)
        claimed = await streams.claim_all(self._redis, stream, self._consumer)
        if claimed:
            log.info("partition %d: took over %d pending entries", partition, claimed)
        await self._resume_erasures(partition)  # a previous holder may have died halfway through one
        retry_erasures_at = time.monotonic() + ERASURE_RETRY_S
        after = "0"  # pending entries first; ">" once there are none
        while not handle.stopping:
            block = 1000 if after == ">" else None
            entries = await streams.read(self._redis, stream, self._consumer, after, BATCH, block)
            if not entries and after == "0":
                after = ">"
                continue
            if not entries and time.monotonic() >= retry_erasures_at:
                await self._resume_erasures(partition)
                retry_erasures_at = time.monotonic() + ERASURE_RETRY_S
            for entry_id, fields in entries:
                handle.busy = True
                try:
                    await self._process(partition, handle, entry_id, fields)
                finally:
                    handle.busy = False
                if handle.stopping:
                    break  # the rest stays pending for the next holder, in order

    async def _resume_erasures(self, partition: int) -> None:
        done = await self._eraser.resume(partition)
        if done:
            log.info("partition %d: finished %d pending erasures", partition, done)

    async def _process(self, partition: int, handle: LeaseHandle, entry_id: str,
                       fields: dict[str, str]) -> None:
        try:
            queued = QueuedMessage.from_fields(fields)
        except (KeyError, ValueError, TypeError):
            await self._commit(handle, partition, entry_id, None, [], "undecodable inbound entry", fields)
            return
        adapter = self._adapters.get(queued.message.channel)
        if adapter is None:
            reason = f"channel {queued.message.channel.value} is not enabled"
            await self._commit(handle, partition, entry_id, None, [], reason, fields)
            return
        try:
            if await self._feedback_turn(partition, handle, entry_id, fields, queued, adapter):
                return
            if await self._handoff_turn(partition, handle, entry_id, fields, queued, adapter):
                return
            await self._turn(partition, handle, entry_id, fields, queued, adapter)
        except (RedisError, LeaseLost):
            raise  # the entry stays pending and is processed again by the next holder
        except Exception as exc:  # a bug must not block the partition forever
            log.error("turn mid=%s failed: %s", queued.message_id, describe(exc))
            await self._commit(handle, partition, entry_id, queued.message.channel, [],
                               f"turn failed: {type(exc).__name__}", fields)

    async def _turn(self, partition: int, handle: LeaseHandle, entry_id: str, fields: dict[str, str],
                    queued: QueuedMessage, adapter: ChannelAdapter) -> None:
        started = time.monotonic()
        conversation, message = queued.conversation_id, queued.message
        numbered = not adapter.capabilities.buttons
        dead_reason = ""
        language: str | None = None
        intent: str | None = None
        variant: str | None = None  # the answers' variant: de, en or ls
        replayed = False
        try:
            text = await self._offers.core_text(conversation, message, numbered)
            request = TurnRequest(conversation, queued.message_id, message.channel, text,
                                  self._metadata(message, adapter))
            on_delay = functools.partial(self._on_delay, partition, entry_id, queued)
            reply = await self._dialogue.turn_with_retries(request, on_delay)
            responses = feedback.stamp(reply.responses, queued.message_id, reply.language)
            language, variant = reply.user_language or reply.language, reply.language
            replayed, intent = reply.replayed, reply.intent
        except DialogueRejected as exc:
            dead_reason = exc.reason
            responses: list[Response] = [Text(texts.pick(texts.NOT_PROCESSED, await self._language(queued)))]
        except DialogueUnavailable as exc:  # only after RASA_GIVE_UP_AFTER_S
            dead_reason = exc.reason
            responses = [Text(texts.pick(texts.GAVE_UP, await self._language(queued)))]
        resolved = privacy.resolve(responses, message, variant, self._settings.gateway_address_ttl_s)
        responses = resolved.responses
        await self._offers.remember(conversation, responses, numbered)
        context = RenderContext(conversation, language or await self._language(queued))
        items = [Outbound(message.channel, message.channel_user_id, conversation, queued.message_id,
                          str(index), body)
                 for index, body in enumerate(adapter.render(responses, context))]
        if resolved.erase:  # recorded before the commit: a crash after it must not skip the erasure
            await self._eraser.request(partition, conversation, queued.message_id)
        if resolved.erase and items:  # the confirmation names the address: rewrite the AOF once it is sent
            items[-1] = dataclasses.replace(items[-1], rewrite_aof=True)
        added = await self._commit(handle, partition, entry_id, message.channel, items, dead_reason, fields)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.delete(self._keys.notice(conversation))
            if language:
                pipe.set(self._keys.language(conversation), language, ex=self._settings.gateway_offer_ttl_s)
            await pipe.execute()
        await self._counters.turn(message.channel, conversation, intent, feedback.topics(responses),
                                  answered_by_core=not dead_reason)
        if resolved.erase:  # after the commit: Rasa has written the tracker back, the lease is still ours
            try:
                await self._eraser.erase(conversation, queued.message_id, partition)
            except (RedisError, ErasureIncomplete) as exc:  # pending: retried by resume_erasures
                log.error("erasure of conv=%s not finished: %s", conversation, describe(exc))
        self._metrics.turn_seconds.observe(time.monotonic() - started)
        log.info("answered mid=%s conv=%s partition=%d items=%d new=%d%s", queued.message_id, conversation,
                 partition, len(items), added, " (replayed)" if replayed else "")

    async def _handoff_turn(self, partition: int, handle: LeaseHandle, entry_id: str, fields: dict[str, str],
                            queued: QueuedMessage, adapter: ChannelAdapter) -> bool:
        """While staff have the conversation: transcript instead of Rasa (``handoff_gate.py``)."""
        responses = await self._handoff.route(queued, not adapter.capabilities.buttons,
                                              functools.partial(self._language, queued))
        if responses is None:
            return False
        message, language = queued.message, await self._language(queued)
        bodies = adapter.render(responses, RenderContext(queued.conversation_id, language))
        items = [Outbound(message.channel, message.channel_user_id, queued.conversation_id, queued.message_id,
                          f"h{index}", body) for index, body in enumerate(bodies)]
        await self._commit(handle, partition, entry_id, message.channel, items, "", fields)
        await self._counters.turn(message.channel, queued.conversation_id, None, (), answered_by_core=False)
        log.info("handoff mid=%s conv=%s items=%d", queued.message_id, queued.conversation_id, len(items))
        return True

    async def _feedback_turn(self, partition: int, handle: LeaseHandle, entry_id: str,
                             fields: dict[str, str], queued: QueuedMessage, adapter: ChannelAdapter) -> bool:
        """A pressed "War das hilfreich?" button the bot offered: count it once, thank, no Rasa turn."""
        conversation, message = queued.conversation_id, queued.message
        press = feedback.parse(message.payload)
        if press is None or not await self._offers.is_offered(conversation, message.payload or ""):
            return False
        counted = await self._votes.record(conversation, press)
        bodies = adapter.render([Text(feedback.thanks(press, counted))],
                                RenderContext(conversation, press.offer.language))
        items = [Outbound(message.channel, message.channel_user_id, conversation, queued.message_id,
                          f"f{index}", body) for index, body in enumerate(bodies)]
        await self._commit(handle, partition, entry_id, message.channel, items, "", fields)
        await self._counters.turn(message.channel, conversation, None, (), answered_by_core=False)
        log.info("feedback mid=%s conv=%s counted=%s", queued.message_id, conversation, counted)
        return True

    @staticmethod
    def _metadata(message: InboundMessage, adapter: ChannelAdapter) -> dict[str, Any]:
        metadata: dict[str, Any] = {"language_hint": message.language_hint,
                                    "capabilities": adapter.capabilities.as_metadata()}
        if message.location:
            metadata["location"] = {"lat": message.location.lat, "lon": message.location.lon}
        if message.media:
            metadata["media"] = [{"url": m.url, "content_type": m.content_type} for m in message.media]
        return metadata

    async def _language(self, queued: QueuedMessage) -> str | None:
        stored = await self._redis.get(self._keys.language(queued.conversation_id))
        return stored or queued.message.language_hint

    async def _commit(self, handle: LeaseHandle, partition: int, entry_id: str, channel: Channel | None,
                      items: Sequence[Outbound], dead_reason: str, fields: Mapping[str, str]) -> int:
        """Outbox items + optional dead letter + XACK/XDEL, atomically, only while holding the lease."""
        keys = [handle.key, self._keys.inbound(partition),
                self._keys.outbox(channel) if channel else self._keys.dead, self._keys.dead,
                *(self._keys.queued(item.key) for item in items)]
        args = [handle.token, GROUP, entry_id, self._settings.gateway_dedupe_ttl_s, dead_reason,
                json.dumps(dict(fields), ensure_ascii=False) if dead_reason else "",
                *(item.to_json() for item in items)]
        added = int(await self._scripts.commit(keys=keys, args=args))
        if added < 0:
            raise LeaseLost(handle.key)
        if dead_reason:
            self._metrics.dead_letters.labels(kind="inbound").inc()
            log.warning("dead letter inbound entry %s of partition %d: %s", entry_id, partition, dead_reason)
        return added

    async def _on_delay(self, partition: int, head_entry: str, head: QueuedMessage) -> None:
        """The core is late: one notice to each conversation waiting in this partition."""
        await self._notify(head)
        waiting = await self._redis.xrange(self._keys.inbound(partition), min=f"({head_entry}", count=100)
        for _, fields in waiting:
            try:
                queued = QueuedMessage.from_fields(fields)
            except (KeyError, ValueError, TypeError):
                continue
            await self._notify(queued)

    async def _notify(self, queued: QueuedMessage) -> None:
        adapter = self._adapters.get(queued.message.channel)
        conversation = queued.conversation_id
        ttl = int(self._settings.rasa_give_up_after_s) + 60
        if adapter is None or not await self._redis.set(self._keys.notice(conversation), queued.message_id,
                                                        nx=True, ex=ttl):
            return
        language = await self._language(queued)
        bodies = adapter.render([Text(texts.pick(texts.DELAY_NOTICE, language))],
                                RenderContext(conversation, language))
        items = [Outbound(queued.message.channel, queued.message.channel_user_id, conversation,
                          queued.message_id, f"n{index}", body) for index, body in enumerate(bodies)]
        await outbox.push(self._redis, self._scripts, self._keys, self._settings, queued.message.channel,
                          items)
        log.info("delay notice conv=%s mid=%s", conversation, queued.message_id)
