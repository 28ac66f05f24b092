"""The gateway during a live handoff: transcript instead of Rasa, release, emergencies, notify, call-backs.

Real gateway app and Redis; the fake dialogue core and the test channel's fake device from ``fakes.py``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from channels import emergency, handoff_texts
from channels.handoff import Handoffs
from channels.handoff_watch import CallbackOffers
from channels.keys import Keys
from channels.messages import Channel
from channels.notify import Notifier
from channels.pseudonym import conversation_id
from tests.channels.conftest import PSEUDONYM_KEY

TOKEN = "case-service-token-for-tests"
RECEIVED = handoff_texts.RECEIVED["de"]
RELEASED = handoff_texts.RELEASED["de"]



@pytest.fixture(autouse=True)
def staff_side_database(tmp_path, monkeypatch) -> None:
    """With CASE_SERVICE_TOKEN the gateway mounts the staff side; its database is the test's own."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cases.db")


def _conv(user: str) -> str:
    return conversation_id(PSEUDONYM_KEY.encode(), Channel.TEST, user)


async def _start(make_settings, start_gateway, **overrides):
    return await start_gateway(make_settings(case_service_token=TOKEN, **overrides))


async def _notify(http, gateway, conversation: str, body: object, token: str = TOKEN) -> tuple[int, dict]:
    async with http.post(f"{gateway.internal_url}/internal/v1/conversations/{conversation}/messages",
                         json=body, headers={"Authorization": f"Bearer {token}"}) as reply:
        return reply.status, await reply.json()


async def test_messages_while_waiting_go_to_the_transcript_not_to_the_core(
        make_settings, start_gateway, http, sink, core, rdb, prefix) -> None:
    gateway = await _start(make_settings, start_gateway)
    await gateway.send(http, user="u1", id="m0", text="Hallo", language="de")
    await sink.wait_for(lambda: len(sink.texts("u1")) == 2)
    handoffs = Handoffs(rdb, Keys(prefix), 3600)
    await handoffs.request(_conv("u1"), "test", "de", None, "asked")
    core.requests.clear()

    for n, text in enumerate(["Ich brauche Hilfe beim Antrag", "Sind Sie noch da?", "Hallo??"]):
        await gateway.send(http, user="u1", id=f"m{n + 1}", text=text)
    await sink.wait_for(lambda: len(sink.texts("u1")) == 3)
    await asyncio.sleep(0.5)  # time for anything that should not come
    assert sink.texts("u1")[2:] == [RECEIVED]  # one acknowledgement, the first time only
    lines = await handoffs.transcript(_conv("u1"))
    assert [line.text for line in lines] == ["Ich brauche Hilfe beim Antrag", "Sind Sie noch da?", "Hallo??"]
    assert core.requests == []


async def test_held_messages_are_not_sent_to_the_core_and_release_returns_to_it(
        make_settings, start_gateway, http, sink, core, rdb, prefix) -> None:
    gateway = await _start(make_settings, start_gateway)
    handoffs = Handoffs(rdb, Keys(prefix), 3600)
    await handoffs.request(_conv("u1"), "test", "de", None, "asked")
    assert (await handoffs.take(_conv("u1"), "anna")).ok
    await gateway.send(http, user="u1", id="m1", text="Meine Frage ist ...")
    await gateway.send(http, user="u1", id="m2", text="Zurück zum Bot!")
    await sink.wait_for(lambda: sink.texts("u1") == [RELEASED])
    assert core.requests == []
    assert [line.text for line in await handoffs.transcript(_conv("u1"))] == ["Meine Frage ist ..."]
    assert await handoffs.get(_conv("u1")) is None

    await gateway.send(http, user="u1", id="m3", text="Wie beantrage ich Wohngeld?")
    await sink.wait_for(lambda: len(sink.texts("u1")) == 3)
    assert core.texts_of(_conv("u1")) == ["Wie beantrage ich Wohngeld?"]


async def test_release_button_ends_a_wait(make_settings, start_gateway, http, sink, core, rdb,
                                          prefix) -> None:
    gateway = await _start(make_settings, start_gateway)
    handoffs = Handoffs(rdb, Keys(prefix), 3600)
    await handoffs.request(_conv("u1"), "test", "de", None, "asked")
    await gateway.send(http, user="u1", id="m1", payload="/handoff_release")
    await sink.wait_for(lambda: sink.texts("u1") == [RELEASED])
    assert await handoffs.waiting() == [] and core.requests == []


async def test_emergency_is_answered_while_staff_hold_the_conversation(
        make_settings, start_gateway, http, sink, core, rdb, prefix) -> None:
    gateway = await _start(make_settings, start_gateway)
    handoffs = Handoffs(rdb, Keys(prefix), 3600)
    await handoffs.request(_conv("u1"), "test", "de", None, "asked")
    await handoffs.take(_conv("u1"), "anna")
    status, _ = await gateway.send(http, user="u1", id="m1", text="Hilfe, mein Vater ist bewusstlos!")
    assert status == 200
    await sink.wait_for(lambda: len(sink.texts("u1")) >= 1)
    match = emergency.detect("Hilfe, mein Vater ist bewusstlos!", None)
    assert match is not None
    assert sink.texts("u1")[0] == emergency.answer(match).text
    assert "112" in sink.texts("u1")[0]
    assert core.requests == []
    assert (await handoffs.get(_conv("u1"))).staff == "anna"  # the handoff goes on


