"""Turn processing in one gateway: exactly one answer, order per conversation, Rasa outages."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

from channels import texts
from channels.keys import GROUP
from channels.messages import Channel, InboundMessage, QueuedMessage
from channels.pseudonym import conversation_id, message_id, partition_of
from tests.channels.conftest import PSEUDONYM_KEY, entries_added


def _answers(*sent: str) -> list[str]:
    """What the fake core's echo responder answers to ``sent``, in order."""
    return [line for text in sent for line in (f"echo: {text}", f"done: {text}")]


async def test_message_is_answered(make_settings, start_gateway, http, sink, core, rdb, prefix) -> None:
    gateway = await start_gateway(make_settings())
    status, _ = await gateway.send(http, user="u1", id="m1", text="Wie melde ich mein Auto an?",
                                   language="de")
    assert status == 200
    await sink.wait_for(lambda: len(sink.deliveries) == 2)
    assert sink.texts("u1") == _answers("Wie melde ich mein Auto an?")
    [request] = core.requests
    assert request.body["metadata"] == {
        "language_hint": "de",
        "capabilities": {"buttons": True, "images": True, "links": True, "markup": None, "max_text": None}}
    assert request.body["sender"] == conversation_id(PSEUDONYM_KEY.encode(), Channel.TEST, "u1")
    assert "u1" not in request.body["message_id"]
    for partition in range(4):  # processed entries are deleted: no message text lingers in Redis
        assert await rdb.xlen(f"{prefix}:in:{partition}") == 0
    assert await rdb.xlen(f"{prefix}:out:test") == 0


async def test_duplicate_delivery_gives_one_answer(make_settings, start_gateway, http, sink, core) -> None:
    gateway = await start_gateway(make_settings())
    replies = await asyncio.gather(*(gateway.send(http, user="u1", id="m1", text="Hallo") for _ in range(5)))
    assert [status for status, _ in replies] == [200] * 5
    await sink.wait_for(lambda: len(sink.deliveries) == 2)
    status, _ = await gateway.send(http, user="u1", id="m1", text="Hallo")  # a late redelivery
    assert status == 200
    await asyncio.sleep(0.5)
    assert sink.texts("u1") == _answers("Hallo")
    assert len(core.requests) == 1


async def test_order_per_conversation_under_concurrency(make_settings, start_gateway, http, sink,
                                                        core) -> None:
    gateway = await start_gateway(make_settings())
    users, per_user = 12, 6
    rng = random.Random(7)
    for u in range(users):
        for n in range(per_user):
            core.delays[f"u{u} m{n}"] = rng.uniform(0, 0.04)

    async def citizen(u: int) -> None:
        for n in range(per_user):  # one after the other, as a person types
            status, _ = await gateway.send(http, user=f"u{u}", id=f"u{u}-{n}", text=f"u{u} m{n}")
            assert status == 200
            await asyncio.sleep(rng.uniform(0, 0.01))

    await asyncio.gather(*(citizen(u) for u in range(users)))
    await sink.wait_for(lambda: len(sink.deliveries) == users * per_user * 2, timeout=30)
    for u in range(users):
        sent = [f"u{u} m{n}" for n in range(per_user)]
        assert sink.texts(f"u{u}") == _answers(*sent)
        assert core.texts_of(conversation_id(PSEUDONYM_KEY.encode(), Channel.TEST, f"u{u}")) == sent


async def test_rasa_down_gives_one_notice_then_the_answer(make_settings, start_gateway, http, sink,
                                                          core) -> None:
    gateway = await start_gateway(make_settings(gateway_partitions=1, rasa_delay_notice_after_s=0.3))
    await core.stop()
    await gateway.send(http, user="u1", id="a", text="erste Frage", language="de")
    await gateway.send(http, user="u2", id="b", text="question", language="en")
    await gateway.send(http, user="u1", id="c", text="zweite Frage", language="de")
    await sink.wait_for(lambda: len(sink.deliveries) == 2, timeout=10)
    await asyncio.sleep(1.0)  # many more retries while down: still one notice each
    assert sink.texts("u1") == [texts.DELAY_NOTICE["de"]]
    assert sink.texts("u2") == [texts.DELAY_NOTICE["en"]]
    await core.start()
    await sink.wait_for(lambda: len(sink.deliveries) == 2 + 6, timeout=10)
    assert sink.texts("u1") == [texts.DELAY_NOTICE["de"], *_answers("erste Frage", "zweite Frage")]
    assert sink.texts("u2") == [texts.DELAY_NOTICE["en"], *_answers("question")]


async def test_rejected_message_is_dead_lettered_and_does_not_block(make_settings, start_gateway, http,
                                                                    sink, core, rdb, prefix) -> None:
    gateway = await start_gateway(make_settings(gateway_partitions=1))
    core.status = 400
    await gateway.send(http, user="u1", id="m1", text="Hallo")
    await sink.wait_for(lambda: len(sink.deliveries) == 1)
    assert sink.texts("u1") == [texts.NOT_PROCESSED["de"]]
    assert core.attempts == 1  # a 4xx is not retried
    [(_, dead)] = await rdb.xrange(f"{prefix}:dead")
    assert dead["kind"] == "inbound" and "400" in dead["reason"]
    assert QueuedMessage.from_fields(json.loads(dead["entry"])).message.text == "Hallo"
    core.status = None
    await gateway.send(http, user="u1", id="m2", text="Noch da?")
    await sink.wait_for(lambda: len(sink.deliveries) == 3)
    assert sink.texts("u1")[1:] == _answers("Noch da?")


