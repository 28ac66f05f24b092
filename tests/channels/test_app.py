"""Public routes refuse bad input without storing anything; internal routes report health."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from channels.adapter import WebhookRequest
from channels.adapters.testchannel import TestChannel
from channels.app import DEPS, METRICS
from channels.errors import BadRequest
from tests.channels.conftest import CHANNEL_TOKEN, entries_added, free_port

AUTH = {"Authorization": f"Bearer {CHANNEL_TOKEN}"}
GOOD = {"user": "u1", "id": "m1", "text": "Hallo"}


@pytest.fixture
async def gateway(make_settings, start_gateway):
    return await start_gateway(make_settings(gateway_run_workers=False, gateway_max_body_bytes=2048))


async def _nothing_stored(rdb, prefix: str) -> None:
    for partition in range(4):
        assert await entries_added(rdb, f"{prefix}:in:{partition}") == 0
    assert await entries_added(rdb, f"{prefix}:out:test") == 0
    assert [key async for key in rdb.scan_iter(match=f"{prefix}:seen:*")] == []


def _one_line_json_error(raw: bytes) -> str:
    assert b"Traceback" not in raw and raw.count(b"\n") <= 1
    return json.loads(raw)["error"]


@pytest.mark.parametrize(
    ("method", "headers", "body", "status"),
    [
        ("GET", AUTH, None, 405),
        ("PUT", AUTH, json.dumps(GOOD).encode(), 405),
        ("POST", {}, json.dumps(GOOD).encode(), 403),
        ("POST", {"Authorization": "Bearer wrong"}, json.dumps(GOOD).encode(), 403),
        ("POST", {"Authorization": CHANNEL_TOKEN}, json.dumps(GOOD).encode(), 403),
        ("POST", {}, b"{not json", 403),  # authenticated before parsed
        ("POST", AUTH, b"{not json", 400),
        ("POST", AUTH, b"\xff\xfe", 400),
        ("POST", AUTH, b"[1, 2]", 400),
        ("POST", AUTH, json.dumps({"user": "u1", "id": "m1"}).encode(), 400),
        ("POST", AUTH, json.dumps({"id": "m1", "text": "x"}).encode(), 400),
        ("POST", AUTH, json.dumps({**GOOD, "user": 42}).encode(), 400),
        ("POST", AUTH, json.dumps({**GOOD, "text": "   "}).encode(), 400),
        ("POST", AUTH, json.dumps({**GOOD, "payload": ""}).encode(), 400),
        ("POST", AUTH, json.dumps({**GOOD, "location": {"lat": "north"}}).encode(), 400),
        ("POST", AUTH, json.dumps({**GOOD, "text": "x" * 3000}).encode(), 413),
        ("POST", {}, b"x" * 5000, 413),
    ],
)
async def test_bad_input_gets_its_status_and_stores_nothing(
        gateway, http, rdb, prefix, method, headers, body, status) -> None:
    content = {"Content-Type": "application/json"}
    async with http.request(method, f"{gateway.url}/webhooks/test", data=body,
                            headers={**content, **headers}) as reply:
        assert reply.status == status
        assert reply.content_type == "application/json"
        assert _one_line_json_error(await reply.read())
        if status == 405:
            assert "POST" in reply.headers["Allow"]
    await _nothing_stored(rdb, prefix)


def test_test_channel_text_limit() -> None:
    request = WebhookRequest("POST", "/webhooks/test", "http://x/webhooks/test", {},
                             json.dumps({**GOOD, "text": "x" * 4097}).encode(), "application/json")
    with pytest.raises(BadRequest, match="at most 4096"):
        TestChannel("token", None, None).parse(request)  # type: ignore[arg-type]


async def test_wrong_content_type_is_400(gateway, http, rdb, prefix) -> None:
    async with http.post(f"{gateway.url}/webhooks/test", data="user=u1", headers={
            **AUTH, "Content-Type": "application/x-www-form-urlencoded"}) as reply:
        assert reply.status == 400
    await _nothing_stored(rdb, prefix)


async def test_chunked_body_over_the_limit_is_413(gateway, http, rdb, prefix) -> None:
    async def chunks():
        for _ in range(10):
            yield b"x" * 1000

    async with http.post(f"{gateway.url}/webhooks/test", data=chunks(),
                         headers={**AUTH, "Content-Type": "application/json"}) as reply:
        assert reply.status == 413
        assert _one_line_json_error(await reply.read())
    await _nothing_stored(rdb, prefix)


async def test_unknown_route_is_a_json_404(gateway, http) -> None:
    async with http.get(f"{gateway.url}/webhooks/fax") as reply:
        assert reply.status == 404
        assert _one_line_json_error(await reply.read())


async def test_good_message_is_acknowledged(gateway, http, rdb, prefix) -> None:
    status, body = await gateway.send(http, **GOOD)
    assert (status, body) == (200, {"ok": True})
    assert sum([await entries_added(rdb, f"{prefix}:in:{p}") for p in range(4)]) == 1


async def test_redis_down_is_503_without_traceback(make_settings, start_gateway, http) -> None:
    settings = make_settings(gateway_run_workers=False, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    gateway = await start_gateway(settings)
    async with http.post(f"{gateway.url}/webhooks/test", json=GOOD, headers=AUTH) as reply:
        assert reply.status == 503
        assert "retry" in _one_line_json_error(await reply.read())


async def test_healthz_readyz_and_metrics(make_settings, start_gateway, http, core, sink) -> None:
    gateway = await start_gateway(make_settings())
    async with http.get(f"{gateway.internal_url}/healthz") as reply:
        assert reply.status == 200
    async with http.get(f"{gateway.internal_url}/readyz") as reply:
        assert reply.status == 200
        assert await reply.json() == {"redis": "ok", "rasa": "ok", "action_server": "ok"}
    await gateway.send(http, **GOOD)
    await sink.wait_for(lambda: len(sink.deliveries) == 2)
    async with http.get(f"{gateway.internal_url}/metrics") as reply:
        text = await reply.text()
    assert 'gateway_messages_in_total{channel="test"} 1.0' in text
    assert 'gateway_messages_out_total{channel="test"} 2.0' in text
    assert "gateway_turn_seconds_count 1.0" in text
    assert 'gateway_inbound_queue_depth{partition="0"} 0.0' in text
    assert "gateway_dead_letter_stream_length 0.0" in text
    assert gateway.public[METRICS].partitions_held._value.get() == 4
    await core.stop()
    async with http.get(f"{gateway.internal_url}/readyz") as reply:
        assert reply.status == 503
        assert (await reply.json())["rasa"] == "unavailable"


async def test_readyz_names_an_unreachable_action_server(make_settings, start_gateway, http) -> None:
    gateway = await start_gateway(make_settings(gateway_run_workers=False,
                                                action_server_url=f"http://127.0.0.1:{free_port()}"))
    async with http.get(f"{gateway.internal_url}/readyz") as reply:
        assert reply.status == 503
        assert await reply.json() == {"redis": "ok", "rasa": "ok", "action_server": "unavailable"}


def _metric(text: str, sample: str) -> float:
    """The value of one sample line (name with labels) of the Prometheus text format."""
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    assert match, f"{sample} not in /metrics"
    return float(match.group(1))


async def test_metrics_count_a_forced_dead_letter(make_settings, start_gateway, http, core, sink, rdb,
                                                  prefix) -> None:
    gateway = await start_gateway(make_settings(gateway_partitions=1))
    async with http.get(f"{gateway.internal_url}/metrics") as reply:
        before = await reply.text()
    assert _metric(before, "gateway_dead_letter_stream_length") == 0
    core.status = 400  # Rasa refuses the message: not retried, dead-lettered at once
    await gateway.send(http, **GOOD)
    await sink.wait_for(lambda: len(sink.deliveries) == 1)  # the "not processed" notice
    assert await rdb.xlen(f"{prefix}:dead") == 1
    # the counter goes up just after the commit that also queued the notice: allow it a moment
    counted = 0.0
    for _ in range(50):
        async with http.get(f"{gateway.internal_url}/metrics") as reply:
            assert reply.status == 200
            text = await reply.text()
        counted = _metric(text, 'gateway_dead_letters_total{kind="inbound"}')
        if counted >= 1:
            break
        await asyncio.sleep(0.05)
    assert counted >= 1
    assert _metric(text, "gateway_dead_letter_stream_length") >= 1


async def test_public_port_does_not_serve_internal_routes(gateway, http) -> None:
    for path in ("/metrics", "/readyz"):
        async with http.get(f"{gateway.url}{path}") as reply:
            assert reply.status == 404


async def test_client_session_is_closed_after_stop(make_settings, start_gateway) -> None:
    gateway = await start_gateway(make_settings(gateway_run_workers=False))
    session = gateway.public[DEPS].http
    await gateway.stop()
    assert session.closed
    with pytest.raises(RuntimeError, match="only while the app runs"):
        _ = gateway.public[DEPS].http
