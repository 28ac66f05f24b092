"""Live handoff state in Redis: which conversations wait for or are held by staff, and their transcripts.

Layout (``keys.py``; backoffice/CONTRACT.md): hash ``handoff:<conversation>``
(``state`` waiting|held, ``staff``, ``since``, ``channel``, ``language``,
``topic``, ``desk``, ``reason``, ``acked``, ``callback_offered``), sorted sets
``handoff:queue`` (waiting, by since) and ``handoff:held`` (by taken-at),
and the transcript stream ``handoff:log:<conversation>``.

Every change of state is one Lua script, because the state lives in three
keys and two staff members, the worker and the call-back check may act on
the same conversation at once: taking is "only if still waiting", and a
citizen's message is logged only if the conversation is still in handoff
(otherwise it goes to the dialogue core). A handoff nobody writes in for
HANDOFF_TTL_S ends by itself (the hash expires; stale set members are
dropped when listed), so a forgotten conversation never stays away from the
bot. Transcripts hold message texts: they expire with the handoff, and one
hour after it ends.

The staff side uses this module too (same Redis): the case service queues
conversations, the console takes, logs staff replies and releases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import redis.asyncio as aioredis

from channels.keys import Keys

TRANSCRIPT_MAXLEN = 1000
TRANSCRIPT_AFTER_RELEASE_S = 3600

REQUEST = """
-- KEYS: hash, queue   ARGV: conversation, since_ms, ttl_s, field, value, ...
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'held' then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return 0
end
if not state then
  redis.call('HSET', KEYS[1], 'state', 'waiting', unpack(ARGV, 4))
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
else
  redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1])
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return redis.call('ZRANK', KEYS[2], ARGV[1]) + 1
"""

TAKE = """
-- KEYS: hash, queue, held   ARGV: conversation, staff, now_ms, now_iso, ttl_s
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'gone', ''} end
if state == 'held' then return {'held', redis.call('HGET', KEYS[1], 'staff') or ''} end
redis.call('HSET', KEYS[1], 'state', 'held', 'staff', ARGV[2], 'taken_at', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return {'taken', ARGV[2]}
"""

RELEASE = """
-- KEYS: hash, queue, held, log   ARGV: conversation, transcript_ttl_s
local fields = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('EXISTS', KEYS[4]) == 1 then redis.call('EXPIRE', KEYS[4], ARGV[2]) end
return fields
"""

LOG_CITIZEN = f"""
-- KEYS: marker, log, hash   ARGV: ttl_s, text, at_iso
-- -> 'none' (not in handoff: let the bot answer), '1' (logged, acknowledge), '0' (logged)
local done = redis.call('GET', KEYS[1])
if done then return done end
local state = redis.call('HGET', KEYS[3], 'state')
if not state then return 'none' end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', '{TRANSCRIPT_MAXLEN}', '*',
           'who', 'citizen', 'staff', '', 'text', ARGV[2], 'at', ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[3], ARGV[1])
local ack = '0'
if state == 'waiting' and redis.call('HSETNX', KEYS[3], 'acked', '1') == 1 then ack = '1' end
redis.call('SET', KEYS[1], ack, 'EX', ARGV[1])
return ack
"""

LOG = f"""
-- KEYS: log, hash   ARGV: ttl_s, who, staff, text, at_iso   -> 0 when the handoff has ended
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', '{TRANSCRIPT_MAXLEN}', '*',
           'who', ARGV[2], 'staff', ARGV[3], 'text', ARGV[4], 'at', ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return 1
