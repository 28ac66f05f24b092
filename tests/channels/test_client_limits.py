"""Limits per client address apply to citizens' browsers only; channel webhooks are never throttled.

A flood of authenticated Telegram and Twilio webhooks from one address is
accepted and stored in full (throttling applies to replies, in the outbox);
the web chat's sockets and messages are limited per address.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp.test_utils import make_mocked_request

from channels.client_limits import client_address
from tests.channels import fake_twilio, full_gateway
from tests.channels.conftest import Gateway, entries_added
from tests.channels.fake_telegram import Citizen, post_update
from tests.channels.full_gateway import ORIGIN

twilio_api, telegram_api = fake_twilio.twilio_api, full_gateway.telegram_api  # fixtures
full_settings = full_gateway.full_settings

FLOOD = 300  # per channel, far above every per-address limit


async def stored(rdb, prefix: str) -> int:
    return sum([await entries_added(rdb, f"{prefix}:in:{partition}") for partition in range(4)])


async def test_a_flood_of_webhooks_from_one_address_is_stored_in_full(
        full_settings, start_gateway, telegram_api, twilio_api, http, rdb, prefix) -> None:
    gateway: Gateway = await start_gateway(full_settings(webchat_messages_per_ip_per_minute=1,
                                                         webchat_connections_per_ip_per_minute=1))
    citizens = [Citizen(telegram_api, 1000 + n) for n in range(30)]
    updates = [citizens[n % 30].text(f"Frage {n}") for n in range(FLOOD)]
    sms = [fake_twilio.inbound_params(f"+49151000{n % 50:04d}", f"Frage {n}") for n in range(FLOOD)]
    whatsapp = [fake_twilio.inbound_params(f"whatsapp:+49152000{n % 50:04d}", f"Frage {n}")
                for n in range(FLOOD // 3)]
    signed = f"{fake_twilio.PUBLIC_BASE_URL}{fake_twilio.INBOUND_PATH}"
    limit = asyncio.Semaphore(50)

    async def telegram(update) -> int:
        async with limit:
            return await post_update(http, f"{gateway.url}/webhooks/telegram", update)

    async def twilio(params) -> int:
        async with limit:
            status, _ = await fake_twilio.post_signed(http, f"{gateway.url}{fake_twilio.INBOUND_PATH}",
                                                      params, signed_url=signed)
            return status

    statuses = await asyncio.gather(*map(telegram, updates), *map(twilio, [*sms, *whatsapp]))
    assert set(statuses) == {200}
    assert await stored(rdb, prefix) == len(updates) + len(sms) + len(whatsapp)


async def test_web_chat_sockets_are_limited_per_address(full_settings, start_gateway, http) -> None:
    gateway: Gateway = await start_gateway(full_settings(webchat_connections_per_ip_per_minute=3))
    sockets = [await http.ws_connect(f"{gateway.url}/webchat/ws", origin=ORIGIN) for _ in range(3)]
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(f"{gateway.url}/webchat/ws", origin=ORIGIN)
    assert refused.value.status == 429
    for ws in sockets:
        await ws.close()


async def _hello(ws: aiohttp.ClientWebSocketResponse) -> str:
    await ws.send_json({"type": "hello", "token": None, "after": 0, "language": "de-DE"})
    while True:
        frame = json.loads((await ws.receive(timeout=5)).data)
        if frame["type"] == "session":
            return str(frame["token"])


async def _say(ws: aiohttp.ClientWebSocketResponse, token: str, cmid: str) -> str:
    """Send one message; the answer to it: ``ack`` or an error code."""
    await ws.send_json({"type": "message", "token": token, "cmid": cmid, "text": "Hallo"})
    while True:
        frame = json.loads((await ws.receive(timeout=5)).data)
        if frame.get("cmid") == cmid and frame["type"] in ("ack", "error"):
            return "ack" if frame["type"] == "ack" else str(frame["code"])


async def test_web_chat_messages_are_limited_per_address_across_sockets(
        full_settings, start_gateway, http, rdb, prefix) -> None:
    gateway: Gateway = await start_gateway(full_settings(webchat_messages_per_ip_per_minute=4))
    first = await http.ws_connect(f"{gateway.url}/webchat/ws", origin=ORIGIN)
    second = await http.ws_connect(f"{gateway.url}/webchat/ws", origin=ORIGIN)
    tokens = [await _hello(first), await _hello(second)]
    answers = [await _say(ws, token, f"message-{n}-{i}") for n in range(3)
               for i, (ws, token) in enumerate(zip((first, second), tokens, strict=True))]
    assert answers == ["ack"] * 4 + ["too_fast"] * 2  # each socket alone is far below its own limit
    assert await stored(rdb, prefix) == 4
    await first.close()
    await second.close()


@pytest.mark.parametrize(("forwarded", "trusted", "expected"), [
    (None, 0, "10.0.0.9"),
    ("203.0.113.7", 0, "10.0.0.9"),  # not trusted: a client could claim any address
    ("203.0.113.7", 1, "203.0.113.7"),
    ("198.51.100.1, 203.0.113.7", 1, "203.0.113.7"),  # the first hop is the client's own claim
    ("198.51.100.1, 203.0.113.7", 2, "198.51.100.1"),
    ("203.0.113.7", 2, "10.0.0.9"),  # fewer hops than proxies: the peer
])
def test_the_client_address_behind_trusted_proxies(forwarded, trusted, expected) -> None:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    request = make_mocked_request("GET", "/", headers=headers)
    request = request.clone(remote="10.0.0.9")
    assert client_address(request, trusted) == expected
