"""Data protection in the gateway, on real Redis: the masked address of daten_auskunft, erasure of
one conversation in every gateway key and stream, and retention of dead letters and delivery records.
The whole path through the real Rasa, case service and an append-only Redis: test_privacy_e2e.py."""

from __future__ import annotations

import json
import re
import time

import aiohttp
import pytest

from channels.adapters.twilio.state import DeliveryStatus, TwilioState
from channels.erasure import Eraser, ErasureIncomplete
from channels.handoff import Handoffs
from channels.keys import Keys
from channels.messages import Channel, Custom, InboundMessage, Outbound, Text
from channels.privacy import mask, resolve
from channels.retention import trim_dead_letters

A, B = "a" * 32, "b" * 32  # two conversations' pseudonyms
CURRENT = "mid-confirm"  # the message that confirmed the erasure


def test_addresses_are_masked_per_channel() -> None:
    assert mask(Channel.SMS, "+4917612345678") == "+49•••••••••78"
    assert mask(Channel.WHATSAPP, "whatsapp:+4917612345678") == "+49•••••••••78"
    assert mask(Channel.TELEGRAM, "987654321") == "••••••321"
    assert mask(Channel.TELEGRAM, "12345") == "•••••"  # too short to show any of it


def test_placeholders_become_the_address_sentence_and_the_erase_flag() -> None:
    message = InboundMessage(Channel.SMS, "+4917612345678", "SM1", text="ja")
    resolved = resolve([Text("Hallo"), Custom({"privacy": "address"}), Custom({"erase": True})],
                       message, "de", 30 * 86400)
    assert resolved.erase is True
    assert resolved.responses[0] == Text("Hallo") and len(resolved.responses) == 2
    sentence = resolved.responses[1].text  # type: ignore[union-attr]
    assert "SMS" in sentence and "+49•••••••••78" in sentence and "30 Tage" in sentence
    assert "17612345" not in sentence
    english = resolve([Custom({"privacy": "address"})], message, "en", 86400).responses[0]
    assert english.text.startswith("Your address on this channel (SMS)")  # type: ignore[union-attr]
    webchat = InboundMessage(Channel.WEBCHAT, "session-123", "s.1", text="x")
    plain = resolve([Custom({"privacy": "address"})], webchat, "ls", 86400)
    assert plain.erase is False and "session-123" not in plain.responses[0].text  # type: ignore[union-attr]


def test_outbound_items_carry_the_aof_flag_only_when_set() -> None:
    item = Outbound(Channel.TEST, "u1", A, "m1", "0", {"text": "x"})
    assert "rewrite_aof" not in item.to_json() and Outbound.from_json(item.to_json()) == item
    flagged = Outbound(Channel.TEST, "u1", A, "m1", "0", {"text": "x"}, rewrite_aof=True)
    assert Outbound.from_json(flagged.to_json()).rewrite_aof is True


async def _conversation_state(rdb, p: str, conv: str, user: str, mids: list[str]) -> None:
    """What the gateway, the adapters, the staff side and Rasa keep about one conversation."""
    await rdb.hset(f"{p}:addr:{conv}", mapping={"channel": "sms", "user": user})
    await rdb.sadd(f"{p}:offered:{conv}", "/affirm")
    await rdb.rpush(f"{p}:menu:{conv}", "/affirm", "/deny")
    await rdb.set(f"{p}:lang:{conv}", "de")
    await rdb.hset(f"{p}:handoff:{conv}", mapping={"state": "waiting"})
    await rdb.zadd(f"{p}:handoff:queue", {conv: 1})
    await rdb.xadd(f"{p}:handoff:log:{conv}", {"who": "citizen", "text": f"Hilfe von {user}"})
    await rdb.zadd(f"{p}:wc:hist:{conv}", {f"1 {{\"text\": \"{user}\"}}": 1})
    await rdb.rpush(f"{p}:twilio:more:{conv}", f"Rest für {user}")
    await rdb.set(f"{p}:twilio:optout:{conv}", "1")
    await rdb.hset(f"{p}:twilio:status:SM{conv[:6]}", mapping={"conversation": conv, "item": "m:0"})
    await rdb.set(f"{p}:bo:rl:lookup:{conv}:123", 1)
    for mid in mids:
        await rdb.set(f"{p}:seen:{mid}", "1-0")
        await rdb.set(f"{p}:queued:{mid}:0", "1")
        await rdb.set(f"{p}:sent:{mid}:0", "1")
        item = Outbound(Channel.SMS, user, conv, mid, "0", {"text": f"Antwort an {user}"})
        await rdb.xadd(f"{p}:out:sms", {"item": item.to_json()})
    await rdb.xadd(f"{p}:dead", {"kind": "inbound", "reason": "x",
                                 "entry": json.dumps({"conv": conv, "msg": f"Text von {user}"})})
    events = [{"event": "user", "text": f"Ich bin {user}", "message_id": mid} for mid in mids]
    await rdb.set(f"{p}:tracker:{conv}", json.dumps({"sender_id": conv, "events": events}))


