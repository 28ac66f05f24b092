"""Daily aggregates in real Redis: what is counted, how it reads back, when it expires."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest

from channels import analytics, feedback
from channels.analytics import BERLIN, Counters, local_day
from channels.keys import Keys
from channels.messages import Channel

DAY = date(2026, 11, 30)
NEXT = DAY + timedelta(days=1)


def test_the_day_is_the_administrations_day() -> None:
    assert local_day(datetime(2026, 11, 30, 23, 30, tzinfo=BERLIN)) == DAY
    assert local_day(datetime.fromisoformat("2026-11-30T23:30:00+00:00")) == NEXT  # 00:30 in Berlin


async def test_counters_read_back_per_day_channel_topic_and_vote(rdb, prefix) -> None:
    keys = Keys(prefix)
    counters = Counters(rdb, keys, retention_days=400)
    for n in range(3):  # one web chat conversation, three messages, one not understood
        await counters.turn(Channel.WEBCHAT, "c-web", "nlu_fallback" if n == 0 else "faq", ["kfz_zulassung"],
                            answered_by_core=True, day=DAY)
    await counters.turn(Channel.SMS, "c-sms", "out_of_scope", [], answered_by_core=True, day=DAY)
    await counters.turn(Channel.SMS, "c-sms2", None, [], answered_by_core=False, day=DAY)  # e.g. a vote
    await counters.turn(Channel.TELEGRAM, "c-tg", "faq", ["wohngeld", "kfz_zulassung"], True, day=NEXT)
    await counters.handoff("sms", "c-sms", DAY)
    await counters.handoff("sms", "c-sms", DAY)  # the same conversation asks again: one handoff
    votes = feedback.Votes(rdb, keys, counters, 3600)
    press = feedback.parse(feedback.Offer("wohngeld", "abc").payload(feedback.Vote.NO))
    assert await votes.record("c-tg", press, NEXT) is True
    assert await votes.record("c-tg", press, NEXT) is False

    report = await analytics.read(rdb, keys, DAY, NEXT)
    first, second = report.per_day
    assert first.messages == {"webchat": 3, "sms": 2} and first.conversations == {"webchat": 1, "sms": 2}
    assert (first.turns, first.fallbacks, first.handoffs) == (4, 2, 1)
    assert second.messages == {"telegram": 1} and (second.turns, second.fallbacks) == (1, 0)
    assert report.topics == {"kfz_zulassung": 4, "wohngeld": 1}
    assert list(report.topics) == ["kfz_zulassung", "wohngeld"]  # most answered first
    assert report.votes == {"wohngeld": (0, 1)}
    assert analytics.channels_in(report) == ["webchat", "telegram", "sms"]
    only_next = await analytics.read(rdb, keys, NEXT, NEXT)
    assert only_next.topics == {"kfz_zulassung": 1, "wohngeld": 1}


async def test_keys_hold_counts_only_and_expire_after_the_retention(rdb, prefix) -> None:
    counters = Counters(rdb, Keys(prefix), retention_days=10)
    today = local_day()
    await counters.turn(Channel.WEBCHAT, "conversation-pseudonym", "faq", ["wohngeld"], True, day=today)
    stored = [key async for key in rdb.scan_iter(f"{prefix}:stats:*")]
    assert stored and all(today.isoformat() in key for key in stored)
    for key in stored:
        ttl = await rdb.ttl(key)
        assert 10 * 86400 < ttl <= 12 * 86400  # the end of the day 10 days on, whatever the hour now
        if await rdb.type(key) == "hash":
            assert "conversation-pseudonym" not in str(await rdb.hgetall(key))
    old = today - timedelta(days=11)  # a count for a day past the retention is not kept
    await counters.turn(Channel.WEBCHAT, "c", None, [], False, day=old)
    assert not await rdb.exists(Keys(prefix).stats(old, "msgs"))


async def test_a_range_must_be_sensible(rdb, prefix) -> None:
    with pytest.raises(ValueError):
        await analytics.read(rdb, Keys(prefix), NEXT, DAY)
    with pytest.raises(ValueError):
        await analytics.read(rdb, Keys(prefix), DAY - timedelta(days=analytics.MAX_DAYS), DAY)
    empty = await analytics.read(rdb, Keys(prefix), DAY, DAY)
    assert empty.topics == {} and empty.votes == {} and empty.per_day[0].messages == {}


async def test_the_worker_counts_messages_conversations_fallbacks_topics(make_settings, start_gateway, http,
                                                                       sink, core, rdb, prefix) -> None:
    def reply(body: dict) -> list[dict]:
        if "Auto" in body["text"]:
            return [{"text": "Zulassungsstelle."}, {"custom": {"feedback": {"topic": "kfz_zulassung"}}}]
        return [{"text": "Das habe ich nicht verstanden."}]

    core.responder = reply
    gateway = await start_gateway(make_settings())
    await gateway.send(http, user="a", id="a1", text="Wie melde ich mein Auto an?")
    await sink.wait_for(lambda: len(sink.deliveries) == 2)
    core.intent = "nlu_fallback"
    await gateway.send(http, user="a", id="a2", text="blub")
    await gateway.send(http, user="b", id="b1", text="blub")
    await sink.wait_for(lambda: len(sink.deliveries) == 4)
    keys, day = Keys(prefix), local_day()
    for _ in range(50):  # counted just after the commit that delivers
        if await rdb.hget(keys.stats(day, "turns"), "test") == "3":
            break
        await asyncio.sleep(0.05)
    assert await rdb.hgetall(keys.stats(day, "msgs")) == {"test": "3"}
    assert await rdb.pfcount(keys.stats(day, "conv:test")) == 2
    assert await rdb.hgetall(keys.stats(day, "turns")) == {"test": "3"}
    assert await rdb.hgetall(keys.stats(day, "fallback")) == {"test": "2"}
    assert await rdb.hgetall(keys.stats(day, "topics")) == {"kfz_zulassung": "1"}
