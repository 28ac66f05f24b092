"""Leases: one holder per stream, takeover after a crash, fair sharing, fenced commits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from redis.exceptions import ConnectionError

from channels.keys import GROUP, Keys
from channels.leases import Job, LeaseHandle, LeaseKeeper
from channels.messages import Channel
from channels.metrics import Metrics
from channels.scripts import Scripts

TTL_MS = 1000


async def _idle(handle: LeaseHandle) -> None:
    await handle.stop.wait()


def _jobs(keys: Keys, count: int, run: Callable = _idle) -> list[Job]:
    return [Job(f"partition {p}", keys.partition_lease(p), run, balanced=True) for p in range(count)]


def _keeper(rdb, prefix: str, name: str, jobs: list[Job]) -> LeaseKeeper:
    return LeaseKeeper(rdb, Scripts.register(rdb), Keys(prefix), name, jobs, TTL_MS, Metrics(), grace_s=1)


async def _until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


@pytest.fixture
async def running():
    tasks: list[asyncio.Task[None]] = []

    def run(keeper: LeaseKeeper) -> asyncio.Task[None]:
        tasks.append(asyncio.create_task(keeper.run()))
        return tasks[-1]

    yield run
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_crashed_holders_lease_is_taken_over_after_its_ttl(rdb, prefix, running) -> None:
    keys = Keys(prefix)
    await rdb.set(keys.partition_lease(0), "crashed-process-token", px=TTL_MS)
    started = time.monotonic()
    keeper = _keeper(rdb, prefix, "b", _jobs(keys, 1))
    running(keeper)
    await _until(lambda: keeper.held == [keys.partition_lease(0)])
    assert time.monotonic() - started >= TTL_MS / 1000 * 0.8


async def test_leases_are_renewed_while_held(rdb, prefix, running) -> None:
    keys = Keys(prefix)
    keeper = _keeper(rdb, prefix, "a", _jobs(keys, 2))
    running(keeper)
    await _until(lambda: len(keeper.held) == 2)
    token = await rdb.get(keys.partition_lease(0))
    await asyncio.sleep(TTL_MS / 1000 * 3)
    assert await rdb.get(keys.partition_lease(0)) == token


async def test_a_lost_lease_stops_its_job(rdb, prefix, running) -> None:
    keys = Keys(prefix)
    cancelled = asyncio.Event()

    async def job(handle: LeaseHandle) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    keeper = _keeper(rdb, prefix, "a", _jobs(keys, 1, job))
    running(keeper)
    await _until(lambda: len(keeper.held) == 1)
    await rdb.set(keys.partition_lease(0), "someone-else", px=60_000)  # e.g. expired during a pause
    await asyncio.wait_for(cancelled.wait(), 2)
    assert keeper.held == []


async def test_a_job_stopped_by_a_redis_outage_is_taken_up_at_once_a_failed_one_rests(
        rdb, prefix, running) -> None:
    """After a Redis restart every partition job has failed with a connection error; waiting a
    lease period before taking them up again only delays the citizens' answers (make chaos)."""
    keys = Keys(prefix)
    starts: dict[str, list[float]] = {"redis": [], "bug": []}

    def failing_once(kind: str, error: Exception) -> Callable:
        async def job(handle: LeaseHandle) -> None:
            starts[kind].append(time.monotonic())
            if len(starts[kind]) == 1:
                raise error
            await handle.stop.wait()
        return job

    jobs = [Job("redis job", keys.partition_lease(0), failing_once("redis", ConnectionError("gone")), False),
            Job("bug job", keys.partition_lease(1), failing_once("bug", ValueError("bug")), False)]
    running(_keeper(rdb, prefix, "a", jobs))
    await _until(lambda: len(starts["redis"]) == 2 and len(starts["bug"]) == 2)
    assert starts["redis"][1] - starts["redis"][0] < TTL_MS / 1000 * 0.7
    assert starts["bug"][1] - starts["bug"][0] >= TTL_MS / 1000 * 0.95


async def _second_joins(rdb, prefix: str, running, partitions: int) -> tuple[LeaseKeeper, LeaseKeeper]:
    """A first process holding every partition, and a second one just started beside it."""
    keys = Keys(prefix)
    first = _keeper(rdb, prefix, "first", _jobs(keys, partitions))
    running(first)
    await _until(lambda: len(first.held) == partitions)
    second = _keeper(rdb, prefix, "second", _jobs(keys, partitions))
    running(second)
    return first, second


async def test_partitions_are_shared_fairly_and_handed_over(rdb, prefix, running) -> None:
    first, second = await _second_joins(rdb, prefix, running, 8)
    await _until(lambda: (len(first.held), len(second.held)) == (4, 4))
    assert not set(first.held) & set(second.held)


async def test_a_joining_process_takes_its_share_of_the_handed_back_partitions_at_once(
        rdb, prefix, running) -> None:
    """It picks among the leases nobody holds: a random pick among all it lacks would mostly hit the
    ones the first process keeps, and the last free partitions would wait many ticks, unworked."""
    first, second = await _second_joins(rdb, prefix, running, 64)
    await _until(lambda: len(first.held) == 32)  # handed back
    handed_back = time.monotonic()
    await _until(lambda: len(second.held) == 32)
    assert time.monotonic() - handed_back < 1.5 * TTL_MS / 1000  # about one tick, not dozens
    assert not set(first.held) & set(second.held)


async def test_shutdown_releases_leases_at_once(rdb, prefix, running) -> None:
    keys = Keys(prefix)
    keeper = _keeper(rdb, prefix, "a", _jobs(keys, 3))
    task = running(keeper)
    await _until(lambda: len(keeper.held) == 3)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert [key async for key in rdb.scan_iter(match=f"{prefix}:lease:*")] == []
    assert await rdb.zcard(keys.workers) == 0


async def test_commit_is_fenced_by_the_lease_token(rdb, prefix) -> None:
    keys, scripts = Keys(prefix), Scripts.register(rdb)
    stream = keys.inbound(0)
    entry = await rdb.xadd(stream, {"x": "1"})
    await rdb.xgroup_create(stream, GROUP, id="0")
    await rdb.xreadgroup(GROUP, "w", {stream: ">"})
    await rdb.set(keys.partition_lease(0), "current-holder")
    commit_keys = [keys.partition_lease(0), stream, keys.outbox(Channel.TEST), keys.dead, keys.queued("m:0")]
    args = [GROUP, entry, 60, "", "", '{"item": 1}']
    assert await scripts.commit(keys=commit_keys, args=["former-holder", *args]) == -1
    assert (await rdb.xpending(stream, GROUP))["pending"] == 1
    assert not await rdb.exists(keys.outbox(Channel.TEST))
    assert await scripts.commit(keys=commit_keys, args=["current-holder", *args]) == 1
    assert (await rdb.xpending(stream, GROUP))["pending"] == 0
    assert await rdb.xlen(stream) == 0 and await rdb.xlen(keys.outbox(Channel.TEST)) == 1
