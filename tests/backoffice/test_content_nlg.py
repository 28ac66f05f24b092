"""The NLG endpoint over HTTP, and how fast a change reaches it (file mtime, or Redis from elsewhere)."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from backoffice.content import nlg
from backoffice.content.store import ContentStore
from tests.backoffice.content_support import ROOT

TOKEN = "nlg-test-token"
IN_ENGLISH = [{"type": "slot", "name": "language", "value": "en"}]


def request(response: str, channel: str = "webchat", **slots: object) -> dict:
    """A body as Rasa 3.6 sends it (nlg_request_format), with the tracker state trimmed to what counts."""
    return {"response": response, "id": None, "arguments": {},
            "tracker": {"sender_id": "abc", "slots": {"language": None, **slots}, "latest_message": {},
                        "events": [], "paused": False, "latest_input_channel": channel},
            "channel": {"name": channel}}


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[ContentStore], Awaitable[str]]]:
    runners: list[web.AppRunner] = []

    async def start(store: ContentStore, poll_s: float = 0.2) -> str:
        app = web.Application()
        nlg.setup(app, store, poll_s, TOKEN, lambda: datetime(2026, 12, 24, 10, tzinfo=UTC))
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}/nlg?token={TOKEN}"

    yield start
    for runner in runners:
        await runner.cleanup()


async def post(url: str, body: object) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as reply:
        return reply.status, await reply.json()


async def test_answers_like_rasa_per_language_and_channel(content: Path, serve, rdb, prefix) -> None:
    url = await serve(ContentStore(content, ROOT / "bot" / "domain", rdb, prefix))
    status, german = await post(url, request("utter_faq/personalausweis"))
    assert status == 200 and german["text"].startswith("Einen neuen Personalausweis")
    assert german["metadata"]["source"].startswith("https://") and "condition" not in german
    _, english = await post(url, request("utter_faq/personalausweis", language="en"))
    assert english["text"].startswith("You apply") and english["condition"] == IN_ENGLISH
    _, easy = await post(url, request("utter_faq/personalausweis", language="ls"))
    assert easy["text"].startswith("Sie brauchen einen neuen Personal-Ausweis")
    _, sms = await post(url, request("utter_faq/personalausweis", "sms", language="en"))
    assert sms["channel"] == "sms" and sms["text"].startswith("Neuer Personalausweis")  # Rasa's order
    _, greet = await post(url, request("utter_greet"))
    assert greet["buttons"][0] == {"title": "Personalausweis", "payload": '/faq{"topic":"personalausweis"}'}
    _, unknown = await post(url, request("utter_does_not_exist"))
    assert unknown == {}


async def test_slots_and_arguments_are_filled_in(content: Path, serve, rdb, prefix) -> None:
    path = content / "topics" / "thanks.yml"
    text = path.read_text(encoding="utf-8")
    extra = '  utter_test_fill:\n  - text: "Hallo {name}, um {zeit} Uhr."\n'
    path.write_text(text + extra, encoding="utf-8")
    url = await serve(ContentStore(content, None, rdb, prefix))
    body = request("utter_test_fill", name="Frau Muster")
    body["arguments"] = {"zeit": "9"}
    assert (await post(url, body))[1]["text"] == "Hallo Frau Muster, um 9 Uhr."


@pytest.mark.parametrize(("body", "reason"), [
    ([], "string 'response'"), ({"response": 3}, "string 'response'"),
    ({"response": "utter_greet", "tracker": "x"}, "must be objects"),
])
async def test_malformed_requests_get_400_with_one_line(content, serve, rdb, prefix, body, reason) -> None:
    url = await serve(ContentStore(content, None, rdb, prefix))
    status, reply = await post(url, body)
    assert status == 400 and reason in reply["error"]
    async with aiohttp.ClientSession() as http, http.post(url, data=b"{no json") as raw:
        assert raw.status == 400 and (await raw.json()) == {"error": "body must be JSON"}


async def test_without_the_token_nothing_is_answered(content, serve, rdb, prefix) -> None:
    """Rasa sends the whole tracker with each request: only a caller with the token may send it."""
    url = await serve(ContentStore(content, None, rdb, prefix))
    bare = url.split("?", 1)[0]
    for wrong in (bare, f"{bare}?token=", f"{bare}?token=nlg-test-tokeN"):
        status, reply = await post(wrong, request("utter_greet"))
        assert status == 401 and reply == {"error": "token missing or wrong"}
    assert (await post(url, request("utter_greet")))[0] == 200


async def _until(url: str, body: dict, expected: str, limit_s: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        if (await post(url, body))[1].get("text", "").startswith(expected):
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise AssertionError(f"not served within {limit_s} s")


async def test_a_hand_edit_is_served_within_one_poll(content: Path, serve, rdb, prefix) -> None:
    url = await serve(ContentStore(content, None, rdb, prefix), poll_s=0.5)
    path = content / "topics" / "thanks.yml"
    text = path.read_text(encoding="utf-8")
    first = (await post(url, request("utter_thanks")))[1]["text"]
    path.write_text(text.replace(first.splitlines()[0], "Sehr gern, von Hand geändert!", 1), encoding="utf-8")
    assert await _until(url, request("utter_thanks"), "Sehr gern, von Hand geändert!", 5) < 2


async def test_a_broken_hand_edit_keeps_the_last_good_answer(content: Path, serve, rdb, prefix) -> None:
    url = await serve(ContentStore(content, None, rdb, prefix), poll_s=0.2)
    path = content / "topics" / "thanks.yml"
    before = (await post(url, request("utter_thanks")))[1]
    path.write_text("responses: [\n", encoding="utf-8")
    await asyncio.sleep(0.8)
    assert (await post(url, request("utter_thanks")))[1] == before


async def test_a_save_on_another_machine_arrives_through_redis(tmp_path: Path, serve, rdb, prefix) -> None:
    """Two content folders (two machines without a shared disk), one Redis: the saving side publishes."""
    here, there = tmp_path / "a", tmp_path / "b"
    shutil.copytree(ROOT / "nlu_data", here)
    shutil.copytree(ROOT / "nlu_data", there)
    saver = ContentStore(here, None, rdb, prefix)
    await saver.refresh()
    url = await serve(ContentStore(there, None, rdb, prefix), poll_s=0.5)
    path = here / "topics" / "thanks.yml"
    new = path.read_text(encoding="utf-8").replace("  - text:", "  - text: Aus Maschine A.\n    x_old:", 1)
    path.write_text(new, encoding="utf-8")
    await saver.publish(path, new)
    assert await _until(url, request("utter_thanks"), "Aus Maschine A.", 5) < 2
    # a later hand edit on machine B wins over the older published text
    local = there / "topics" / "thanks.yml"
    later = local.read_text(encoding="utf-8").replace("  - text:", "  - text: Auf B von Hand.\n    x_old:", 1)
    local.write_text(later, encoding="utf-8")
    os.utime(local)
    assert await _until(url, request("utter_thanks"), "Auf B von Hand.", 5) < 2