async def _everything(rdb, p: str) -> str:
    """Every key name and value under the prefix, stream entries included."""
    out = []
    async for key in rdb.scan_iter(match=f"{p}:*"):
        kind = await rdb.type(key)
        value = {"string": rdb.get, "hash": rdb.hgetall, "set": rdb.smembers,
                 "list": lambda k: rdb.lrange(k, 0, -1), "zset": lambda k: rdb.zrange(k, 0, -1),
                 "stream": rdb.xrange}[kind](key)
        out.append(f"{key} {await value}")
    return "\n".join(out)


async def test_erasure_removes_the_conversation_from_every_key_and_stream(rdb, prefix, make_settings) -> None:
    settings = make_settings(tracker_key_prefix=prefix)
    await _conversation_state(rdb, prefix, A, "+4917611111111", ["m1", "m2", CURRENT])
    await _conversation_state(rdb, prefix, B, "+4917622222222", ["n1"])

    erased = await Eraser(settings, rdb, Keys(prefix), None).erase(A, CURRENT)

    assert erased.cases is None  # no case service configured here (the e2e test has one)
    await _assert_only_a_erased(rdb, prefix)


async def _assert_only_a_erased(rdb, prefix: str) -> None:
    everything = await _everything(rdb, prefix)
    left = [line for line in everything.splitlines() if A in line or "+4917611111111" in line]
    # what stays: the opt-out (must be honoured) and the confirmation still to be delivered
    assert sorted(line.split(" ")[0] for line in left) == sorted([f"{prefix}:out:sms",
                                                                  f"{prefix}:twilio:optout:{A}"])
    outbox = await rdb.xrange(f"{prefix}:out:sms")
    assert sorted(Outbound.from_json(f["item"]).message_id for _, f in outbox) == [CURRENT, "n1"]
    for mid in ("m1", "m2"):
        assert not await rdb.exists(f"{prefix}:seen:{mid}", f"{prefix}:queued:{mid}:0",
                                    f"{prefix}:sent:{mid}:0")
    assert await rdb.exists(f"{prefix}:seen:{CURRENT}")  # a redelivered "yes" must not start a turn
    # the other conversation is untouched
    assert "+4917622222222" in everything
    assert await rdb.exists(f"{prefix}:tracker:{B}", f"{prefix}:addr:{B}") == 2
    assert await rdb.zrange(f"{prefix}:handoff:queue", 0, -1) == [B]
    assert len(await rdb.xrange(f"{prefix}:dead")) == 1
    assert not await rdb.exists(f"{prefix}:erase:0")  # nothing pending


async def test_an_erasure_cut_off_halfway_is_finished_by_the_next_holder(rdb, prefix, make_settings,
                                                                          monkeypatch) -> None:
    settings = make_settings(tracker_key_prefix=prefix)
    await _conversation_state(rdb, prefix, A, "+4917611111111", ["m1", "m2", CURRENT])
    await _conversation_state(rdb, prefix, B, "+4917622222222", ["n1"])
    dying = Eraser(settings, rdb, Keys(prefix), None)
    await dying.request(0, A, CURRENT)  # the worker records it before committing the turn

    async def connection_lost(*_: object) -> int:
        raise ConnectionError("Redis went away")

    # the worker loses Redis after the tracker (the only list of the message ids) is gone
    monkeypatch.setattr(dying, "_delete_keys", connection_lost)
    with pytest.raises(ConnectionError):
        await dying.erase(A, CURRENT, 0)
    assert not await rdb.exists(f"{prefix}:tracker:{A}") and await rdb.exists(f"{prefix}:seen:m1")

    assert await Eraser(settings, rdb, Keys(prefix), None).resume(0) == 1  # the next holder of partition 0
    await _assert_only_a_erased(rdb, prefix)


