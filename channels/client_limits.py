"""Fixed-window limits in Redis, and per client address for the routes citizens' browsers call.

Only the web chat (socket, messages, photo uploads) and the console login
are limited by address: a script on one machine must not flood the
dialogue core or guess passwords. Channel webhooks are never limited here:
Telegram and Twilio retry what we refuse, and a citizen's message must be
stored whatever else arrives from the same address (their replies are
throttled in the outbox instead).

The address is hashed into the key (no IP addresses in Redis). Behind
``GATEWAY_TRUSTED_PROXIES`` reverse proxies the client is the address the
outermost trusted proxy saw in ``X-Forwarded-For``; with none, the peer.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from aiohttp import web

from channels.errors import TooManyRequests


async def count_in_window(redis: aioredis.Redis, key: str, window_s: int) -> tuple[int, int]:
    """Count one event under ``key`` in the current fixed window; (count, seconds until the next)."""
    now = int(time.time())
    window = now // window_s
    full_key = f"{key}:{window}"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(full_key).expire(full_key, window_s)
        count, _ = await pipe.execute()
    return int(count), (window + 1) * window_s - now


def client_address(request: web.BaseRequest, trusted_proxies: int) -> str:
    """The caller's address: the peer, or the hop before the ``trusted_proxies`` last ones."""
    if trusted_proxies > 0:
        hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
        if len(hops) >= trusted_proxies:
            return hops[-trusted_proxies][:64]
    return request.remote or "unknown"


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    window_s: int


class ClientLimits:
    def __init__(self, redis: aioredis.Redis, prefix: str, trusted_proxies: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._trusted_proxies = trusted_proxies

    def client(self, request: web.BaseRequest) -> str:
        return client_address(request, self._trusted_proxies)

    async def check(self, limit: Limit, request: web.BaseRequest) -> None:
        """Raise :class:`TooManyRequests` (429) when ``request``'s address is over ``limit``."""
        digest = hashlib.sha256(self.client(request).encode("utf-8")).hexdigest()[:32]
        count, retry_after = await count_in_window(
            self._redis, f"{self._prefix}:ip:{limit.name}:{digest}", limit.window_s)
        if count > limit.count:
            raise TooManyRequests(f"too many {limit.name} from this address, please wait",
                                  retry_after=retry_after)
