"""Gateway processes (``python -m channels``) on one Redis: crash takeover and shared order."""

from __future__ import annotations

import asyncio
import random
import re

from channels.messages import Channel
from channels.pseudonym import conversation_id
from tests.channels.conftest import PSEUDONYM_KEY, post_message

PHONE = "+4917612345678"  # a channel user id that must not show up in any log


def _answers(*sent: str) -> list[str]:
    return [line for text in sent for line in (f"echo: {text}", f"done: {text}")]


def _sender(user: str) -> str:
    return conversation_id(PSEUDONYM_KEY.encode(), Channel.TEST, user)


async def _partitions_held(http, process) -> int:
    async with http.get(f"http://127.0.0.1:{process.internal_port}/metrics") as reply:
        text = await reply.text()
    return int(float(re.search(r"^gateway_partitions_held (\S+)$", text, re.M).group(1)))


async def test_worker_killed_mid_turn_answers_once_and_keeps_order(spawn, http, core, sink) -> None:
    settings = {"gateway_partitions": 2, "gateway_lease_ttl_ms": 1500}
    first = spawn(**settings)
    await first.ready(http)
    core.delays["Frage 0"] = 3.0  # long enough for the kill to land mid-turn
    core.started_turn.clear()
    assert (await post_message(http, first.url, user=PHONE, id="m0", text="Frage 0"))[0] == 200
    await asyncio.wait_for(core.started_turn.wait(), 10)
    for n in (1, 2, 3):  # queued behind the turn in progress
        assert (await post_message(http, first.url, user=PHONE, id=f"m{n}", text=f"Frage {n}"))[0] == 200
    first.kill()

    second = spawn(**settings)
    await second.ready(http)
    await sink.wait_for(lambda: len(sink.deliveries) == 8, timeout=30)
    await asyncio.sleep(0.5)  # nothing more may arrive
    assert sink.texts(PHONE) == _answers("Frage 0", "Frage 1", "Frage 2", "Frage 3")
    assert core.texts_of(_sender(PHONE)) == ["Frage 0", "Frage 1", "Frage 2", "Frage 3"]
    assert [r.body["text"] for r in core.requests if r.replayed] == ["Frage 0"]
    for process in (first, second):  # no personal data in the logs: no number, no text
        log = process.log.read_text()
        assert " mid=" in log
        assert "4917612345678" not in log and "Frage" not in log


async def test_two_gateways_keep_every_conversations_order(spawn, http, core, sink) -> None:
    settings = {"gateway_partitions": 8, "gateway_lease_ttl_ms": 1500}
    first = spawn(**settings)
    await first.ready(http)
    rng = random.Random(11)
    users, per_user = 16, 6
    for u in range(users):
        for n in range(per_user):
            core.delays[f"u{u} m{n}"] = rng.uniform(0, 0.03)
    second = spawn(**settings)  # joins while the traffic runs: partitions are handed over under load
    processes = [first]

    async def citizen(u: int) -> None:
        for n in range(per_user):
            url = rng.choice(processes).url  # the load balancer picks any gateway
            status, _ = await post_message(http, url, user=f"u{u}", id=f"u{u}-{n}", text=f"u{u} m{n}")
            assert status == 200
            await asyncio.sleep(rng.uniform(0.05, 0.25))

    async def join() -> None:
        await second.ready(http)
        processes.append(second)

    await asyncio.gather(join(), *(citizen(u) for u in range(users)))
    await sink.wait_for(lambda: len(sink.deliveries) == users * per_user * 2, timeout=40)
    await asyncio.sleep(0.3)
    for u in range(users):
        sent = [f"u{u} m{n}" for n in range(per_user)]
        assert sink.texts(f"u{u}") == _answers(*sent), u
        assert core.texts_of(_sender(f"u{u}")) == sent
    for _ in range(100):  # within a few lease ticks the partitions are shared half and half
        held = [await _partitions_held(http, p) for p in (first, second)]
        if held == [4, 4]:
            break
        await asyncio.sleep(0.1)
    assert held == [4, 4]


async def test_sigterm_stops_cleanly_and_hands_over_at_once(spawn, http, rdb, prefix) -> None:
    process = spawn(gateway_partitions=2, gateway_lease_ttl_ms=60_000)
    await process.ready(http)
    for _ in range(100):  # the worker process takes its leases once it has started
        if [key async for key in rdb.scan_iter(match=f"{prefix}:lease:*")]:
            break
        await asyncio.sleep(0.1)
    assert [key async for key in rdb.scan_iter(match=f"{prefix}:lease:*")]
    assert await process.terminate() == 0
    assert [key async for key in rdb.scan_iter(match=f"{prefix}:lease:*")] == []
    log = process.log.read_text()
    assert "channels on: test" in log
    assert "Traceback" not in log