"""


class State(StrEnum):
    WAITING = "waiting"
    HELD = "held"


class Reason(StrEnum):
    ASKED = "asked"
    FALLBACKS = "fallbacks"
    BUTTON = "button"


@dataclass(frozen=True)
class Handoff:
    conversation: str
    state: State
    since: datetime
    channel: str
    language: str
    topic: str | None
    reason: str
    staff: str | None
    callback_offered: bool
    desk: str | None = None  # the handoff desk (backoffice/handoff_hours.yml) whose hours applied

    @classmethod
    def from_hash(cls, conversation: str, data: dict[str, str]) -> Handoff:
        return cls(conversation, State(data["state"]), datetime.fromisoformat(data["since"]),
                   data.get("channel", ""), data.get("language") or "de", data.get("topic") or None,
                   data.get("reason", ""), data.get("staff") or None, data.get("callback_offered") == "1",
                   data.get("desk") or None)


@dataclass(frozen=True)
class Taken:
    """Result of a take: ``ok`` for the caller; otherwise ``holder`` names who has it (None: gone)."""

    ok: bool
    holder: str | None


@dataclass(frozen=True)
class Line:
    """One transcript line. ``who``: citizen, staff or system."""

    id: str
    who: str
    staff: str | None
    text: str
    at: datetime


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


class Handoffs:
    def __init__(self, redis: aioredis.Redis, keys: Keys, ttl_s: int) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl_s = ttl_s
        self._request = redis.register_script(REQUEST)
        self._take = redis.register_script(TAKE)
        self._release = redis.register_script(RELEASE)
        self._log_citizen = redis.register_script(LOG_CITIZEN)
        self._log = redis.register_script(LOG)

    async def request(self, conversation: str, channel: str, language: str, topic: str | None,
                      reason: str, now: datetime | None = None, desk: str | None = None) -> int:
        """Queue the conversation for staff (no-op if it already waits). Position from 1; 0 = held.
        ``topic`` (catalogue id) and ``desk`` tell staff what it is about before they take it."""
        at = _now(now)
        fields = {"since": at.isoformat(), "channel": channel, "language": language, "topic": topic or "",
                  "desk": desk or "", "reason": reason}
        flat = [part for pair in fields.items() for part in pair]
        return int(await self._request(keys=[self._keys.handoff(conversation), self._keys.handoff_queue],
                                       args=[conversation, _ms(at), self._ttl_s, *flat]))

    async def get(self, conversation: str) -> Handoff | None:
        data = await self._redis.hgetall(self._keys.handoff(conversation))
        return Handoff.from_hash(conversation, data) if data.get("state") else None

    async def is_active(self, conversation: str) -> bool:
        return bool(await self._redis.exists(self._keys.handoff(conversation)))

    async def take(self, conversation: str, staff: str, now: datetime | None = None) -> Taken:
        at = _now(now)
        keys = [self._keys.handoff(conversation), self._keys.handoff_queue, self._keys.handoff_held]
        outcome, holder = await self._take(keys=keys, args=[conversation, staff, _ms(at), at.isoformat(),
                                                            self._ttl_s])
        return Taken(outcome == "taken", holder or None)

    async def release(self, conversation: str) -> Handoff | None:
        """End the handoff (the bot answers again); the state it had, or None if there was none."""
        keys = [self._keys.handoff(conversation), self._keys.handoff_queue, self._keys.handoff_held,
                self._keys.handoff_log(conversation)]
        flat = await self._release(keys=keys, args=[conversation, TRANSCRIPT_AFTER_RELEASE_S])
        data = dict(zip(flat[::2], flat[1::2], strict=True))
        return Handoff.from_hash(conversation, data) if data.get("state") else None

    async def log_citizen(self, conversation: str, message_id: str, text: str,
                          now: datetime | None = None) -> bool | None:
        """Log a citizen's message once per message id. None: not in handoff; True: acknowledge it."""
        keys = [self._keys.handoff_logged(message_id), self._keys.handoff_log(conversation),
                self._keys.handoff(conversation)]
        outcome = await self._log_citizen(keys=keys, args=[self._ttl_s, text, _now(now).isoformat()])
        return None if outcome == "none" else outcome == "1"

    async def log(self, conversation: str, who: str, text: str, staff: str | None = None,
                  now: datetime | None = None) -> bool:
        """Log a staff or system line; False when the handoff has ended."""
        keys = [self._keys.handoff_log(conversation), self._keys.handoff(conversation)]
        args = [self._ttl_s, who, staff or "", text, _now(now).isoformat()]
        return bool(await self._log(keys=keys, args=args))

    async def transcript(self, conversation: str, count: int = TRANSCRIPT_MAXLEN) -> list[Line]:
        entries = await self._redis.xrange(self._keys.handoff_log(conversation), count=count)
        return [Line(entry_id, f.get("who", ""), f.get("staff") or None, f.get("text", ""),
                     datetime.fromisoformat(f["at"])) for entry_id, f in entries]

    async def waiting(self) -> list[Handoff]:
        return await self._listed(self._keys.handoff_queue, State.WAITING)

    async def held(self) -> list[Handoff]:
        return await self._listed(self._keys.handoff_held, State.HELD)

    async def mark_callback_offered(self, conversation: str) -> bool:
        """True exactly once per handoff (the first caller offers the call-back)."""
        key = self._keys.handoff(conversation)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.exists(key).hsetnx(key, "callback_offered", "1")
            exists, first = await pipe.execute()
        if not exists:  # HSETNX created a lone field on a handoff that had just ended
            await self._redis.delete(key)
            return False
        return bool(first)

    async def _listed(self, zset: str, state: State) -> list[Handoff]:
        members = await self._redis.zrange(zset, 0, -1)
        if not members:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for conversation in members:
                pipe.hgetall(self._keys.handoff(conversation))
            hashes = await pipe.execute()
        out, stale = [], []
        for conversation, data in zip(members, hashes, strict=True):
            if data.get("state") == state:
                out.append(Handoff.from_hash(conversation, data))
            elif not data.get("state"):
                stale.append(conversation)  # its hash expired (no activity for HANDOFF_TTL_S)
        if stale:
            await self._redis.zrem(zset, *stale)
        return out
