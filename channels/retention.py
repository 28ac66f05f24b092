"""Retention of what the gateway keeps in Redis beyond per-key TTLs: the dead-letter stream.

Every other gateway key expires by itself (TTL; table in README.md "Retention"),
and inbound and outbox entries are deleted (XDEL) in the same step as their
acknowledgement, so no acknowledged entry stays and no pending one is ever
trimmed. Dead letters carry whole messages for operators; they are trimmed by
age (``XTRIM MINID``, stream ids are milliseconds) after DEAD_LETTER_TTL_S, by
one process at a time (a lease job of the worker).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import redis.asyncio as aioredis

from channels.keys import Keys
from channels.leases import Job, LeaseHandle
from channels.settings import Settings

log = logging.getLogger(__name__)

INTERVAL_S = 600.0


async def trim_dead_letters(redis: aioredis.Redis, keys: Keys, ttl_s: int, now_ms: int | None = None) -> int:
    """Delete dead letters older than ``ttl_s``; the number deleted."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    return int(await redis.xtrim(keys.dead, minid=f"{now_ms - ttl_s * 1000}-0", approximate=False))


def job(settings: Settings, redis: aioredis.Redis, keys: Keys) -> Job:
    """The lease job that trims the dead letters every INTERVAL_S."""

    async def run(handle: LeaseHandle) -> None:
        while not handle.stopping:
            trimmed = await trim_dead_letters(redis, keys, settings.dead_letter_ttl_s)
            if trimmed:
                log.info("retention: deleted %d dead letters older than %d s", trimmed,
                         settings.dead_letter_ttl_s)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(INTERVAL_S):
                    await handle.stop.wait()

    return Job("retention", keys.retention_lease, run, balanced=False)
