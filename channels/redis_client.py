"""The gateway's Redis client: reconnects a connection Redis closed instead of failing once per connection.

After a Redis restart every pooled connection is dead; redis-py raises the
first command on each of them unless ``retry_on_error`` names the error, so
without it partition jobs keep failing for many seconds after Redis is back,
each failure costing a lease hand-over and a replayed turn. Repeating a
command is safe on the message path because its writes are idempotent:
intake and commit are Lua scripts guarded by ``SET NX`` markers, outbox items
are queued once per key, the web chat history appends once per entry key;
counters (cost caps, rate limits, analytics) may at worst count one too many.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

RETRIES = 3
BACKOFF_BASE_S, BACKOFF_CAP_S = 0.05, 1.0  # the pause between tries


def connect(url: str, **options: Any) -> aioredis.Redis:
    """A client for ``url`` with decoded replies and reconnect-and-retry on connection errors."""
    backoff = ExponentialWithJitterBackoff(cap=BACKOFF_CAP_S, base=BACKOFF_BASE_S)
    settings: dict[str, Any] = {"decode_responses": True, "socket_connect_timeout": 5,
                                "health_check_interval": 30, "retry": Retry(backoff, RETRIES),
                                "retry_on_error": [RedisConnectionError, RedisTimeoutError]}
    return aioredis.Redis.from_url(url, **{**settings, **options})