async def test_notify_route_delivers_on_the_citizens_channel(make_settings, start_gateway, http, sink,
                                                              rdb, prefix) -> None:
    gateway = await _start(make_settings, start_gateway)
    await gateway.send(http, user="u7", id="m1", text="Hallo")
    await sink.wait_for(lambda: len(sink.texts("u7")) == 2)
    address = await rdb.hgetall(f"{prefix}:addr:{_conv('u7')}")
    assert address == {"channel": "test", "user": "u7"}
    assert 0 < await rdb.ttl(f"{prefix}:addr:{_conv('u7')}") <= 30 * 24 * 3600

    body = {"key": "status:MK-2026-000001-3:1",
            "responses": [{"text": "Ihr Anliegen ist in Bearbeitung."},
                          {"text": "Noch Fragen?", "buttons": [{"title": "Ja", "payload": "/affirm"}]}]}
    assert await _notify(http, gateway, _conv("u7"), body) == (202, {"queued": 2})
    assert await _notify(http, gateway, _conv("u7"), body) == (202, {"queued": 0})  # same key: once
    await sink.wait_for(lambda: len(sink.texts("u7")) == 4)
    await asyncio.sleep(0.3)
    assert sink.texts("u7")[2:] == ["Ihr Anliegen ist in Bearbeitung.", "Noch Fragen?"]
    assert sink.deliveries[-1]["body"]["buttons"] == [{"title": "Ja", "payload": "/affirm"}]
    # the offered button is accepted as a payload by the next turn
    assert await rdb.sismember(f"{prefix}:offered:{_conv('u7')}", "/affirm")


async def test_notify_route_errors(make_settings, start_gateway, http) -> None:
    gateway = await _start(make_settings, start_gateway)
    ok = {"key": "k1", "responses": [{"text": "Hallo"}]}
    missing = {"error": "no address known for this conversation"}
    assert await _notify(http, gateway, "0" * 64, ok) == (404, missing)
    assert (await _notify(http, gateway, "0" * 64, ok, token="wrong"))[0] == 401
    async with http.post(f"{gateway.internal_url}/internal/v1/conversations/{'0' * 64}/messages",
                         json=ok) as reply:
        assert reply.status == 401
    for bad in ({"responses": [{"text": "x"}]}, {"key": "k", "responses": []},
                {"key": "k", "responses": [{"text": ""}]}, {"key": "k", "responses": [{"text": "x",
                                                                                      "buttons": [{}]}]},
                ["not", "an", "object"]):
        status, body = await _notify(http, gateway, "0" * 64, bad)
        assert status == 400 and list(body) == ["error"], bad


async def test_notify_route_is_off_without_token(make_settings, start_gateway, http) -> None:
    gateway = await start_gateway(make_settings())
    status, _ = await _notify(http, gateway, "0" * 64, {"key": "k", "responses": [{"text": "x"}]}, token="")
    assert status == 401


async def test_long_wait_gets_one_callback_offer(make_settings, start_gateway, http, sink, core, rdb,
                                                 prefix) -> None:
    settings = make_settings(case_service_token=TOKEN, handoff_max_wait_s=0.4)
    gateway = await start_gateway(settings)
    await gateway.send(http, user="u1", id="m0", text="Hallo")
    await sink.wait_for(lambda: len(sink.texts("u1")) == 2)
    handoffs = Handoffs(rdb, Keys(prefix), 3600)
    await handoffs.request(_conv("u1"), "test", "de", None, "asked")
    await sink.wait_for(lambda: len(sink.texts("u1")) == 3, timeout=10)
    await asyncio.sleep(1.0)  # several more checks: still one offer
    offer = sink.deliveries[-1]["body"]
    assert len(sink.texts("u1")) == 3
    assert offer["text"] == handoff_texts.CALLBACK_OFFER["de"]
    assert [b["payload"] for b in offer["buttons"]] == ["/rueckruf", "/handoff_release"]
    core.requests.clear()

    # pressing "Rückruf" ends the wait and lets the dialogue core run the call-back form
    await gateway.send(http, user="u1", id="m1", payload="/rueckruf")
    await sink.wait_for(lambda: len(sink.texts("u1")) == 5)
    assert core.texts_of(_conv("u1")) == ["/rueckruf"]
    assert await handoffs.get(_conv("u1")) is None


async def test_callback_check_with_a_fixed_clock(make_settings, start_gateway, rdb, prefix) -> None:
    gateway = await start_gateway(make_settings(gateway_run_workers=False))
    from channels.app import ADAPTERS, REDIS, SCRIPTS, SETTINGS

    public = gateway.public
    keys = Keys(prefix)
    notifier = Notifier(public[SETTINGS], public[REDIS], public[SCRIPTS], keys, public[ADAPTERS])
    handoffs = Handoffs(rdb, keys, 3600)
    checker = CallbackOffers(handoffs, notifier, max_wait_s=600)
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    await handoffs.request("c1", "test", "en", None, "asked", t0)
    await handoffs.request("c2", "test", "de", None, "asked", t0 + timedelta(minutes=5))
    assert await checker.check(t0 + timedelta(seconds=599)) == 0
    assert await checker.check(t0 + timedelta(seconds=600)) == 1
    assert await checker.check(t0 + timedelta(seconds=601)) == 0
    assert await checker.check(t0 + timedelta(minutes=15)) == 1
    assert (await handoffs.get("c1")).callback_offered
    lines = await handoffs.transcript("c1")
    assert [(line.who, line.text) for line in lines] == [("system", "Rückruf angeboten")]


def test_offer_texts_exist_in_every_language() -> None:
    from channels.handoff_watch import offer

    for language in ("de", "en", "ls"):
        made = offer(language)
        assert made.text and all(b.title for b in made.buttons)
    assert offer("tr").text == handoff_texts.CALLBACK_OFFER["de"]
