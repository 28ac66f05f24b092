"""Live handoff end to end: the handoff API (office hours on a fixed clock), taking a conversation
(exactly one of two staff members wins), transcript, staff replies on the citizen's channel (test channel
and Telegram), emergencies while held, and handing back to the bot. Real gateway, Redis, SQLite, HTTP."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from backoffice import db
from backoffice.console.citizen_texts import ENDED_BY_STAFF, TAKEN
from backoffice.models import AuditEntry
from channels import handoff_texts
from channels.messages import Channel
from channels.pseudonym import conversation_id
from tests.backoffice.console_support import TOKEN, add_user
from tests.channels.conftest import PSEUDONYM_KEY
from tests.channels.fake_telegram import SECRET, Citizen, FakeBotApi, post_update
from tests.channels.fake_telegram import TOKEN as BOT_TOKEN

RECEIVED = handoff_texts.RECEIVED["de"]
pytestmark = pytest.mark.usefixtures("staff_side_database")


def _conv(user: str) -> str:
    return conversation_id(PSEUDONYM_KEY.encode(), Channel.TEST, user)


async def _ask_for_staff(http, url: str, conversation: str, token: str = TOKEN, **extra) -> tuple[int, dict]:
    body = {"conversation_id": conversation, "channel": "test", "language": "de", "topic": "wohngeld",
            "reason": "asked", **extra}
    async with http.post(f"{url}/api/v1/handoff", json=body,
                         headers={"Authorization": f"Bearer {token}"}) as reply:
        return reply.status, await reply.json()


async def test_each_office_has_its_own_handoff_hours(start_console, http, clock, rdb, prefix) -> None:
    """Two desks (handoff_hours.yml): the Bürgerservice until 16:00, the Straßenverkehrsamt until 12:30
    and on Thursday afternoons; an appointment office goes to the desk that serves it."""
    server = await start_console()
    clock.now = datetime(2026, 12, 7, 12, 30, tzinfo=UTC)  # Monday 13:30 in Berlin
    assert await _ask_for_staff(http, server.url, "d1") == (
        200, {"status": "queued", "office": "buergerservice", "position": 1})
    for office in ("strassenverkehrsamt", "zulassung_iserlohn"):
        assert await _ask_for_staff(http, server.url, "d2", office=office) == (200, {
            "status": "closed", "office": "strassenverkehrsamt", "next_open": "2026-12-08T07:30:00+01:00"})
    assert not await rdb.exists(f"{prefix}:handoff:d2")
    assert (await _ask_for_staff(http, server.url, "d3", office="buergerbuero_kreishaus"))[1]["office"] \
        == "buergerservice"  # an office without a desk of its own: the default desk

    clock.now = datetime(2026, 12, 10, 15, 30, tzinfo=UTC)  # Thursday 16:30: only the afternoon desk
    assert await _ask_for_staff(http, server.url, "d4") == (
        200, {"status": "closed", "office": "buergerservice", "next_open": "2026-12-11T08:00:00+01:00"})
    assert await _ask_for_staff(http, server.url, "d4", office="zulassung_luedenscheid") == (
        200, {"status": "queued", "office": "strassenverkehrsamt", "position": 3})


async def test_the_topic_picks_the_desk_and_staff_see_title_and_desk(
        start_console, browsers, engine, http, clock, rdb, prefix) -> None:
    """Without an appointment office the topic decides: a driving licence question goes to the
    Straßenverkehrsamt (handoff_hours.yml ``topics``); the console names topic and desk in German."""
    add_user(engine, "anna", name="Anna Schmidt")
    server = await start_console()  # Monday 10:30 in Berlin: both desks open
    assert await _ask_for_staff(http, server.url, "t1", topic="fuehrerschein_verlust") == (
        200, {"status": "queued", "office": "strassenverkehrsamt", "position": 1})
    assert await _ask_for_staff(http, server.url, "t2", topic="kfz_zulassung", office="buergerservice") == (
        200, {"status": "queued", "office": "buergerservice", "position": 2})  # the office comes first
    assert await rdb.hmget(f"{prefix}:handoff:t1", ["topic", "desk"]) == [
        "fuehrerschein_verlust", "strassenverkehrsamt"]
    anna = browsers(server.url)
    await anna.login("anna")
    _, overview = await anna.get("/console/")
    row = re.search(r'<tr><td><a href="/console/conversations/t1">.*?</tr>', overview)
    assert row and "Führerschein verloren oder gestohlen (Ersatzführerschein)" in row[0]
    assert "Straßenverkehrsamt (Zulassung und Führerscheine)" in row[0] and ">Schalter<" in overview
    _, page = await anna.get("/console/conversations/t2")
    assert "Thema: Fahrzeug zulassen · Schalter: Bürgerservice des Märkischen Kreises" in page

    clock.now = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Monday 15:00: only the Bürgerservice is open
    assert await _ask_for_staff(http, server.url, "t3", topic="wunschkennzeichen") == (
        200, {"status": "closed", "office": "strassenverkehrsamt", "next_open": "2026-12-08T07:30:00+01:00"})
    assert (await _ask_for_staff(http, server.url, "t4"))[1]["office"] == "buergerservice"  # wohngeld


async def test_handoff_api_in_and_outside_office_hours(start_console, http, clock, rdb, prefix) -> None:
    server = await start_console()
    queued = {"status": "queued", "office": "buergerservice"}
    assert await _ask_for_staff(http, server.url, "c1") == (200, {**queued, "position": 1})
    assert await _ask_for_staff(http, server.url, "c2") == (200, {**queued, "position": 2})
    assert await _ask_for_staff(http, server.url, "c1") == (200, {**queued, "position": 1})
    assert await rdb.hget(f"{prefix}:handoff:c1", "topic") == "wohngeld"

    clock.now = datetime(2026, 12, 4, 11, 30, tzinfo=UTC)  # Friday 12:30 in Berlin: the desk closed at 12
    assert await _ask_for_staff(http, server.url, "c3") == (
        200, {"status": "closed", "office": "buergerservice", "next_open": "2026-12-07T08:00:00+01:00"})
    clock.now = datetime(2026, 12, 25, 9, 0, tzinfo=UTC)  # Christmas Day
    assert (await _ask_for_staff(http, server.url, "c3"))[1]["next_open"] == "2026-12-28T08:00:00+01:00"
    assert not await rdb.exists(f"{prefix}:handoff:c3")

    assert (await _ask_for_staff(http, server.url, "c4", token="wrong"))[0] == 401
    for bad in ({"reason": "weil"}, {"channel": "fax"}, {"language": "fr"}, {"topic": "Wohn geld!"},
                {"conversation_id": "a b"}, {"office": "Amt 1"}, {"office": 7}):
        status, body = await _ask_for_staff(http, server.url, "c5", **bad)
        assert status == 400 and list(body) == ["error"], bad


async def test_two_staff_members_take_the_same_conversation_exactly_one_wins(
        start_console, browsers, engine, http) -> None:
    add_user(engine, "anna", name="Anna Schmidt")
    add_user(engine, "ben", name="Ben Yilmaz")
    server = await start_console()
    await _ask_for_staff(http, server.url, "c1")
    anna, ben = browsers(server.url), browsers(server.url)
    await anna.login("anna")
    await ben.login("ben")
    for browser in (anna, ben):
        _, page = await browser.get("/console/conversations/c1")
        assert "Gespräch übernehmen" in page
    results = await asyncio.gather(anna.post("/console/conversations/c1/take"),
                                   ben.post("/console/conversations/c1/take"))
    statuses = sorted(status for status, _, _ in results)
    assert statuses == [303, 409]
    winner = "Anna Schmidt" if results[0][0] == 303 else "Ben Yilmaz"
    loser_page = next(page for status, page, _ in results if status == 409)
    assert f"bereits übernommen von {winner}" in loser_page
    # the loser can neither reply nor hand back
    loser = ben if winner == "Anna Schmidt" else anna
    await loser.get("/console/conversations/c1")
    assert (await loser.post("/console/conversations/c1/reply", text="Hallo", key="k" * 16))[0] == 409
    assert (await loser.post("/console/conversations/c1/release"))[0] == 409
    database = db.Database(engine)
    takes = database.call(lambda s: s.scalars(select(AuditEntry.username).where(
        AuditEntry.action == "handoff_take")).all())
    assert takes == [winner.split()[0].lower()]


async def test_a_live_conversation_from_waiting_to_back_at_the_bot(
        make_settings, start_gateway, start_console, browsers, http, sink, core, engine) -> None:
    gateway = await start_gateway(make_settings(case_service_token=TOKEN))
    add_user(engine, "anna", name="Anna Schmidt")
    server = await start_console(notify_url=gateway.internal_url)
    await gateway.send(http, user="u1", id="m0", text="Ich möchte mit einem Menschen sprechen")
    await sink.wait_for(lambda: len(sink.texts("u1")) == 2)
    assert await _ask_for_staff(http, server.url, _conv("u1")) == (
        200, {"status": "queued", "office": "buergerservice", "position": 1})
    core.requests.clear()

    # while waiting: the transcript, one acknowledgement, nothing to the dialogue core
    await gateway.send(http, user="u1", id="m1", text="Es geht um meinen Wohngeldantrag")
    await sink.wait_for(lambda: sink.texts("u1")[2:] == [RECEIVED])
    anna = browsers(server.url)
    await anna.login("anna")
    _, overview = await anna.get("/console/")
    assert f"/console/conversations/{_conv('u1')}" in overview and "1 wartend" in overview
    assert (await anna.post(f"/console/conversations/{_conv('u1')}/take"))[0] == 303
    await sink.wait_for(lambda: sink.texts("u1")[-1] == TAKEN["de"])

    # while held: the citizen's messages appear in the console; the staff reply reaches the citizen once
    await gateway.send(http, user="u1", id="m2", text="Die Nummer ist 4711")
    page = ""
    for _ in range(50):
        _, page = await anna.get(f"/console/conversations/{_conv('u1')}")
        if "Die Nummer ist 4711" in page:
            break
        await asyncio.sleep(0.1)
    assert "Es geht um meinen Wohngeldantrag" in page and "Die Nummer ist 4711" in page
    key = re.search(r'name="key" value="([^"]+)"', page)[1]
    reply = "Guten Tag, ich sehe mir Ihren Antrag an."
    for _ in range(2):  # a double submit of the same form
        status, _, _ = await anna.post(f"/console/conversations/{_conv('u1')}/reply", text=reply, key=key)
        assert status == 303
    await sink.wait_for(lambda: sink.texts("u1")[-1] == reply)

    # the emergency fast path still answers
    await gateway.send(http, user="u1", id="m3", text="Hilfe, mein Vater ist bewusstlos!")
    await sink.wait_for(lambda: "112" in sink.texts("u1")[-1])
    await asyncio.sleep(0.3)
    assert sink.texts("u1").count(reply) == 1
    assert core.requests == []

    # handing back: the citizen is told, and the next message goes to the bot again
    _, page = await anna.get(f"/console/conversations/{_conv('u1')}")
    assert "Die Nummer ist 4711" in page and "Anna Schmidt" in page
    status, _, where = await anna.post(f"/console/conversations/{_conv('u1')}/release")
    assert status == 303 and where == "/console/?msg=released"
    await sink.wait_for(lambda: sink.texts("u1")[-1] == ENDED_BY_STAFF["de"])
    await gateway.send(http, user="u1", id="m4", text="Danke!")
    await sink.wait_for(lambda: sink.texts("u1")[-1] == "done: Danke!")
    assert core.texts_of(_conv("u1")) == ["Danke!"]
    database = db.Database(engine)
    audit = database.call(lambda s: [(a.action, a.detail) for a in s.scalars(
        select(AuditEntry).where(AuditEntry.action.like("handoff_%")).order_by(AuditEntry.id))])
    assert audit == [("handoff_take", _conv("u1")), ("handoff_reply", _conv("u1")),
                     ("handoff_release", _conv("u1"))]
    assert not any("4711" in (detail or "") or reply in (detail or "") for _, detail in audit)


@pytest.fixture
async def telegram_api() -> AsyncIterator[FakeBotApi]:
    fake = FakeBotApi(BOT_TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


async def test_a_staff_reply_is_delivered_on_telegram(make_settings, start_gateway, start_console, browsers,
                                                      http, core, engine, telegram_api, rdb, prefix) -> None:
    gateway = await start_gateway(make_settings(
        case_service_token=TOKEN, telegram_bot_token=BOT_TOKEN, telegram_webhook_secret=SECRET,
        telegram_api_base=telegram_api.base))
    add_user(engine, "anna")
    server = await start_console(notify_url=gateway.internal_url)
    erika = Citizen(telegram_api, 4711)
    assert await post_update(http, f"{gateway.url}/webhooks/telegram", erika.text("Hallo")) == 200
    await telegram_api.wait_for(lambda: len(telegram_api.messages_to(erika.id)) == 2)
    conversation = conversation_id(PSEUDONYM_KEY.encode(), Channel.TELEGRAM, str(erika.id))
    assert await rdb.hgetall(f"{prefix}:addr:{conversation}") == {"channel": "telegram", "user": "4711"}
    await _ask_for_staff(http, server.url, conversation, channel="telegram")
    anna = browsers(server.url)
    await anna.login("anna")
    await anna.get(f"/console/conversations/{conversation}")
    await anna.post(f"/console/conversations/{conversation}/take")
    _, page = await anna.get(f"/console/conversations/{conversation}")
    key = re.search(r'name="key" value="([^"]+)"', page)[1]
    reply = "Guten Tag! Für den Antrag brauchen wir <Ihre> Steuer-ID & Ihren Ausweis."
    assert (await anna.post(f"/console/conversations/{conversation}/reply", text=reply, key=key))[0] == 303
    await telegram_api.wait_for(lambda: telegram_api.messages_to(erika.id)[-1].text == reply)
    assert [m.text for m in telegram_api.messages_to(erika.id)][2:] == [TAKEN["de"], reply]
