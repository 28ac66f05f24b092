"""Leases: each stream is worked on by exactly one gateway process at a time.

A lease is a Redis key ``SET NX PX`` holding the holder's random token,
renewed three times per TTL. A process that dies stops renewing and its
leases expire after the TTL; another process then takes them over. Every
write that must not come from a former holder (ack, outbox of a turn) is a
Lua script that checks the token first (``scripts.COMMIT``).

:class:`LeaseKeeper` runs one task per held lease. Inbound partitions are
shared fairly: a process takes at most ``ceil(partitions / live processes)``
(live = heartbeat in the workers sorted set within one TTL) and hands
surplus partitions back - after the entry in progress - when another
process joins. Outbox senders are not balanced: one process per channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from channels.errors import describe
from channels.keys import Keys
from channels.metrics import Metrics
from channels.scripts import Scripts
from channels.tasks import cancel_until_done

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """The lease was taken over; the job must stop without writing anything more."""


@dataclass
class LeaseHandle:
    """What a job knows about its lease: the token for fenced writes and a stop request."""

    key: str
    token: str
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    busy: bool = False  # in the middle of an item: on shutdown, let it finish (up to the grace time)

    @property
    def stopping(self) -> bool:
        return self.stop.is_set()


@dataclass(frozen=True)
class Job:
    name: str
    lease_key: str
    run: Callable[[LeaseHandle], Awaitable[None]]
    balanced: bool  # counts towards the fair share (inbound partitions)


@dataclass
class _Held:
    job: Job
    handle: LeaseHandle
    task: asyncio.Task[None]


class LeaseKeeper:
    def __init__(self, redis: aioredis.Redis, scripts: Scripts, keys: Keys, worker_id: str,
                 jobs: list[Job], ttl_ms: int, metrics: Metrics, grace_s: float = 5.0) -> None:
        self._redis = redis
        self._scripts = scripts
        self._keys = keys
        self.worker_id = worker_id
        self._jobs = jobs
        self._ttl_ms = ttl_ms
        self._metrics = metrics
        self._grace_s = grace_s
        self._held: dict[str, _Held] = {}
        self._job_ended = asyncio.Event()  # wakes the keeper to release a lease at once
        self._resting: dict[str, float] = {}  # lease key -> monotonic time a failed job may run again

    @property
    def held(self) -> list[str]:
        return sorted(self._held)

    async def run(self) -> None:
        """Keep, take and hand back leases until cancelled; then release everything."""
        redis_ok = True
        try:
            while True:
                try:
                    await self._tick()
                    if not redis_ok:
                        log.info("lease keeper: redis is back")
                    redis_ok = True
                except RedisError as exc:
                    if redis_ok:  # once per outage, not once per tick
                        log.warning("lease keeper: redis error %s; retrying", type(exc).__name__)
                    redis_ok = False
                self._job_ended.clear()
                # asyncio.timeout, not wait_for: wait_for can swallow a cancellation
                # that arrives just as the event is set (Python 3.11).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._ttl_ms / 3000 * random.uniform(0.8, 1.0)):
                        await self._job_ended.wait()
        finally:
            await self._shutdown()

    async def _tick(self) -> None:
        now = int(time.time() * 1000)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self._keys.workers, {self.worker_id: now})
            pipe.zremrangebyscore(self._keys.workers, "-inf", now - self._ttl_ms)
            pipe.zcard(self._keys.workers)
            *_, alive = await pipe.execute()
        await self._renew()
        await self._reap()
        balanced_jobs = [job for job in self._jobs if job.balanced]
        share = math.ceil(len(balanced_jobs) / max(1, alive))
        balanced_held = [h for h in self._held.values() if h.job.balanced]
        keeping = [h for h in balanced_held if not h.handle.stopping]  # not already being handed back
        for held in keeping[share:]:
            log.info("handing back %s (fair share %d)", held.job.name, share)
            held.handle.stop.set()
        free = share - len(balanced_held)
        now_s = time.monotonic()
        candidates = [job for job in self._jobs
                      if job.lease_key not in self._held and self._resting.get(job.lease_key, 0) <= now_s]
        random.shuffle(candidates)  # spread the partitions over the processes
        balanced = [job for job in candidates if job.balanced]
        if free > 0 and balanced:  # only free leases: a pick among held ones would leave free ones idle
            balanced = await self._unheld(balanced)
        wanted = balanced[: max(0, free)]
        wanted += [job for job in candidates if not job.balanced]
        await self._acquire(wanted)
        self._metrics.partitions_held.set(sum(1 for h in self._held.values() if h.job.balanced))

    async def _unheld(self, jobs: list[Job]) -> list[Job]:
        """The jobs whose lease nobody holds right now (taking them can still lose a race)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for job in jobs:
                pipe.exists(job.lease_key)
            held = await pipe.execute()
        return [job for job, exists in zip(jobs, held, strict=True) if not exists]

    async def _acquire(self, wanted: list[Job]) -> None:
        if not wanted:
            return
        tokens = [secrets.token_hex(8) for _ in wanted]
        async with self._redis.pipeline(transaction=False) as pipe:
            for job, token in zip(wanted, tokens, strict=True):
                pipe.set(job.lease_key, token, nx=True, px=self._ttl_ms)
            results = await pipe.execute()
        for job, token, taken in zip(wanted, tokens, results, strict=True):
            if taken:
                handle = LeaseHandle(job.lease_key, token)
                task = asyncio.create_task(job.run(handle), name=job.name)
                task.add_done_callback(lambda _: self._job_ended.set())
                self._held[job.lease_key] = _Held(job, handle, task)
                log.info("took %s", job.name)

    async def _renew(self) -> None:
        if not self._held:
            return
        held = list(self._held.values())
        async with self._redis.pipeline(transaction=False) as pipe:
            for h in held:
                await self._scripts.renew(keys=[h.handle.key], args=[h.handle.token, self._ttl_ms],
                                          client=pipe)
            results = await pipe.execute()
        for h, ok in zip(held, results, strict=True):
            if not ok:
                log.warning("lost %s (lease expired or taken over)", h.job.name)
                h.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await h.task
                del self._held[h.handle.key]

    async def _reap(self) -> None:
        """Release the leases of jobs that ended (handed back, lease lost, or failed)."""
        for key, h in list(self._held.items()):
            if not h.task.done():
                continue
            if not h.task.cancelled() and (exc := h.task.exception()) is not None:
                if isinstance(exc, LeaseLost):
                    log.warning("%s stopped: lease lost", h.job.name)
                elif isinstance(exc, RedisError):  # an outage, not a bug: take it up as soon as Redis answers
                    log.warning("%s stopped: redis %s", h.job.name, type(exc).__name__)
                else:
                    log.error("%s failed: %s; it will be taken up again", h.job.name, describe(exc))
                    self._resting[key] = time.monotonic() + self._ttl_ms / 1000
            await self._scripts.release(keys=[key], args=[h.handle.token])
            del self._held[key]

    async def _shutdown(self) -> None:
        """Stop every job after its current item (up to the grace time), then release the leases."""
        held = list(self._held.values())
        for h in held:
            h.handle.stop.set()
            if not h.handle.busy:  # idle in a blocking read: nothing to finish
                h.task.cancel()
        if held:
            _, pending = await asyncio.wait([h.task for h in held], timeout=self._grace_s)
            await cancel_until_done(*pending)
            await asyncio.gather(*(h.task for h in held), return_exceptions=True)
        with contextlib.suppress(RedisError):
            for h in held:
                await self._scripts.release(keys=[h.handle.key], args=[h.handle.token])
            await self._redis.zrem(self._keys.workers, self.worker_id)
        self._held.clear()
