"""Conversations over Rasa instances: balance, stickiness, minimal movement, failover and return."""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from channels.dialogue import DialogueClient, TurnRequest
from channels.messages import Channel, Text
from channels.metrics import Metrics
from channels.rasa_ring import RasaRing, Route
from tests.channels.conftest import CORE_TOKEN
from tests.channels.fakes import FakeCore

URLS = [f"http://rasa-{n}:5005" for n in range(4)]
KEYS = [hashlib.sha256(f"conversation-{n}".encode()).hexdigest() for n in range(20_000)]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def owners(ring: RasaRing) -> dict[str, str]:
    return {key: ring.route(key).url for key in KEYS}


def test_load_is_balanced_within_five_percent() -> None:
    for count in (2, 3, 4):
        ring = RasaRing(URLS[:count])
        shares = Counter(owners(ring).values())
        assert set(shares) == set(URLS[:count])
        for url, owned in shares.items():
            assert abs(owned / len(KEYS) - 1 / count) < 0.05 / count, (count, url, owned)


def test_an_instance_down_moves_only_its_own_conversations_and_they_come_back() -> None:
    clock = Clock()
    ring = RasaRing(URLS, down_after=2, probe_after_s=5, clock=clock)
    before = owners(ring)
    ring.failed(URLS[1])
    assert owners(ring) == before  # one failure is not enough
    ring.failed(URLS[1])
    during = owners(ring)
    moved = {key for key in KEYS if during[key] != before[key]}
    assert moved == {key for key in KEYS if before[key] == URLS[1]}
    assert URLS[1] not in during.values()
    for key in moved:  # each moved to its own next choice, so the others spread evenly
        assert during[key] == ring.ranking(key)[1]
    spread = Counter(during[key] for key in moved)
    assert len(spread) == 3 and min(spread.values()) > len(moved) / 3 * 0.85
    ring.succeeded(URLS[1])
    assert owners(ring) == before


def test_a_down_instance_is_offered_for_one_probe_per_interval() -> None:
    clock = Clock()
    ring = RasaRing(URLS[:2], down_after=1, probe_after_s=5, clock=clock)
    key = next(k for k in KEYS if ring.owner(k) == URLS[0])
    ring.failed(URLS[0])
    assert ring.route(key).url == URLS[1]
    clock.now += 5
    assert ring.route(key) == Route(URLS[0], probe=True)  # due: one caller probes it
    assert ring.route(key).url == URLS[1]  # the others skip it meanwhile
    clock.now += 5
    assert ring.route(key).probe


def test_adding_an_instance_moves_only_the_conversations_it_takes() -> None:
    before, after = owners(RasaRing(URLS[:3])), owners(RasaRing(URLS))
    moved = [key for key in KEYS if before[key] != after[key]]
    assert all(after[key] == URLS[3] for key in moved)
    assert abs(len(moved) / len(KEYS) - 0.25) < 0.02


def test_all_instances_down_keeps_the_owner() -> None:
    ring = RasaRing(URLS[:2], down_after=1, probe_after_s=60)
    ring.failed(URLS[0])
    ring.failed(URLS[1])
    assert all(ring.route(key).url == ring.owner(key) for key in KEYS[:100])


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        RasaRing([])
    with pytest.raises(ValueError):
        RasaRing([URLS[0], URLS[0]])


# --- two real HTTP servers speaking the connector's API ------------------------------------------


@pytest.fixture
async def cores() -> AsyncIterator[list[FakeCore]]:
    started = [FakeCore(CORE_TOKEN), FakeCore(CORE_TOKEN)]
    for core in started:
        await core.start()
    yield started
    for core in started:
        await core.stop()


def senders_of(core: FakeCore) -> set[str]:
    return {request.body["sender"] for request in core.requests}


async def test_conversations_stick_to_one_instance_and_move_only_while_it_is_down(
        http, make_settings, cores) -> None:
    settings = make_settings(rasa_urls=",".join(core.url for core in cores), rasa_down_after_failures=1,
                             rasa_probe_after_s=0.2)
    client = DialogueClient(http, settings, Metrics())
    senders = [hashlib.sha256(f"c{n}".encode()).hexdigest()[:32] for n in range(40)]

    async def round_of_turns(label: str) -> None:
        for sender in senders:
            reply = await client.turn_with_retries(TurnRequest(sender, f"{sender[:8]}-{label}", Channel.TEST,
                                                               label))
            assert reply.responses[0] == Text(f"echo: {label}")

    for turn in range(3):
        await round_of_turns(f"t{turn}")
    first, second = senders_of(cores[0]), senders_of(cores[1])
    assert first and second and not first & second  # each conversation on exactly one instance
    assert first | second == set(senders)
    assert all(len(cores[0].texts_of(s)) == 3 for s in first)

    await cores[0].stop()  # the first instance goes down: only its conversations move
    requests_before = len(cores[1].requests)
    await round_of_turns("down")
    moved = {r.body["sender"] for r in cores[1].requests[requests_before:]}
    assert moved == set(senders)
    assert all(cores[1].texts_of(s) == ["down"] for s in first)
    assert all(cores[1].texts_of(s) == ["t0", "t1", "t2", "down"] for s in second)

    await cores[0].start()  # back on the same port: after its probe, its conversations return
    await asyncio.sleep(0.25)  # its probe is due
    counted = len(cores[0].requests)
    await round_of_turns("back")
    assert {r.body["sender"] for r in cores[0].requests[counted:]} == first
    assert all(cores[1].texts_of(s)[-1] == "down" for s in first)
    assert all(cores[1].texts_of(s)[-1] == "back" for s in second)
    assert await client.ready()


async def test_ready_while_one_instance_answers(http, make_settings, cores) -> None:
    client = DialogueClient(http, make_settings(rasa_urls=f"{cores[0].url},{cores[1].url}"), Metrics())
    await cores[0].stop()
    assert await client.ready()
    await cores[1].stop()
    assert not await client.ready()
