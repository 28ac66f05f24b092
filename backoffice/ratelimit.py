"""Fixed-window counters on Redis: citizens' status lookups and wrong PINs per conversation.

A window is ``floor(now / window_s)``; the key expires with its window, so
nothing needs cleaning up. Good enough against guessing; not a precise
sliding window.
"""

from __future__ import annotations

import time

import redis.asyncio as aioredis


class FixedWindow:
    def __init__(self, redis: aioredis.Redis, prefix: str, name: str, limit: int, window_s: int) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:bo:rl:{name}"
        self.limit = limit
        self.window_s = window_s

    def _key(self, ident: str) -> str:
        return f"{self._prefix}:{ident}:{int(time.time()) // self.window_s}"

    async def hit(self, ident: str) -> bool:
        """Count one event; False when this one is over the limit."""
        key = self._key(ident)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self.window_s + 1)
            count, _ = await pipe.execute()
        return int(count) <= self.limit

    async def exhausted(self, ident: str) -> bool:
        """True when the limit is already reached in this window (without counting)."""
        value = await self._redis.get(self._key(ident))
        return value is not None and int(value) >= self.limit
