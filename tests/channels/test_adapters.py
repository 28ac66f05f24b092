"""The adapter seam: the registry switches channels on by their credentials; the test channel."""

from __future__ import annotations

import json

import pytest
import redis.asyncio as aioredis

from channels.adapter import AdapterDeps, ChannelAdapter, RenderContext, WebhookRequest
from channels.adapters import REGISTRY, enabled_adapters
from channels.adapters.testchannel import TestChannel
from channels.errors import BadRequest, Unauthenticated
from channels.keys import Keys
from channels.messages import Button, Buttons, Channel, Location, Text
from channels.settings import Settings


def _deps(**settings: object) -> AdapterDeps:
    values = {"pseudonym_key": "k" * 16, "rasa_token": "t" * 8, **settings}
    redis = aioredis.Redis()  # never connected: the factories only read settings
    return AdapterDeps(Settings(_env_file=None, **values), redis, Keys("x"), None)  # type: ignore[arg-type]


def _request(body: object, token: str = "secret-token", content_type: str = "application/json"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return WebhookRequest("POST", "/webhooks/test", "https://gw.example/webhooks/test",
                          {"Authorization": f"Bearer {token}"}, raw, content_type)


def test_every_channel_has_at_most_one_registration_and_test_is_registered() -> None:
    assert Channel.TEST in REGISTRY
    assert set(REGISTRY) <= set(Channel)


def test_a_channel_without_credentials_is_off() -> None:
    assert enabled_adapters(_deps()) == {}
    adapters = enabled_adapters(_deps(test_channel_token="secret-token"))
    assert list(adapters) == [Channel.TEST]
    assert isinstance(adapters[Channel.TEST], ChannelAdapter)


async def test_verify_needs_the_token() -> None:
    adapter = TestChannel("secret-token", None, _deps())
    await adapter.verify(_request({}))
    for token in ("", "secret-tokeN", "secret-token-and-more"):
        with pytest.raises(Unauthenticated):
            await adapter.verify(_request({}, token=token))


def test_parse() -> None:
    adapter = TestChannel("secret-token", None, _deps())
    [message] = adapter.parse(_request({"user": "u1", "id": "m1", "payload": "/affirm",
                                        "location": {"lat": 51.2, "lon": 7.6}, "language": "tr"}))
    assert (message.channel, message.channel_user_id, message.channel_message_id) == (
        Channel.TEST, "u1", "m1")
    assert (message.payload, message.location, message.language_hint) == (
        "/affirm", Location(51.2, 7.6), "tr")
    for bad in ({"user": "u1", "id": "m1"}, {"user": "u1", "text": "x"}, {"user": "", "id": "m", "text": "x"},
                {"user": "u1", "id": "m1", "location": {"lat": 100, "lon": 0}}):
        with pytest.raises(BadRequest):
            adapter.parse(_request(bad))
    with pytest.raises(BadRequest, match="application/json"):
        adapter.parse(_request({"user": "u"}, content_type="text/plain"))


def test_render_is_the_neutral_json_in_order() -> None:
    adapter = TestChannel("secret-token", None, _deps())
    bodies = adapter.render([Text("a"), Buttons("b", (Button("Ja", "/affirm"),))], RenderContext("c1"))
    assert bodies == [{"type": "text", "text": "a"},
                      {"type": "buttons", "text": "b", "buttons": [{"title": "Ja", "payload": "/affirm"}]}]
