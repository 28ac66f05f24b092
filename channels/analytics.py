"""Daily usage aggregates in Redis: what the console's analytics page shows.

Why Redis and not SQL: every counter is bumped on the message path, where
the gateway already holds Redis and nothing else; one pipelined round trip
per turn costs nothing, and retention is a key TTL instead of a purge job.
The staff side reads the same keys (same ``GATEWAY_REDIS_PREFIX``).

Only aggregates, never texts or ids. Layout, one set of keys per local day
(Europe/Berlin, the administration's day) ``<prefix>:stats:<YYYY-MM-DD>:``

* ``msgs``            hash channel -> messages processed
* ``conv:<channel>``  HyperLogLog of conversation pseudonyms: distinct
                      conversations (about 1 % error; the registers cannot
                      be read back into pseudonyms)
* ``turns``           hash channel -> turns the dialogue core answered
* ``fallback``        hash channel -> of those, not understood
                      (``nlu_fallback`` or ``out_of_scope``)
* ``topics``          hash topic id -> FAQ answers given
* ``handoff:<channel>`` HyperLogLog of conversations handed to staff
* ``feedback``        hash ``<topic>:yes`` / ``<topic>:no`` -> votes

Every key expires ANALYTICS_RETENTION_DAYS after its day. Counts are taken
after a turn is committed, so a crash in between loses a count rather than
counting twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from channels.keys import Keys
from channels.messages import Channel

BERLIN = ZoneInfo("Europe/Berlin")
FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
CHANNELS = tuple(c.value for c in Channel if c is not Channel.TEST)
MAX_DAYS = 731  # longest range read at once


def local_day(at: datetime | None = None) -> date:
    """The administration's calendar day of ``at`` (now when None)."""
    return (at or datetime.now(UTC)).astimezone(BERLIN).date()


def days(start: date, end: date) -> Iterator[date]:
    """``start`` .. ``end`` inclusive."""
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


def _expire_at(day: date, retention_days: int) -> int:
    end = datetime.combine(day + timedelta(days=retention_days + 1), datetime.min.time(), BERLIN)
    return int(end.timestamp())


class Counters:
    """Writes the aggregates; every method is one pipelined round trip."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, retention_days: int) -> None:
        self._redis = redis
        self._keys = keys
        self._retention_days = retention_days

    def _touch(self, pipe: Pipeline, key: str, day: date) -> None:
        pipe.expireat(key, _expire_at(day, self._retention_days))

    async def turn(self, channel: Channel, conversation: str, intent: str | None,
                   topics: Sequence[str], answered_by_core: bool, day: date | None = None) -> None:
        """One processed message; ``answered_by_core``: the dialogue core ran a turn for it."""
        day = day or local_day()
        k = self._keys
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(k.stats(day, "msgs"), channel.value, 1)
            self._touch(pipe, k.stats(day, "msgs"), day)
            pipe.pfadd(k.stats(day, f"conv:{channel.value}"), conversation)
            self._touch(pipe, k.stats(day, f"conv:{channel.value}"), day)
            if answered_by_core:
                pipe.hincrby(k.stats(day, "turns"), channel.value, 1)
                self._touch(pipe, k.stats(day, "turns"), day)
                if intent in FALLBACK_INTENTS:
                    pipe.hincrby(k.stats(day, "fallback"), channel.value, 1)
                    self._touch(pipe, k.stats(day, "fallback"), day)
            for topic in topics:
                pipe.hincrby(k.stats(day, "topics"), topic, 1)
            if topics:
                self._touch(pipe, k.stats(day, "topics"), day)
            await pipe.execute()

    async def handoff(self, channel: str, conversation: str, day: date | None = None) -> None:
        """A conversation asked for staff (counted once per conversation and day)."""
        day = day or local_day()
        key = self._keys.stats(day, f"handoff:{channel}")
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.pfadd(key, conversation)
            self._touch(pipe, key, day)
            await pipe.execute()

    def vote_key(self, day: date) -> str:
        return self._keys.stats(day, "feedback")

    def vote_expire_at(self, day: date) -> int:
        return _expire_at(day, self._retention_days)


@dataclass
class DayStats:
    day: date
    messages: dict[str, int] = field(default_factory=dict)
    conversations: dict[str, int] = field(default_factory=dict)
    turns: int = 0
    fallbacks: int = 0
    handoffs: int = 0


@dataclass
class Report:
    """A date range's aggregates, as the analytics page shows them."""

    start: date
    end: date
    per_day: list[DayStats]
    topics: dict[str, int]
    votes: dict[str, tuple[int, int]]  # topic -> (yes, no)


def _ints(raw: dict[str, str]) -> dict[str, int]:
    return {name: int(value) for name, value in raw.items()}


async def read(redis: aioredis.Redis, keys: Keys, start: date, end: date) -> Report:
    """The aggregates of ``start`` .. ``end`` (at most MAX_DAYS days; ValueError otherwise)."""
    span = list(days(start, end))
    if not span or len(span) > MAX_DAYS:
        raise ValueError(f"a range of 1 to {MAX_DAYS} days is needed")
    async with redis.pipeline(transaction=False) as pipe:
        for day in span:
            pipe.hgetall(keys.stats(day, "msgs"))
            for channel in CHANNELS:
                pipe.pfcount(keys.stats(day, f"conv:{channel}"))
            pipe.hgetall(keys.stats(day, "turns"))
            pipe.hgetall(keys.stats(day, "fallback"))
            pipe.pfcount(*(keys.stats(day, f"handoff:{channel}") for channel in CHANNELS))
            pipe.hgetall(keys.stats(day, "topics"))
            pipe.hgetall(keys.stats(day, "feedback"))
        results = iter(await pipe.execute())
    per_day: list[DayStats] = []
    topics: dict[str, int] = defaultdict(int)
    votes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for day in span:
        stats = DayStats(day, messages=_ints(next(results)))
        stats.conversations = {c: n for c in CHANNELS if (n := int(next(results)))}
        stats.turns = sum(_ints(next(results)).values())
        stats.fallbacks = sum(_ints(next(results)).values())
        stats.handoffs = int(next(results))
        per_day.append(stats)
        for topic, count in _ints(next(results)).items():
            topics[topic] += count
        for name, count in _ints(next(results)).items():
            topic, _, vote = name.rpartition(":")
            votes[topic][0 if vote == "yes" else 1] += count
    ranked = dict(sorted(topics.items(), key=lambda item: (-item[1], item[0])))
    return Report(start, end, per_day, ranked,
                  {topic: (yes, no) for topic, (yes, no) in sorted(votes.items())})


def channels_in(report: Report) -> list[str]:
    """Channels with any traffic in the report, in the fixed channel order."""
    seen: Iterable[str] = {c for d in report.per_day for c in (*d.messages, *d.conversations)}
    return [c for c in CHANNELS if c in seen]