async def test_a_pending_erasure_waits_until_its_turn_is_committed(rdb, prefix, make_settings) -> None:
    """A crash before the commit: the confirming turn runs again first and must find the tracker to
    replay its answer, so the erasure runs after it."""
    settings = make_settings(tracker_key_prefix=prefix)
    await _conversation_state(rdb, prefix, A, "+4917611111111", ["m1", CURRENT])
    entry = await rdb.xadd(f"{prefix}:in:0", {"msg": "{}"})
    await rdb.set(f"{prefix}:seen:{CURRENT}", entry)
    eraser = Eraser(settings, rdb, Keys(prefix), None)
    await eraser.request(0, A, CURRENT)
    assert await eraser.resume(0) == 0 and await rdb.exists(f"{prefix}:tracker:{A}")
    await rdb.xdel(f"{prefix}:in:0", entry)  # the turn is committed
    assert await eraser.resume(0) == 1 and not await rdb.exists(f"{prefix}:tracker:{A}", f"{prefix}:erase:0")


async def test_an_erasure_stays_pending_while_the_case_service_is_down(rdb, prefix, make_settings) -> None:
    settings = make_settings(tracker_key_prefix=prefix, case_service_token="t" * 32,
                             case_service_url="http://127.0.0.1:9")
    await _conversation_state(rdb, prefix, A, "+4917611111111", ["m1", CURRENT])
    async with aiohttp.ClientSession() as http:
        eraser = Eraser(settings, rdb, Keys(prefix), http)
        await eraser.request(0, A, CURRENT)
        with pytest.raises(ErasureIncomplete):
            await eraser.erase(A, CURRENT, 0)
        assert await eraser.resume(0) == 0
    # the gateway's part is done; the record waits for the case service
    assert not await rdb.exists(f"{prefix}:tracker:{A}", f"{prefix}:addr:{A}")
    assert json.loads(await rdb.hget(f"{prefix}:erase:0", A))["current"] == CURRENT


async def test_dead_letters_are_trimmed_by_age(rdb, prefix) -> None:
    keys = Keys(prefix)
    now_ms = int(time.time() * 1000)
    day = 86400 * 1000
    for age_days in (40, 31, 29, 1):
        await rdb.xadd(keys.dead, {"kind": "inbound", "reason": "x"}, id=f"{now_ms - age_days * day}-0")
    assert await trim_dead_letters(rdb, keys, 30 * 86400, now_ms) == 2
    remaining = [int(entry_id.split("-")[0]) for entry_id, _ in await rdb.xrange(keys.dead)]
    assert remaining == [now_ms - 29 * day, now_ms - day]


async def test_delivery_records_are_kept_for_the_configured_period(rdb, prefix, make_settings) -> None:
    state = TwilioState(rdb, prefix, make_settings(delivery_record_ttl_s=90 * 86400))
    await state.record_sent("SM1", Channel.SMS, A, "m1:0", DeliveryStatus.QUEUED)
    assert await state.record_status("SM1", DeliveryStatus.DELIVERED, "")
    assert 90 * 86400 - 5 <= await rdb.ttl(f"{prefix}:twilio:status:SM1") <= 90 * 86400


# Keys that may live without a TTL, and why: streams whose entries are deleted when processed or
# delivered (inbound, outbox) or trimmed by age (dead letters); the worker registry (process ids, no
# personal data); the handoff queues, whose members leave with the handoff (and stale ones are
# dropped by Handoffs.waiting); an SMS opt-out, kept until START.
NO_TTL = re.compile(r"^[^:]+:(in:\d+|out:\w+|dead|workers|handoff:(queue|held)|twilio:optout:\w+)$")


async def test_every_gateway_key_expires_or_is_trimmed(rdb, prefix, make_settings, start_gateway, sink,
                                                      http) -> None:
    gateway = await start_gateway(make_settings())
    for index, text in enumerate(("Hallo", "Ich heiße Erika", "Danke")):
        status, _ = await gateway.send(http, user="u-erika", id=f"m{index}", text=text)
        assert status == 200
    await sink.wait_for(lambda: len(sink.texts("u-erika")) >= 6, 20)
    handoffs = Handoffs(rdb, Keys(prefix), 86400)
    await handoffs.request("c" * 32, "test", "de", None, "asked")
    await handoffs.log("c" * 32, "citizen", "Ich brauche Hilfe")

    kinds = {}
    async for key in rdb.scan_iter(match=f"{prefix}:*"):
        ttl = await rdb.pttl(key)
        kinds[key] = (await rdb.type(key), ttl)
        if ttl < 0:
            assert NO_TTL.match(key), f"{key} never expires"
    assert any(":addr:" in key for key in kinds) and any(":handoff:log:" in key for key in kinds)
    for key, (kind, _) in kinds.items():  # the streams without TTL hold no processed entry
        if kind == "stream" and re.search(r":(in:\d+|out:\w+)$", key):
            assert await rdb.xlen(key) == 0, key
