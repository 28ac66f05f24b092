"""Outbound: one outbox stream per channel, a sender per channel, a dead-letter stream.

Writing (``push``, and ``scripts.COMMIT`` in the worker) drops any item
whose ``message_id:index`` was queued before (``SET NX``), so a replayed turn
is not delivered twice.

Sending (:class:`OutboxSender`) runs where the channel's sender lease is
held. It reads the outbox in order and hands each item to its
conversation's *lane*: a lane sends its items one after the other (order
within a conversation), lanes run concurrently (one citizen's slow or
failing delivery does not hold up the others). A failed send is retried
with exponential backoff and jitter, honouring the channel's
``retry_after``; a non-retryable error or the last failed attempt moves the
item to the dead-letter stream with its reason. After a successful send a
``delivered`` marker is set before the entry is acknowledged, so an entry
reclaimed after a crash is not sent again (at-least-once only across the
gap between the channel accepting it and the marker). A Redis outage does
not widen that gap: the sender keeps its lanes, a send that needs Redis
first waits for it (not counted as an attempt), and the marker of a message
the channel accepted is written as soon as Redis answers again - until
then the process remembers it, so a re-read of the entry does not send it
twice (only another process taking the lease over could). The marker's value is
the channel's id of the sent message (Telegram message id, Twilio SID, web
chat history number; "1" if the channel gives none): the delivery record
that ties what a citizen received to the message it answers (``make chaos``
matches answers to inbound messages with it).

:class:`RateLimiter` is the hook for channel limits (Telegram: 1/s per
chat, 30/s overall): a GCRA limiter on Redis, shared by all processes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import random
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from channels import streams
from channels.adapter import ChannelAdapter
from channels.erasure import rewrite_aof
from channels.errors import DeliveryError, describe
from channels.keys import GROUP, Keys
from channels.leases import LeaseHandle
from channels.messages import Channel, Outbound
from channels.metrics import Metrics
from channels.scripts import DEAD_MAXLEN, Scripts
from channels.settings import Settings

log = logging.getLogger(__name__)

DRAIN_S = 3.0  # on a graceful stop, how long deliveries in flight may take to finish
REDIS_PAUSE_S = (0.1, 2.0)  # first and longest pause while Redis does not answer
UNRECORDED_MAX = 10_000  # sent messages whose delivery record waits for Redis, per process

T = TypeVar("T")


async def push(redis: aioredis.Redis, scripts: Scripts, keys: Keys, settings: Settings, channel: Channel,
               items: Sequence[Outbound], seen_key: str | None = None) -> int:
    """Queue items for delivery, each at most once. With ``seen_key``: only if that marker is
    absent, and set it in the same step (emergency path). Returns the number added, -1 if seen."""
    args = ["1" if seen_key else "0", settings.gateway_dedupe_ttl_s, settings.gateway_dedupe_ttl_s,
            *(item.to_json() for item in items)]
    keys_ = [seen_key or keys.dead, keys.outbox(channel), *(keys.queued(item.key) for item in items)]
    return int(await scripts.push(keys=keys_, args=args))


class RateLimiter:
    """Shared rate limits: ``await limiter.wait("telegram:global", 30)`` before sending.

    Each call reserves the next free slot (GCRA on Redis' clock) and sleeps
    until it, so concurrent senders in several processes queue up fairly.
    The slot interval is rounded up, so the rate is never above ``per_second``
    (30/s: 34 ms, not 33 ms, which would be 30.3/s).
    Names must not contain personal data: use the conversation id, not a chat id.
    """

    def __init__(self, scripts: Scripts, keys: Keys) -> None:
        self._scripts = scripts
        self._keys = keys

    async def wait(self, name: str, per_second: float, burst: int = 1) -> float:
        interval_ms = max(1, math.ceil(1000 / per_second))
        wait_ms = int(await self._scripts.reserve(keys=[self._keys.rate(name)], args=[interval_ms, burst]))
        if wait_ms > 0:
            await asyncio.sleep(wait_ms / 1000)
        return wait_ms / 1000


class OutboxSender:
    def __init__(self, adapter: ChannelAdapter, redis: aioredis.Redis, keys: Keys, settings: Settings,
                 metrics: Metrics, consumer: str) -> None:
        self._adapter = adapter
        self._redis = redis
        self._keys = keys
        self._settings = settings
        self._metrics = metrics
        self._consumer = consumer
        self._stream = keys.outbox(adapter.channel)
        # item key -> channel's id: accepted by the channel, delivery record not yet in Redis.
        # Kept across runs of the job: a re-read of the entry must find it.
        self._unrecorded: OrderedDict[str, str] = OrderedDict()
        self._reset(None)

    def _reset(self, handle: LeaseHandle | None) -> None:
        """Fresh per-run state: a run that failed must leave no lanes or counts behind."""
        self._in_flight = 0  # dispatched, not yet delivered or dead-lettered
        self._room = asyncio.Event()
        self._room.set()
        self._lanes: dict[str, asyncio.Queue[tuple[str, Outbound, bool]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._handle = handle

    async def run(self, handle: LeaseHandle) -> None:
        """Deliver while holding the channel's sender lease (``leases.Job``)."""
        await streams.ensure_group(self._redis, self._stream)
        await streams.claim_all(self._redis, self._stream, self._consumer)
        after = "0"  # first the pending entries (ours, and those just claimed), in order
        self._reset(handle)
        try:
            while not handle.stopping:
                await self._room.wait()
                room = max(1, min(100, self._settings.outbox_max_in_flight - self._in_flight))
                # The lanes keep working through a Redis outage; only the reading waits.
                entries = await self._persist("read", functools.partial(
                    streams.read, self._redis, self._stream, self._consumer, after, room,
                    block_ms=1000 if after == ">" else None))
                if after != ">":
                    if not entries:
                        after = ">"
                        continue
                    after = entries[-1][0]
                for entry_id, fields in entries:  # only a pending entry can have been sent already
                    await self._dispatch(entry_id, fields, maybe_sent=after != ">")
            await self._drain(DRAIN_S)
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _dispatch(self, entry_id: str, fields: dict[str, str], maybe_sent: bool) -> None:
        try:
            item = Outbound.from_json(fields["item"])
        except (KeyError, ValueError, TypeError):
            await self._dead(entry_id, fields.get("item", ""), "undecodable outbox entry")
            return
        self._in_flight += 1
        self._busy()
        if self._in_flight >= self._settings.outbox_max_in_flight:
            self._room.clear()
        lane = self._lanes.get(item.conversation_id)
        if lane is None:
            lane = self._lanes[item.conversation_id] = asyncio.Queue()
            task = asyncio.create_task(self._run_lane(item.conversation_id, lane))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        lane.put_nowait((entry_id, item, maybe_sent))

    async def _run_lane(self, conversation: str, lane: asyncio.Queue[tuple[str, Outbound, bool]]) -> None:
        try:
            while not lane.empty():
                entry_id, item, maybe_sent = lane.get_nowait()
                try:
                    await self._deliver(entry_id, item, maybe_sent)
                finally:
                    self._in_flight -= 1
                    self._busy()
                    self._room.set()
        finally:
            if self._lanes.get(conversation) is lane and lane.empty():
                del self._lanes[conversation]

    def _busy(self) -> None:
        """Deliveries in flight: a shutdown lets them finish (``LeaseKeeper._shutdown``)."""
        if self._handle is not None:
            self._handle.busy = self._in_flight > 0

    async def _drain(self, timeout: float) -> None:
        """On a graceful stop, let lanes finish what they have for a moment."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    async def _persist(self, what: str, step: Callable[[], Awaitable[T]]) -> T:
        """Run a Redis step until Redis answers (the lease keeper cancels the job if the lease is lost)."""
        pause = REDIS_PAUSE_S[0]
        while True:
            try:
                return await step()
            except RedisError as exc:
                if pause == REDIS_PAUSE_S[0]:
                    log.warning("outbox %s %s: redis %s; waiting for it", self._adapter.channel.value,
                                what, type(exc).__name__)
                await asyncio.sleep(pause)
                pause = min(REDIS_PAUSE_S[1], pause * 2)

    async def _deliver(self, entry_id: str, item: Outbound, maybe_sent: bool) -> None:
        s = self._settings
        if maybe_sent:
            sent_as = self._unrecorded.get(item.key) or await self._persist(
                "check", functools.partial(self._redis.get, self._keys.delivered(item.key)))
            if sent_as is not None:
                await self._persist("record", functools.partial(self._record, entry_id, item, sent_as))
                self._unrecorded.pop(item.key, None)
                return
        attempt = 0
        redis_pause = REDIS_PAUSE_S[0]
        while True:
            try:
                delivery = await self._adapter.send(item)
                break
            except RedisError as exc:  # the adapter needed Redis before sending: nothing went out yet
                if redis_pause == REDIS_PAUSE_S[0]:
                    log.warning("send of %s waits for redis (%s)", item.key, type(exc).__name__)
                await asyncio.sleep(redis_pause)
                redis_pause = min(REDIS_PAUSE_S[1], redis_pause * 2)
                continue
            except DeliveryError as exc:
                error = exc
            except Exception as exc:  # an adapter bug must not kill the lane; retry, then dead-letter
                log.error("send of %s raised %s", item.key, describe(exc))
                error = DeliveryError(f"adapter raised {type(exc).__name__}", retryable=True)
            attempt += 1
            if not error.retryable or attempt >= s.outbox_max_attempts:
                reason = error.reason if not error.retryable else (
                    f"gave up after {attempt} attempts: {error.reason}")
                await self._persist("dead letter", functools.partial(
                    self._dead, entry_id, item.to_json(), reason, item))
                return
            self._metrics.delivery_retries.labels(channel=item.channel.value).inc()
            ceiling = min(s.outbox_retry_max_s, s.outbox_retry_base_s * 2 ** (attempt - 1))
            pause = max(error.retry_after or 0.0, ceiling / 2 + random.uniform(0, ceiling / 2))
            log.info("delivery of %s failed (%s); retry %d in %.1f s", item.key, error.reason, attempt,
                     pause)
            await asyncio.sleep(pause)
        sent_as = delivery.channel_message_id or "1"
        self._unrecorded[item.key] = sent_as
        while len(self._unrecorded) > UNRECORDED_MAX:  # left by lanes cancelled with their lease
            self._unrecorded.popitem(last=False)
        await self._persist("record", functools.partial(self._record, entry_id, item, sent_as))
        self._unrecorded.pop(item.key, None)
        self._metrics.messages_out.labels(channel=item.channel.value).inc()
        log.debug("delivered %s conv=%s", item.key, item.conversation_id)
        if item.rewrite_aof:  # an erasure's confirmation left the outbox: off the disk with it
            try:
                await rewrite_aof(self._redis)
            except RedisError as exc:
                log.error("AOF rewrite after an erasure failed: %s", describe(exc))

    async def _record(self, entry_id: str, item: Outbound, sent_as: str) -> None:
        """The delivery record and the entry's acknowledgement, in one step (repeatable)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._keys.delivered(item.key), sent_as, ex=self._settings.gateway_dedupe_ttl_s)
            pipe.xack(self._stream, GROUP, entry_id).xdel(self._stream, entry_id)
            await pipe.execute()

    async def _dead(self, entry_id: str, raw: str, reason: str, item: Outbound | None = None) -> None:
        fields = {"kind": "outbound", "reason": reason, "channel": self._adapter.channel.value,
                  "entry": raw}
        if item is not None:
            fields.update(message_id=item.message_id, index=item.index, conversation=item.conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self._keys.dead, fields, maxlen=DEAD_MAXLEN, approximate=True)
            pipe.xack(self._stream, GROUP, entry_id).xdel(self._stream, entry_id)
            await pipe.execute()
        self._metrics.dead_letters.labels(kind="outbound").inc()
        log.warning("dead letter %s: %s", item.key if item else entry_id, reason)
