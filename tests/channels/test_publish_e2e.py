"""Publishing a model and rolling back while citizens' messages flow: none lost, none answered twice.

Two real Rasa servers behind a real gateway (RASA_URLS), the real action
server and Redis; the staff side's publisher loads the candidate into one
server after the other and then rolls back the same way, while citizens keep
writing through the test channel.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis

from backoffice.publish import registry
from backoffice.publish.pipeline import Publisher
from backoffice.publish.progress import Outcome
from backoffice.settings import Settings as StaffSettings
from channels.texts import DELAY_NOTICE
from tests.channels.conftest import REDIS_URL
from tests.e2e.answers import answer, first_example

# Two Rasa start-ups and four model loads: minutes on a loaded machine.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

TOPICS = ["kfz_zulassung", "elterngeld", "einbuergerung", "fuehrerschein_umtausch", "grundsicherung",
          "aufenthaltstitel"]
CITIZENS = 6
ANSWER_TIMEOUT_S = 180  # a turn waits for a server that is loading a model, or moves to the other one


def _answers(sink, user: str) -> list[str]:
    """What ``user`` got, without the notice that an answer takes longer (the gateway holds the
    message meanwhile, which is what it should do while a model loads) and without the textless
    "War das hilfreich?" offer that follows each FAQ answer."""
    return [text for text in sink.texts(user) if text and text != DELAY_NOTICE["de"]]


async def _serving(http: aiohttp.ClientSession, url: str, token: str) -> str:
    async with http.get(f"{url}/status", params={"token": token}) as reply:
        return Path((await reply.json())["model_file"]).name


async def test_publish_and_rollback_answer_every_message_exactly_once(
        rasa_pair, make_settings, start_gateway, sink, http, prefix, tmp_path) -> None:
    gateway = await start_gateway(make_settings(
        rasa_urls=",".join(rasa_pair.urls), rasa_token=rasa_pair.token,
        action_server_url=rasa_pair.action_server_url, rasa_timeout_s=15, rasa_probe_after_s=2))
    staff = StaffSettings(_env_file=None, rasa_urls=",".join(rasa_pair.urls), rasa_token=rasa_pair.token,
                          gateway_redis_prefix=prefix, redis_url=REDIS_URL,
                          model_registry_path=tmp_path / "models.json")
    reg = registry.Registry()
    reg.publish(registry.ModelEntry(rasa_pair.model.name, str(rasa_pair.model), {}, "setup",
                                    "2026-11-30T00:00:00+00:00"))
    registry.save(staff.model_registry_path, reg)
    redis = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)  # as the gateway opens it
    publisher = Publisher(staff, redis)

    sent: dict[str, list[str]] = {f"buerger{c}": [] for c in range(CITIZENS)}
    during_swap = 0
    swapping = asyncio.Event()
    stop = asyncio.Event()

    async def citizen(user: str, offset: int) -> None:
        nonlocal during_swap
        n = 0
        while not stop.is_set():
            topic = TOPICS[(offset + n) % len(TOPICS)]
            status, _ = await gateway.send(http, user=user, id=f"{user}-{n}", text=first_example(topic))
            assert status == 200
            sent[user].append(topic)
            during_swap += swapping.is_set()
            n += 1
            # A citizen waits for the answer before writing again; a lost message ends the test here.
            await sink.wait_for(lambda: len(_answers(sink, user)) >= len(sent[user]),
                                timeout=ANSWER_TIMEOUT_S)
            await asyncio.sleep(0.5)

    async def operator() -> tuple[Outcome | None, Outcome | None, list[str], list[str]]:
        await asyncio.sleep(2)
        swapping.set()
        published = await publisher.publish_checked(rasa_pair.candidate, {"de_acc": 0.9}, "redakteurin")
        after_publish = [await _serving(http, url, rasa_pair.token) for url in rasa_pair.urls]
        rolled_back = await publisher.run("rollback", "redakteurin")
        after_rollback = [await _serving(http, url, rasa_pair.token) for url in rasa_pair.urls]
        swapping.clear()
        await asyncio.sleep(2)
        stop.set()
        return published.outcome, rolled_back.outcome, after_publish, after_rollback

    try:
        started = time.monotonic()
        *_, (published, rolled_back, after_publish, after_rollback) = await asyncio.gather(
            *(citizen(user, c) for c, user in enumerate(sent)), operator())
        assert (published, rolled_back) == (Outcome.PUBLISHED, Outcome.ROLLED_BACK)
        assert after_publish == [rasa_pair.candidate.name] * 2
        assert after_rollback == [rasa_pair.model.name] * 2
        assert during_swap >= CITIZENS * 3, "too few messages were sent while the models were swapped"

        await asyncio.sleep(2)  # a duplicate would arrive now
        for user, topics in sent.items():
            assert _answers(sink, user) == [answer(t) for t in topics], user
        final = registry.load(staff.model_registry_path)
        assert final.in_service.name == rasa_pair.model.name
        assert final.previous.name == rasa_pair.candidate.name
        assert [e.action for e in final.history] == ["rolled_back", "published"]
        assert not await publisher.state.locked()
        print(f"{sum(map(len, sent.values()))} messages, {during_swap} during the swaps, "
              f"{time.monotonic() - started:.0f} s")
    finally:
        stop.set()
        await redis.aclose()
