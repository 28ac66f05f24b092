"""channels.healthcheck: a worker pod's liveness follows its lease keeper's heartbeat in real Redis."""

from __future__ import annotations

import asyncio
import socket
import time

import redis.asyncio as aioredis

from channels.app import worker_id
from channels.healthcheck import check
from channels.keys import Keys
from channels.leases import LeaseKeeper
from channels.metrics import Metrics
from channels.scripts import Scripts
from tests.channels.conftest import REDIS_URL

TTL_MS = 1000


async def test_alive_while_the_keeper_beats_not_after_it_stops(rdb: aioredis.Redis, prefix: str) -> None:
    assert await check(REDIS_URL, prefix, TTL_MS) == 1  # no worker on this host yet
    keeper = LeaseKeeper(rdb, Scripts.register(rdb), Keys(prefix), worker_id(), [], TTL_MS, Metrics(),
                         grace_s=1)
    task = asyncio.create_task(keeper.run())
    try:
        for _ in range(100):
            if await rdb.zcard(Keys(prefix).workers):
                break
            await asyncio.sleep(0.02)
        assert await check(REDIS_URL, prefix, TTL_MS) == 0
        assert await check(REDIS_URL, prefix, TTL_MS, host=f"other-{socket.gethostname()}") == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert await check(REDIS_URL, prefix, TTL_MS) == 1  # a stopped keeper leaves the registry


async def test_a_stale_heartbeat_fails_and_unreachable_redis_passes(rdb: aioredis.Redis, prefix: str) -> None:
    now = int(time.time() * 1000)
    await rdb.zadd(Keys(prefix).workers, {f"{socket.gethostname()}-1-abc": now - 5 * TTL_MS})
    assert await check(REDIS_URL, prefix, TTL_MS) == 1
    await rdb.zadd(Keys(prefix).workers, {f"{socket.gethostname()}-1-abc": now})
    assert await check(REDIS_URL, prefix, TTL_MS) == 0
    assert await check("redis://127.0.0.1:1/0", prefix, TTL_MS) == 0
