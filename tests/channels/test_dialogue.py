"""Dialogue core client: escaping, offered payloads, retries, against the fake connector."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.dialogue import ESCAPED_SLASH, LOCATION_TEXT, DialogueClient, Offers, TurnRequest, escape_text
from channels.errors import DialogueRejected, DialogueUnavailable
from channels.keys import Keys
from channels.messages import Button, Buttons, Channel, InboundMessage, Location, Text
from channels.metrics import Metrics


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("/restart", "／restart"),
        ('/inform{"amt": "x"}', '／inform{"amt": "x"}'),
        ("   /stop", "   ／stop"),
        ("\n\t/stop", "\n\t／stop"),
        ("\u3000/stop", "\u3000／stop"),  # ideographic space: str.strip() removes it too
        ("//", "／/"),
        ("a/b", "a/b"),
        ("Wie melde ich mich an?", "Wie melde ich mich an?"),
        ("", ""),
    ],
)
def test_escape_text(text: str, escaped: str) -> None:
    assert escape_text(text) == escaped


@settings(deadline=None)  # timing is not what these test
@given(st.text())
def test_escaped_text_never_reads_as_a_command_after_rasa_strips_it(text: str) -> None:
    escaped = escape_text(text)
    assert not escaped.strip().startswith("/")  # what Rasa's RegexMessageHandler checks
    assert escaped.replace(ESCAPED_SLASH, "/") == text.replace(ESCAPED_SLASH, "/")


def _message(**fields) -> InboundMessage:
    return InboundMessage(Channel.TEST, "u1", "m1", **fields)


async def test_only_offered_payloads_are_forwarded(rdb, prefix) -> None:
    offers = Offers(rdb, Keys(prefix), ttl_s=60)
    await offers.remember("c1", [Text("Hallo"), Buttons("Ja?", (Button("Ja", "/affirm"),))], numbered=False)
    assert await offers.core_text("c1", _message(payload="/affirm"), numbered=False) == "/affirm"
    assert await offers.core_text("c1", _message(payload="/restart"), numbered=False) == "／restart"
    assert await offers.core_text("c2", _message(payload="/affirm"), numbered=False) == "／affirm"
    assert await offers.core_text("c1", _message(text="/affirm"), numbered=False) == "／affirm"
    assert await rdb.ttl(f"{prefix}:offered:c1") > 0


async def test_numbered_menu_maps_a_number_back_to_its_payload(rdb, prefix) -> None:
    offers = Offers(rdb, Keys(prefix), ttl_s=60)
    await offers.remember("c1", [Buttons("A?", (Button("Ja", "/affirm"), Button("Nein", "/deny"))),
                                 Buttons("B?", (Button("Mehr", "/more"),))], numbered=True)
    assert await offers.core_text("c1", _message(text=" 2 "), numbered=True) == "/deny"
    assert await offers.core_text("c1", _message(text="3."), numbered=True) == "/more"
    assert await offers.core_text("c1", _message(text="4"), numbered=True) == "4"
    assert await offers.core_text("c1", _message(text="2"), numbered=False) == "2"
    await offers.remember("c1", [Text("Danke.")], numbered=True)  # the menu was answered: gone
    assert await offers.core_text("c1", _message(text="2"), numbered=True) == "2"
    assert await offers.core_text("c1", _message(payload="/deny"), numbered=True) == "/deny"  # still offered


async def test_location_only_message_gets_a_placeholder_text(rdb, prefix) -> None:
    offers = Offers(rdb, Keys(prefix), ttl_s=60)
    message = _message(location=Location(51.2, 7.6))
    assert await offers.core_text("c1", message, numbered=False) == LOCATION_TEXT


def _client(http, make_settings, **overrides) -> tuple[DialogueClient, Metrics]:
    metrics = Metrics()
    return DialogueClient(http, make_settings(**overrides), metrics), metrics


def _request(text: str = "Hallo", message_id: str = "m1") -> TurnRequest:
    return TurnRequest("c0ffee", message_id, Channel.TEST, text, {"language_hint": "de"})


async def test_turn_and_replay(http, make_settings, core) -> None:
    client, _ = _client(http, make_settings)
    first = await client.turn(_request())
    again = await client.turn(_request())
    assert first.responses == (Text("echo: Hallo"), Text("done: Hallo"))
    assert (first.replayed, again.replayed) == (False, True)
    assert again.responses == first.responses
    assert first.user_language == "de"
    assert core.requests[0].body == {"sender": "c0ffee", "message_id": "m1", "channel": "test",
                                     "text": "Hallo", "metadata": {"language_hint": "de"}}


async def test_wrong_token_and_4xx_are_not_retried(http, make_settings, core) -> None:
    client, _ = _client(http, make_settings, rasa_token="not-the-token")
    with pytest.raises(DialogueRejected, match="403"):
        await client.turn_with_retries(_request())
    client, metrics = _client(http, make_settings)
    with pytest.raises(DialogueRejected, match="text must be"):
        await client.turn_with_retries(_request(text=" "))
    assert len(core.requests) == 0  # the fake refused both before recording a turn
    assert metrics.dialogue_failures.labels(kind="4xx")._value.get() == 1  # one attempt, no retry


async def test_5xx_is_retried_until_the_core_answers(http, make_settings, core) -> None:
    client, metrics = _client(http, make_settings)
    core.status = 503
    asyncio.get_running_loop().call_later(0.3, setattr, core, "status", None)
    reply = await client.turn_with_retries(_request())
    assert reply.responses[0] == Text("echo: Hallo")
    assert metrics.dialogue_failures.labels(kind="5xx")._value.get() >= 2


async def test_unreachable_core_calls_on_delay_after_the_notice_time(http, make_settings, core) -> None:
    client, _ = _client(http, make_settings, rasa_delay_notice_after_s=0.3)
    await core.stop()
    delays: list[float] = []
    started = time.monotonic()

    async def on_delay() -> None:
        delays.append(time.monotonic() - started)
        if len(delays) == 3:
            await core.start()

    reply = await client.turn_with_retries(_request(), on_delay)
    assert reply.responses[0] == Text("echo: Hallo")
    assert len(delays) == 3 and delays[0] >= 0.3


async def test_gives_up_after_the_give_up_time(http, make_settings, core) -> None:
    client, _ = _client(http, make_settings, rasa_give_up_after_s=0.3)
    await core.stop()
    with pytest.raises(DialogueUnavailable, match="gave up"):
        await client.turn_with_retries(_request())


async def test_a_reply_that_is_not_the_connectors_json_is_rejected(http, make_settings) -> None:
    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<html>proxy error page</html>", content_type="text/html")

    app = web.Application()
    app.router.add_post("/webhooks/gateway/webhook", html)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        client, _ = _client(http, make_settings, rasa_url=f"http://127.0.0.1:{runner.addresses[0][1]}")
        with pytest.raises(DialogueRejected, match="not the connector's JSON"):
            await client.turn_with_retries(_request())
    finally:
        await runner.cleanup()


async def test_ready(http, make_settings, core) -> None:
    client, _ = _client(http, make_settings)
    assert await client.ready()
    await core.stop()
    assert not await client.ready()
