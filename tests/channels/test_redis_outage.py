"""Redis restarts: the client reconnects quietly, and a reply on its way is delivered once.

The gateway runs in the test's loop against its own redis-server (append-only,
``appendfsync always``), which the test stops and starts again on the same
port and folder. The channel (the test channel's sink) has the first reply
but holds back its answer until Redis is down, so the delivery record cannot
be written when the send returns - the gap in which a message used to be
sent a second time.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from channels import redis_client
from channels.messages import Channel
from channels.pseudonym import message_id
from tests.channels.conftest import PSEUDONYM_KEY
from tests.channels.real_core import st

REDIS_AWAY_S = 2.0


def _stop(stack: st.Stack) -> None:
    [(_, process)] = [entry for entry in stack.processes if entry[0] == "redis"]
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(15)
    stack.processes.clear()


async def test_the_gateways_client_reconnects_after_a_restart_where_a_plain_one_fails_once(
        tmp_path: Path) -> None:
    """Each pooled connection of a plain client fails one command after a restart (why
    ``redis_client`` retries): partition jobs would keep stopping for seconds after Redis is back."""
    stack, port, folder = st.Stack(), st.free_port(), tmp_path / "redis"
    url = st.start_redis(stack, port, folder, tmp_path / "redis.log", fsync_always=True)
    ours, plain = redis_client.connect(url), aioredis.Redis.from_url(url, decode_responses=True)
    try:
        await ours.set("k", "v")
        await plain.set("k", "v")  # both now hold a pooled connection
        await asyncio.to_thread(_stop, stack)
        st.start_redis(stack, port, folder, tmp_path / "redis.log", fsync_always=True)
        assert await ours.get("k") == "v"  # reconnected, and the value survived in the AOF
        with pytest.raises(RedisConnectionError):
            await plain.get("k")
        assert await plain.get("k") == "v"  # the failed connection was dropped
    finally:
        await ours.aclose()
        await plain.aclose()
        stack.stop()


@pytest.mark.parametrize("lease_ttl_ms", [15_000, 1_200], ids=["lease-kept", "lease-expired-meanwhile"])
async def test_reply_in_flight_during_a_redis_restart_is_delivered_once(
        make_settings, start_gateway, http, sink, tmp_path: Path, prefix: str, lease_ttl_ms: int) -> None:
    stack, port, folder = st.Stack(), st.free_port(), tmp_path / "redis"
    try:
        url = st.start_redis(stack, port, folder, tmp_path / "redis.log", fsync_always=True)
        gateway = await start_gateway(make_settings(redis_url=url, gateway_lease_ttl_ms=lease_ttl_ms))
        sink.hold = asyncio.Event()
        status, _ = await gateway.send(http, user="u1", id="m1", text="Hallo")
        assert status == 200
        await sink.wait_for(lambda: len(sink.deliveries) == 1)  # at the device; the answer is held

        await asyncio.to_thread(_stop, stack)
        await asyncio.sleep(0.5)  # the sender's blocking read and the lease keeper see the outage
        sink.hold.set()  # the channel confirms while Redis is away: no record can be written now
        await asyncio.sleep(REDIS_AWAY_S)
        st.start_redis(stack, port, folder, tmp_path / "redis.log", fsync_always=True)

        await sink.wait_for(lambda: len(sink.deliveries) >= 2, timeout=30)
        await asyncio.sleep(lease_ttl_ms / 1000 + 1.5)  # room for a repeat, had one been coming
        assert [d["body"]["text"] for d in sink.deliveries] == ["echo: Hallo", "done: Hallo"]
        rdb = aioredis.Redis.from_url(url, decode_responses=True)
        try:
            mid = message_id(PSEUDONYM_KEY.encode(), Channel.TEST, "m1")
            records = [await rdb.get(f"{prefix}:sent:{mid}:{index}") for index in (0, 1)]
            assert records == ["sink-1", "sink-2"]
            assert await rdb.xlen(f"{prefix}:out:test") == 0
            assert await rdb.xlen(f"{prefix}:dead") == 0
        finally:
            await rdb.aclose()
    finally:
        stack.stop()
