"""Photos and locations from the web chat: ``POST /webchat/upload`` and ``location`` frames.

The gateway runs in the test's loop with real Redis and the fake dialogue
core; photos are stored by the real case service (``python -m backoffice``,
one process per module). A WebSocket client stands in for the widget.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from channels.settings import Settings
from channels.uploads import sniff_image
from tests.channels.browser.live_gateway import settled, stop_robustly
from tests.channels.case_service import TOKEN, CaseService, jpeg, png
from tests.channels.conftest import entries_added, free_port
from tests.channels.test_webchat import ORIGIN, SECRET, Browser, bot_messages, connect

MAX_BYTES = 512 * 1024  # more than GATEWAY_MAX_BODY_BYTES (256 KiB), which is for webhooks


def responder(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"text": f"Danke: {body['text']}"}]


@pytest.fixture(scope="module")
def case_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseService]:
    service = CaseService(tmp_path_factory.mktemp("case-service"), f"tcs{uuid.uuid4().hex[:8]}")
    service.start()
    yield service
    service.stop()


async def start(make_settings, start_gateway, core, **overrides: Any):
    core.responder = responder
    settings: Settings = make_settings(webchat_session_secret=SECRET, webchat_allowed_origins=ORIGIN,
                                       webchat_upload_max_bytes=MAX_BYTES, **overrides)
    gateway = await start_gateway(settings)
    await settled(gateway.public)
    return gateway


@pytest.fixture
async def start_offline(make_settings, start_gateway, core):
    """Gateways whose case service is configured but not running (nothing listens on its port)."""
    started = []

    async def run(**overrides: Any):
        gateway = await start(make_settings, start_gateway, core, case_service_token=TOKEN,
                              case_service_url=f"http://127.0.0.1:{free_port()}", **overrides)
        started.append(gateway)
        return gateway

    yield run
    for gateway in started:
        await stop_robustly(gateway.stop)


@pytest.fixture
async def offline(start_offline):
    return await start_offline()


@pytest.fixture
async def gateway(make_settings, start_gateway, core, case_service):
    gateway = await start(make_settings, start_gateway, core, case_service_token=TOKEN,
                          case_service_url=case_service.url)
    yield gateway
    await stop_robustly(gateway.stop)


async def session(http: aiohttp.ClientSession, gateway) -> Browser:
    browser = await connect(http, gateway)
    await browser.hello()
    await browser.next("ready")
    return browser


async def upload(http: aiohttp.ClientSession, gateway, data: bytes, token: str | None,
                 cmid: str | None = None, origin: str | None = ORIGIN,
                 content_type: str = "image/jpeg", **headers: str) -> tuple[int, dict[str, Any], Any]:
    sent = {"Content-Type": content_type, **headers}
    if origin is not None:
        sent["Origin"] = origin
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    sent["X-Webchat-Cmid"] = cmid or uuid.uuid4().hex
    async with http.post(f"{gateway.url}/webchat/upload", data=data, headers=sent) as reply:
        return reply.status, json.loads(await reply.read()), reply.headers


async def nothing_queued(rdb, prefix: str) -> bool:
    return all([await entries_added(rdb, f"{prefix}:in:{p}") == 0 for p in range(4)])


# --- types by their bytes ------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "expected"), [
    (jpeg(), "image/jpeg"), (png(), "image/png"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "image/webp"),
    (b"GIF89a" + b"\x00" * 20, None), (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", None), (b"\xff\xd8", None), (b"", None),
])
def test_the_type_is_judged_by_the_magic_bytes(data: bytes, expected: str | None) -> None:
    assert sniff_image(data) == expected


# --- refusals, before anything is stored ---------------------------------------------------------


async def test_origin_session_and_cmid_are_checked_first(offline, http, rdb, prefix) -> None:
    browser = await session(http, offline)
    for origin in ("https://evil.example", None):
        status, body, headers = await upload(http, offline, png(), browser.token, origin=origin)
        assert (status, body) == (403, {"error": "origin not allowed"})
        assert "Access-Control-Allow-Origin" not in headers
    for token in (None, "v1.forged.1.x", browser.token[:-2] + "xx"):
        status, body, headers = await upload(http, offline, png(), token)
        assert (status, body) == (401, {"error": "missing or invalid session token"})
        assert headers["Access-Control-Allow-Origin"] == ORIGIN  # the widget may read the status
    status, body, _ = await upload(http, offline, png(), browser.token, cmid="no spaces!")
    assert status == 400 and "cmid" in body["error"]
    assert await nothing_queued(rdb, prefix)


async def test_too_large_is_413_by_header_and_while_streaming(offline, http, rdb, prefix) -> None:
    browser = await session(http, offline)
    status, body, _ = await upload(http, offline, jpeg(MAX_BYTES + 1), browser.token)
    assert (status, body) == (413, {"error": f"photo larger than {MAX_BYTES} bytes"})

    async def chunks():  # no Content-Length: the limit must hold while reading
        yield jpeg(1024)
        for _ in range(MAX_BYTES // 8192 + 1):
            yield b"\x00" * 8192

    async with http.post(f"{offline.url}/webchat/upload", data=chunks(), headers={
            "Origin": ORIGIN, "Authorization": f"Bearer {browser.token}",
            "X-Webchat-Cmid": uuid.uuid4().hex}) as reply:
        assert reply.status == 413
    assert await nothing_queued(rdb, prefix)


async def test_a_file_that_is_not_a_photo_is_415_whatever_it_claims(offline, http, rdb, prefix) -> None:
    browser = await session(http, offline)
    for data in (b"<script>alert(1)</script>", b"GIF89a" + b"\x00" * 100, b"%PDF-1.7\n"):
        status, body, _ = await upload(http, offline, data, browser.token, content_type="image/jpeg")
        assert (status, body) == (415, {"error": "only JPEG, PNG or WebP photos"})
    status, body, _ = await upload(http, offline, b"", browser.token)
    assert status == 400
    assert await nothing_queued(rdb, prefix)


async def test_case_service_unreachable_is_503_and_nothing_is_queued(offline, http, rdb, prefix) -> None:
    browser = await session(http, offline)
    status, body, headers = await upload(http, offline, png(), browser.token)
    assert (status, body) == (503, {"error": "photo storage is unavailable, please retry later"})
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert await nothing_queued(rdb, prefix)
    assert not [key async for key in rdb.scan_iter(f"{prefix}:wc:hist:*")]  # not in the history either


async def test_uploads_per_session_and_hour_are_limited(start_offline, http) -> None:
    offline = await start_offline(webchat_uploads_per_hour=3)
    browser, other = await session(http, offline), await session(http, offline)
    statuses = [(await upload(http, offline, png(), browser.token))[0] for _ in range(3)]
    assert statuses == [503, 503, 503]  # counted before storing (the case service is down here)
    status, body, headers = await upload(http, offline, png(), browser.token)
    assert status == 429 and body == {"error": "too many photos in this conversation, please wait"}
    assert 0 < int(headers["Retry-After"]) <= 3600
    assert (await upload(http, offline, png(), other.token))[0] == 503  # another session is not held up


async def test_cors_preflight_only_for_allowed_origins(offline, http) -> None:
    async def preflight(origin: str) -> aiohttp.ClientResponse:
        async with http.options(f"{offline.url}/webchat/upload", headers={
                "Origin": origin, "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type,x-webchat-cmid"}) as reply:
            return reply

    allowed = await preflight(ORIGIN)
    assert allowed.status == 204 and allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "X-Webchat-Cmid" in allowed.headers["Access-Control-Allow-Headers"]
    assert (await preflight("https://evil.example")).status == 403


async def test_without_a_case_service_token_uploads_are_off(make_settings, start_gateway, core, http) -> None:
    gateway = await start(make_settings, start_gateway, core)
    try:
        browser = await connect(http, gateway)
        assert (await browser.hello())["upload"] is None  # the widget offers no photo button
        status, body, _ = await upload(http, gateway, png(), browser.token)
        assert (status, body) == (503, {"error": "photo uploads are not configured"})
        await browser.ws.close()
    finally:
        await stop_robustly(gateway.stop)


# --- locations over the socket -------------------------------------------------------------------


async def test_a_location_frame_reaches_the_core_as_standort_with_coordinates(offline, http, core) -> None:
    browser = await session(http, offline)
    cmid = await browser.say(type="location", lat=51.21943217, lon=7.63941)
    frames = await browser.frames_until(lambda fs: len(bot_messages(fs)) == 1)
    mine = next(f for f in frames if f["type"] == "message" and f["from"] == "user")
    assert mine["cmid"] == cmid and mine["body"] == {"kind": "location", "lat": 51.219432, "lon": 7.63941}
    [request] = core.requests
    assert request.body["text"] == "[Standort]"
    assert request.body["metadata"]["location"] == {"lat": 51.219432, "lon": 7.63941}


@pytest.mark.parametrize("fields", [
    {"lat": 91, "lon": 7}, {"lat": 51, "lon": -181}, {"lat": "51", "lon": 7}, {"lat": True, "lon": 7},
    {"lat": 51}, {"lat": None, "lon": None},
])
async def test_a_bad_location_frame_is_refused(offline, http, core, fields: dict[str, Any]) -> None:
    browser = await session(http, offline)
    cmid = await browser.say(type="location", **fields)
    error = await browser.next("error")
    assert error == {"type": "error", "code": "bad_request", "cmid": cmid}
    assert core.requests == []


# --- photos, stored by the real case service --------------------------------------------------------


async def test_a_photo_is_stored_and_reaches_the_core_as_anhang(gateway, http, core, rdb, prefix) -> None:
    browser = await session(http, gateway)
    assert browser.session["upload"] == {"max_bytes": MAX_BYTES}
    cmid = uuid.uuid4().hex
    status, body, headers = await upload(http, gateway, png(), browser.token, cmid=cmid,
                                         content_type="application/octet-stream")  # the bytes decide
    assert (status, body) == (202, {"cmid": cmid, "duplicate": False})
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    frames = await browser.frames_until(lambda fs: len(bot_messages(fs)) == 1)
    mine = next(f for f in frames if f["type"] == "message" and f["from"] == "user")
    assert mine["cmid"] == cmid and mine["body"]["kind"] == "photo"
    assert mine["body"]["content_type"] == "image/png" and mine["body"]["media"].startswith("att_")
    assert any(f["type"] == "typing" for f in frames)
    [request] = core.requests
    assert request.body["text"] == "[Anhang]"
    assert request.body["metadata"]["media"] == [{"url": mine["body"]["media"], "content_type": "image/png"}]
    assert bot_messages(frames)[0]["body"]["text"] == "Danke: [Anhang]"

    # Sent again after a lost answer: the same entry, not stored again, no second turn.
    assert (await upload(http, gateway, png(), browser.token, cmid=cmid))[:2] == (
        202, {"cmid": cmid, "duplicate": True})
    other = uuid.uuid4().hex
    assert (await upload(http, gateway, jpeg(300 * 1024), browser.token, cmid=other))[0] == 202
    await browser.frames_until(lambda fs: len(bot_messages(fs)) == 1)
    assert [r.body["text"] for r in core.requests] == ["[Anhang]", "[Anhang]"]
    first, second = (r.body["metadata"]["media"][0] for r in core.requests)
    assert second["content_type"] == "image/jpeg" and second["url"] != first["url"]
    history = await rdb.zrange(f"{prefix}:wc:hist:{request.body['sender']}", 0, -1)
    assert sum('"kind":"photo"' in entry for entry in history) == 2


async def test_a_cmid_of_a_typed_message_cannot_be_reused_for_a_photo(gateway, http, core) -> None:
    browser = await session(http, gateway)
    cmid = await browser.say("Schlagloch in der Hauptstraße")
    await browser.next("ack")
    status, body, _ = await upload(http, gateway, png(), browser.token, cmid=cmid)
    assert (status, body) == (400, {"error": "cmid already used for another message"})


async def test_photos_are_limited_per_address_across_sessions(make_settings, start_gateway, core,
                                                              case_service, http, rdb, prefix) -> None:
    """A script starting session after session still meets WEBCHAT_UPLOADS_PER_IP_PER_HOUR."""
    gateway = await start(make_settings, start_gateway, core, case_service_token=TOKEN,
                          case_service_url=case_service.url, webchat_uploads_per_ip_per_hour=2)
    try:
        replies = []
        for _ in range(3):
            browser = await session(http, gateway)  # a new session each time: far below its own limit
            status, _, headers = await upload(http, gateway, jpeg(), browser.token)
            replies.append((status, "Retry-After" in headers))
            await browser.ws.close()
        assert replies == [(202, False), (202, False), (429, True)]
        assert sum([await entries_added(rdb, f"{prefix}:in:{p}") for p in range(4)]) == 2
    finally:
        await stop_robustly(gateway.stop)
