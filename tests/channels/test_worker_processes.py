"""``python -m channels`` with worker processes: restart, priority, metrics, clean stop."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path

import aiohttp

from tests.channels.conftest import GatewayProcess, post_message


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # field 4 of stat: the parent pid
            found.append(int(stat.parent.name))
    return found


def _gone(pid: int) -> bool:
    """Exited (a zombie whose new parent has not reaped it yet counts as exited)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def _nice(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


async def _metric(http: aiohttp.ClientSession, process: GatewayProcess, name: str) -> float:
    async with http.get(f"http://127.0.0.1:{process.internal_port}/metrics") as reply:
        text = await reply.text()
    values = [float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M)]
    return sum(values)


async def _workers(process: GatewayProcess, count: int) -> list[int]:
    for _ in range(100):
        children = _children(process.process.pid)
        if len(children) == count:
            return children
        await asyncio.sleep(0.1)
    raise AssertionError(f"expected {count} worker processes, found {_children(process.process.pid)}")


async def test_workers_run_at_lower_priority_and_report_into_metrics(spawn, http, sink) -> None:
    process = spawn(gateway_worker_processes=2, gateway_worker_nice=7, gateway_partitions=4)
    await process.ready(http)
    workers = await _workers(process, 2)
    for _ in range(100):  # a worker lowers its priority first thing after reading its settings
        if ([_nice(pid) for pid in workers] == [7, 7]
                and [os.sched_getscheduler(pid) for pid in workers] == [os.SCHED_IDLE] * 2):
            break
        await asyncio.sleep(0.1)
    assert [_nice(pid) for pid in workers] == [7, 7]
    assert _nice(process.process.pid) == 0
    # and under SCHED_IDLE: a webhook preempts turn processing at once
    assert [os.sched_getscheduler(pid) for pid in workers] == [os.SCHED_IDLE] * 2
    assert os.sched_getscheduler(process.process.pid) == os.SCHED_OTHER
    assert (await post_message(http, process.url, user="u1", id="m1", text="Hallo"))[0] == 200
    await sink.wait_for(lambda: len(sink.deliveries) == 2, timeout=20)
    # delivered by a worker process, counted in the web process' /metrics
    for _ in range(50):
        if await _metric(http, process, "gateway_messages_out_total") == 2:
            break
        await asyncio.sleep(0.1)
    assert await _metric(http, process, "gateway_messages_out_total") == 2
    assert await _metric(http, process, "gateway_messages_in_total") == 1
    assert await _metric(http, process, "gateway_partitions_held") == 4


async def test_a_killed_worker_is_replaced_and_nothing_is_lost(spawn, http, core, sink) -> None:
    process = spawn(gateway_worker_processes=1, gateway_partitions=2, gateway_lease_ttl_ms=1500)
    await process.ready(http)
    [worker] = await _workers(process, 1)
    core.delays["Frage 0"] = 3.0
    core.started_turn.clear()
    assert (await post_message(http, process.url, user="u1", id="m0", text="Frage 0"))[0] == 200
    await asyncio.wait_for(core.started_turn.wait(), 10)
    assert (await post_message(http, process.url, user="u1", id="m1", text="Frage 1"))[0] == 200
    os.kill(worker, signal.SIGKILL)  # mid-turn
    await sink.wait_for(lambda: len(sink.deliveries) == 4, timeout=30)
    await asyncio.sleep(0.5)
    assert sink.texts("u1") == ["echo: Frage 0", "done: Frage 0", "echo: Frage 1", "done: Frage 1"]
    [replacement] = await _workers(process, 1)
    assert replacement != worker
    assert "exited with -9; restarting" in process.log.read_text()


async def test_sigterm_stops_the_workers_too(spawn, http) -> None:
    process = spawn(gateway_worker_processes=2)
    await process.ready(http)
    workers = await _workers(process, 2)
    assert await process.terminate() == 0
    assert all(_gone(pid) for pid in workers)
    assert "Traceback" not in process.log.read_text()


async def test_workers_exit_when_the_gateway_process_dies(spawn, http) -> None:
    process = spawn(gateway_worker_processes=1)
    await process.ready(http)
    [worker] = await _workers(process, 1)
    process.kill()
    for _ in range(100):
        if _gone(worker):
            break
        await asyncio.sleep(0.1)
    assert _gone(worker)


async def test_workers_keep_the_normal_policy_when_sched_idle_is_off(spawn, http) -> None:
    process = spawn(gateway_worker_processes=1, gateway_worker_nice=5, gateway_worker_sched_idle=False,
                    gateway_partitions=4)
    await process.ready(http)
    [worker] = await _workers(process, 1)
    for _ in range(100):
        if _nice(worker) == 5:
            break
        await asyncio.sleep(0.1)
    assert _nice(worker) == 5
    assert os.sched_getscheduler(worker) == os.SCHED_OTHER
