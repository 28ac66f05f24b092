"""Property-based fuzzing of every public route of a running gateway (``python -m channels``), and of
the web chat's WebSocket frames: random methods, paths, query strings, headers and bodies,
unicode of every kind. Never a 5xx, never an exception in the gateway's log, and nothing reaches
the streams, since no request carries valid authentication.

The gateway runs as its own process with every channel on (Telegram and Twilio pointed at a
closed port: nothing is sent, workers are off), so the test drives it synchronously.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from tests.channels.conftest import PSEUDONYM_KEY, REDIS_URL, GatewayProcess, process_env
from tests.channels.fake_telegram import SECRET, TOKEN
from tests.channels.real_core import delete_keys
from tests.fuzzing import fuzz, json_values, nasty_text, raw_bodies

ORIGIN = "https://www.maerkischer-kreis.de"
ROUTES = ["/webhooks/telegram", "/webhooks/twilio/sms", "/webhooks/twilio/status", "/webchat/upload",
          "/webchat/ws", "/webchat/origin", "/", "/datenschutz.html", "/webchat/widget.js", "/site/logo.svg",
          "/webhooks/test",
          "/webhooks/telegram/../twilio/sms", "/%2e%2e/%2e%2e/etc/passwd", "//webhooks//telegram", "/x" * 500]
METHODS = ["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH"]
HEADER_NAMES = ["Content-Type", "Authorization", "X-Telegram-Bot-Api-Secret-Token", "X-Twilio-Signature",
                "Origin", "X-Webchat-Cmid", "Accept-Language", "Cookie", "X-Forwarded-For", "Upgrade",
                "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Accept-Encoding"]
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=",
                 "text/plain; charset=utf-16", "image/png", "application/json; charset=latin-1", "*/*"]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GatewayProcess, str]]:
    tmp = tmp_path_factory.mktemp("fuzz-gateway")
    prefix = f"fz{uuid.uuid4().hex[:10]}"
    closed = "http://127.0.0.1:9"
    env = process_env({
        "pseudonym_key": PSEUDONYM_KEY, "rasa_token": "core-token-for-fuzzing", "rasa_url": closed,
        "action_server_url": closed, "redis_url": REDIS_URL, "gateway_redis_prefix": prefix,
        "gateway_partitions": 4, "gateway_run_workers": "false", "gateway_worker_processes": 0,
        "telegram_bot_token": TOKEN, "telegram_webhook_secret": SECRET, "telegram_api_base": closed,
        "twilio_account_sid": "AC" + "0" * 32, "twilio_auth_token": "fuzz-auth-token-0123456789",
        "twilio_from_number": "+4923519660", "twilio_whatsapp_from": "whatsapp:+4923519661",
        "twilio_api_base": closed, "public_base_url": "https://buergerservice.example.de",
        "webchat_session_secret": "webchat-secret-for-fuzzing", "webchat_allowed_origins": ORIGIN,
        "case_service_token": "case-token-for-fuzzing", "case_service_url": closed,
        "test_channel_token": "test-channel-token-for-fuzzing",
        "webchat_connections_per_ip_per_minute": 100_000, "webchat_messages_per_ip_per_minute": 100_000,
    })
    process = GatewayProcess(env, tmp / "gateway.log")

    async def ready() -> None:
        async with aiohttp.ClientSession() as session:
            await process.ready(session, timeout=60)

    asyncio.run(ready())
    try:
        yield process, prefix
    finally:
        asyncio.run(process.terminate())
        delete_keys(prefix)


def _assert_untouched(process: GatewayProcess, prefix: str) -> None:
    """No stream entry, no dedupe key, no web chat history; no traceback in the log."""
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        stored = [key for key in client.scan_iter(match=f"{prefix}:*", count=1000)
                  # the per-address counters are all an anonymous caller leaves; the processes'
                  # own job leases (retention, housekeeping) are written whoever calls
                  if ":ip:" not in key and ":lease:" not in key]
        assert stored == []
    finally:
        client.close()
    log = process.log.read_text(encoding="utf-8", errors="replace")
    for sign in ("Traceback", "unhandled", "Error handling request", " 500 "):
        assert sign not in log, log[-3000:]


headers = st.dictionaries(
    st.sampled_from(HEADER_NAMES),
    st.one_of(nasty_text(40), st.sampled_from([*CONTENT_TYPES, ORIGIN, "Bearer " + "x" * 40, "websocket",
                                               "Upgrade", "13", "null"])),
    max_size=6)
queries = st.one_of(st.just(""), st.lists(st.tuples(nasty_text(10), nasty_text(20)), max_size=4).map(
    lambda pairs: "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)))
bodies = st.one_of(raw_bodies(), json_values().map(lambda value: json.dumps(value).encode()))


def _request(base: str, method: str, path: str, query: str, head: dict[str, str], body: bytes) -> int | None:
    """The status, or None when the client library itself refuses to send such a request."""
    connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=30)
    try:
        connection.putrequest(method, path + query, skip_accept_encoding=True)
        for name, value in head.items():
            connection.putheader(name, value.encode("utf-8", "surrogatepass"))
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        reply = connection.getresponse()
        reply.read()
        return reply.status
    except (ValueError, http.client.InvalidURL):
        return None
    finally:
        connection.close()


@fuzz
@given(method=st.sampled_from(METHODS), path=st.sampled_from(ROUTES), query=queries, head=headers,
       body=bodies)
def test_public_routes(gateway, method: str, path: str, query: str, head: dict[str, str],
                       body: bytes) -> None:
    process, _ = gateway
    status = _request(process.url, method, path, query, head, body)
    assert status is None or status < 500, (method, path, status)


frames = st.one_of(
    json_values(["type", "token", "cmid", "text", "payload", "language", "after", "location", "lat", "lon"]),
    st.fixed_dictionaries({"type": st.sampled_from(["hello", "message", "location", "", "ack"])},
                          optional={"token": st.one_of(st.none(), nasty_text(80)), "cmid": nasty_text(70),
                                    "text": nasty_text(), "payload": nasty_text(),
                                    "location": json_values(["lat", "lon"]), "after": json_values()}),
)
raw_frames = st.one_of(frames.map(json.dumps), nasty_text(), st.binary(max_size=200))


async def _socket(url: str, hello: Any, sent: list[Any]) -> list[Any]:
    """Open a chat, say ``hello`` and send ``sent``; every frame back (the socket may be closed)."""
    received: list[Any] = []
    async with aiohttp.ClientSession() as session, \
            session.ws_connect(f"{url}/webchat/ws", origin=ORIGIN, max_msg_size=0) as ws:
        await (ws.send_bytes(hello) if isinstance(hello, bytes) else ws.send_str(hello))
        for frame in sent:
            with contextlib.suppress(ConnectionResetError, RuntimeError):
                await (ws.send_bytes(frame) if isinstance(frame, bytes) else ws.send_str(frame))
        deadline = time.monotonic() + 1.0
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await ws.receive(timeout=left)
            except TimeoutError:
                break
            if message.type != aiohttp.WSMsgType.TEXT:
                received.append(("closed", ws.close_code))
                break
            received.append(json.loads(message.data))
    return received


@fuzz
@given(hello=st.one_of(raw_frames, st.just(json.dumps({"type": "hello", "token": None, "after": 0}))),
       sent=st.lists(raw_frames, max_size=6))
def test_web_chat_frames(gateway, hello: Any, sent: list[Any]) -> None:
    process, _ = gateway
    for frame in asyncio.run(_socket(process.url, hello, sent)):
        if isinstance(frame, tuple):
            # a protocol close (too big, bad frame, refused) is fine; 1011 would be an internal error
            assert frame[1] != 1011, frame
        else:
            assert frame["type"] in ("session", "error", "ready", "reset"), frame
            if frame["type"] == "error":
                assert frame["code"] in ("bad_request", "unauthenticated", "too_fast"), frame


def test_nothing_was_stored_and_nothing_went_wrong(gateway) -> None:
    """Runs after the fuzz tests above (pytest keeps the order within a module)."""
    process, prefix = gateway
    assert os.path.getsize(process.log) > 0
    _assert_untouched(process, prefix)


def test_the_check_sees_a_stored_message(gateway) -> None:
    """The check above can fail: one authenticated message (test channel) is stored and seen."""
    process, prefix = gateway
    body = json.dumps({"user": "u1", "id": "m1", "text": "Hallo"}).encode()
    status = _request(process.url, "POST", "/webhooks/test", "", {
        "Authorization": "Bearer test-channel-token-for-fuzzing", "Content-Type": "application/json"}, body)
    assert status == 200
    with pytest.raises(AssertionError):
        _assert_untouched(process, prefix)
