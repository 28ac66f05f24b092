"""Outbox: retries with backoff, dead letters with their reason, dedupe, lanes, rate limits."""

from __future__ import annotations

import asyncio
import time

from channels import outbox
from channels.app import KEYS, REDIS, SCRIPTS, SETTINGS
from channels.keys import GROUP
from channels.messages import Channel, Outbound
from channels.outbox import RateLimiter
from channels.pseudonym import message_id
from tests.channels.conftest import PSEUDONYM_KEY


def _answers(text: str) -> list[str]:
    return [f"echo: {text}", f"done: {text}"]


async def _dead(rdb, prefix: str) -> list[dict[str, str]]:
    return [fields for _, fields in await rdb.xrange(f"{prefix}:dead")]


async def test_failed_delivery_is_retried(make_settings, start_gateway, http, sink) -> None:
    gateway = await start_gateway(make_settings())
    sink.failures = [500, 503]
    await gateway.send(http, user="u1", id="m1", text="Hallo")
    await sink.wait_for(lambda: len(sink.deliveries) == 2)
    assert sink.texts("u1") == _answers("Hallo")
    assert len(sink.attempts) == 4


async def test_delivery_record_holds_the_channels_message_id(make_settings, start_gateway, http, sink,
                                                            rdb, prefix) -> None:
    """What the citizen got is tied to the message it answers (``make chaos`` matches answers so)."""
    gateway = await start_gateway(make_settings())
    await gateway.send(http, user="u1", id="m1", text="Hallo")
    await sink.wait_for(lambda: len(sink.deliveries) == 2)
    mid = message_id(PSEUDONYM_KEY.encode(), Channel.TEST, "m1")
    await asyncio.sleep(0.2)
    assert [await rdb.get(f"{prefix}:sent:{mid}:{index}") for index in (0, 1)] == ["sink-1", "sink-2"]


async def test_retry_after_is_honoured(make_settings, start_gateway, http, sink) -> None:
    gateway = await start_gateway(make_settings())
    sink.failures, sink.retry_after = [429], "0.4"
    await gateway.send(http, user="u1", id="m1", text="Hallo")
    await sink.wait_for(lambda: len(sink.deliveries) == 2)
    assert sink.attempt_times[1] - sink.attempt_times[0] >= 0.39


async def test_delivery_that_keeps_failing_goes_to_the_dead_letters(make_settings, start_gateway, http,
                                                                    sink, rdb, prefix) -> None:
    gateway = await start_gateway(make_settings(outbox_max_attempts=3))
    sink.always = 500
    await gateway.send(http, user="u1", id="m1", text="Hallo")
    await sink.wait_for(lambda: len(sink.attempts) == 6)
    await asyncio.sleep(0.2)
    dead = await _dead(rdb, prefix)
    assert [d["reason"] for d in dead] == ["gave up after 3 attempts: sink answered 500"] * 2
    assert [d["index"] for d in dead] == ["0", "1"]
    assert {d["kind"] for d in dead} == {"outbound"}
    assert sink.deliveries == []
    assert await rdb.xlen(f"{prefix}:out:test") == 0


async def test_non_retryable_error_is_dead_lettered_at_once(make_settings, start_gateway, http, sink, rdb,
                                                            prefix) -> None:
    gateway = await start_gateway(make_settings(outbox_max_attempts=5))
    sink.always = 403
    await gateway.send(http, user="u1", id="m1", text="Hallo")
    await sink.wait_for(lambda: len(sink.attempts) == 2)
    await asyncio.sleep(0.2)
    assert [d["reason"] for d in await _dead(rdb, prefix)] == ["sink answered 403"] * 2
    assert len(sink.attempts) == 2


async def test_one_citizens_failing_delivery_does_not_hold_up_others(make_settings, start_gateway, http,
                                                                     sink, rdb, prefix) -> None:
    gateway = await start_gateway(make_settings(outbox_max_attempts=30, outbox_retry_base_s=0.2,
                                                outbox_retry_max_s=0.2))
    sink.fail_for = {"u1"}  # u1's first item is retried for about 5 s
    await gateway.send(http, user="u1", id="m1", text="Hallo")
    await sink.wait_for(lambda: len(sink.attempts) >= 1)
    await gateway.send(http, user="u2", id="m2", text="Hallo")
    await sink.wait_for(lambda: len(sink.texts("u2")) == 2, timeout=4.0)
    assert await _dead(rdb, prefix) == []  # u1 is still being retried
    assert {attempt["index"] for attempt in sink.attempts if attempt["to"] == "u1"} == {"0"}


async def test_outbox_items_are_queued_once_per_message_and_index(make_settings, start_gateway, rdb,
                                                                  prefix) -> None:
    gateway = await start_gateway(make_settings(gateway_run_workers=False))
    app = gateway.public
    items = [Outbound(Channel.TEST, "u1", "c1", "m1", str(i), {"type": "text", "text": str(i)})
             for i in range(2)]
    args = (app[REDIS], app[SCRIPTS], app[KEYS], app[SETTINGS], Channel.TEST)
    assert await outbox.push(*args, items) == 2
    assert await outbox.push(*args, items) == 0
    assert await outbox.push(*args, [*items, Outbound(Channel.TEST, "u1", "c1", "m1", "2", {})]) == 1
    assert await rdb.xlen(f"{prefix}:out:test") == 3


async def test_sender_takeover_sends_what_was_not_yet_delivered_once(make_settings, start_gateway, sink,
                                                                     rdb, prefix) -> None:
    queue_only = await start_gateway(make_settings(gateway_run_workers=False))
    app = queue_only.public
    items = [Outbound(Channel.TEST, "u1", "c1", "m1", str(i), {"type": "text", "text": f"Teil {i}"})
             for i in range(2)]
    await outbox.push(app[REDIS], app[SCRIPTS], app[KEYS], app[SETTINGS], Channel.TEST, items)
    stream = f"{prefix}:out:test"
    await rdb.xgroup_create(stream, GROUP, id="0")
    await rdb.xreadgroup(GROUP, "crashed-sender", {stream: ">"})  # read by a sender that then died
    await rdb.set(f"{prefix}:sent:m1:0", "1")  # after delivering item 0, before acknowledging it
    await start_gateway(make_settings())
    await sink.wait_for(lambda: len(sink.deliveries) == 1)
    deadline = time.monotonic() + 5
    while await rdb.xlen(stream) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert await rdb.xlen(stream) == 0
    assert sink.texts("u1") == ["Teil 1"]
    assert len(sink.attempts) == 1


async def test_rate_limiter_spaces_sends_across_limiters(make_settings, start_gateway) -> None:
    gateway = await start_gateway(make_settings(gateway_run_workers=False))
    app = gateway.public
    first, second = (RateLimiter(app[SCRIPTS], app[KEYS]) for _ in range(2))  # e.g. two processes
    started = time.monotonic()
    waits = await asyncio.gather(*(limiter.wait("chat:c1", per_second=10)
                                   for limiter in (first, second, first, second, first)))
    elapsed = time.monotonic() - started
    assert sorted(round(w, 1) for w in waits) == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert 0.38 <= elapsed < 1.0


async def test_rate_limiter_allows_a_burst(make_settings, start_gateway) -> None:
    gateway = await start_gateway(make_settings(gateway_run_workers=False))
    limiter = RateLimiter(gateway.public[SCRIPTS], gateway.public[KEYS])
    waits = [await limiter.wait("global", per_second=1, burst=3) for _ in range(4)]
    assert waits[:3] == [0.0] * 3
    assert 0.5 < waits[3] <= 1.0