def _menu(body: dict[str, Any]) -> list[dict[str, Any]]:
    if body["text"] == "menu":
        return [{"text": "Möchten Sie einen Termin?",
                 "buttons": [{"title": "Ja", "payload": "/affirm"}, {"title": "Nein", "payload": "/deny"}]}]
    return [{"text": f"echo: {body['text']}"}]


async def test_only_offered_payloads_reach_rasa_as_payloads(make_settings, start_gateway, http, sink,
                                                            core) -> None:
    core.responder = _menu
    gateway = await start_gateway(make_settings())
    await gateway.send(http, user="u1", id="m1", text="menu")
    await sink.wait_for(lambda: len(sink.deliveries) == 1)
    assert sink.deliveries[0]["body"] == {"type": "buttons", "text": "Möchten Sie einen Termin?", "buttons": [
        {"title": "Ja", "payload": "/affirm"}, {"title": "Nein", "payload": "/deny"}]}
    await gateway.send(http, user="u1", id="m2", payload="/affirm")
    await gateway.send(http, user="u1", id="m3", payload='/restart{"x": 1}')
    await gateway.send(http, user="u1", id="m4", text="/deny")
    await gateway.send(http, user="u2", id="m5", payload="/affirm")  # offered to u1, not to u2
    await sink.wait_for(lambda: len(sink.deliveries) == 5)
    assert [r.body["text"] for r in core.requests] == ["menu", "/affirm", '／restart{"x": 1}', "／deny",
                                                       "／affirm"]


async def test_pending_entries_of_a_dead_worker_are_taken_over_in_order(
        make_settings, start_gateway, http, sink, core, rdb, prefix) -> None:
    """What a crash leaves behind: entries read but not acknowledged, the first one already
    run by Rasa. A new worker answers each once, in order; Rasa replays the first."""
    settings = make_settings(gateway_partitions=1)
    queue_only = await start_gateway(make_settings(gateway_partitions=1, gateway_run_workers=False))
    for n in range(3):
        await queue_only.send(http, user="u1", id=f"m{n}", text=f"Frage {n}")
    stream = f"{prefix}:in:0"
    await rdb.xgroup_create(stream, GROUP, id="0")
    await rdb.xreadgroup(GROUP, "crashed-worker", {stream: ">"}, count=10)
    key = PSEUDONYM_KEY.encode()
    sender = conversation_id(key, Channel.TEST, "u1")
    first = message_id(key, Channel.TEST, "m0")
    core.turns[(sender, first)] = [{"text": "echo: Frage 0"}, {"text": "done: Frage 0"}]  # Rasa ran it
    assert (await rdb.xpending(stream, GROUP))["pending"] == 3

    await start_gateway(settings)
    await sink.wait_for(lambda: len(sink.deliveries) == 6)
    await asyncio.sleep(0.3)
    assert sink.texts("u1") == _answers("Frage 0", "Frage 1", "Frage 2")
    assert [(r.body["text"], r.replayed) for r in core.requests] == [
        ("Frage 0", True), ("Frage 1", False), ("Frage 2", False)]
    assert (await rdb.xpending(stream, GROUP))["pending"] == 0


async def test_entries_that_cannot_be_processed_are_dead_lettered(make_settings, start_gateway, http,
                                                                  sink, core, rdb, prefix) -> None:
    stream = f"{prefix}:in:0"
    await rdb.xadd(stream, {"garbage": "1"})
    sms = InboundMessage(Channel.SMS, "+49176", "SM1", text="Hallo")
    await rdb.xadd(stream, QueuedMessage("ab" * 16, "cd" * 16, sms).to_fields())
    gateway = await start_gateway(make_settings(gateway_partitions=1))
    await gateway.send(http, user="u1", id="m1", text="Hallo")
    await sink.wait_for(lambda: len(sink.deliveries) == 2)
    reasons = [fields["reason"] for _, fields in await rdb.xrange(f"{prefix}:dead")]
    assert reasons == ["undecodable inbound entry", "channel sms is not enabled"]
    assert await rdb.xlen(stream) == 0


async def test_message_goes_to_the_partition_of_its_conversation(make_settings, start_gateway, http,
                                                                 rdb, prefix) -> None:
    gateway = await start_gateway(make_settings(gateway_run_workers=False, gateway_partitions=8))
    for u in range(20):
        await gateway.send(http, user=f"user-{u}", id=f"m{u}", text="Hallo")
    for u in range(20):
        conversation = conversation_id(PSEUDONYM_KEY.encode(), Channel.TEST, f"user-{u}")
        entries = await rdb.xrange(f"{prefix}:in:{partition_of(conversation, 8)}")
        assert conversation in [fields["conv"] for _, fields in entries]
    assert sum([await entries_added(rdb, f"{prefix}:in:{p}") for p in range(8)]) == 20
