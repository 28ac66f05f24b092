"""The web chat's conversation history in Redis: the persistence behind reloads and reconnects.

A browser can reload, lose its connection or be answered while no socket
is open at all; so the history, not the socket, is where a message is
"delivered". Each conversation has

* ``wc:seq:<conv>``  - a counter, the sequence number of the last entry;
* ``wc:hist:<conv>`` - a sorted set, score = sequence number, member
  ``"<seq> <json>"`` (the JSON of the entry; the prefix keeps members unique);
* ``wc:ids:<conv>``  - a hash, entry key -> sequence number, so appending the
  same citizen message (client message id) or the same outbox item
  (``message_id:index``) twice is a no-op that returns the first number.

One Lua script appends, trims to the newest ``MAX_ENTRIES``, renews the TTL of
all three keys (WEBCHAT_HISTORY_TTL_S after the last message) and publishes
a wake-up ``"<conv> <seq>"`` on the events channel, atomically, so a socket
never misses an entry: it reads everything after the last number it sent.
Keys carry the pseudonymous conversation id, never the browser's session id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import redis.asyncio as aioredis

MAX_ENTRIES = 300  # per conversation; older entries fall off
REPLAY_LIMIT = 300

APPEND = """
-- KEYS: seq, hist, ids   ARGV: ttl_s, max_entries, entry_key, entry_json, events_channel, conv
local known = redis.call('HGET', KEYS[3], ARGV[3])
if known then return {tonumber(known), 0} end
local seq = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], seq, seq .. ' ' .. ARGV[4])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[2]) + 1))
redis.call('HSET', KEYS[3], ARGV[3], seq)
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[1]) end
redis.call('PUBLISH', ARGV[5], ARGV[6] .. ' ' .. seq)
return {seq, 1}
"""

Sender = Literal["user", "bot"]


@dataclass(frozen=True)
class Entry:
    """One message of the history as the widget gets it (``cmid`` only for the citizen's)."""

    seq: int
    sender: Sender
    body: dict[str, Any]
    cmid: str | None = None

    def frame(self) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": "message", "seq": self.seq, "from": self.sender, "body": self.body}
        if self.cmid:
            frame["cmid"] = self.cmid
        return frame


def _entry(member: str) -> Entry:
    number, _, raw = member.partition(" ")
    data = json.loads(raw)
    return Entry(int(number), data["from"], data["body"], data.get("cmid"))


@dataclass(frozen=True)
class Appended:
    seq: int
    new: bool


class History:
    def __init__(self, redis: aioredis.Redis, prefix: str, ttl_s: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_s = ttl_s
        self._append = redis.register_script(APPEND)

    @property
    def events_channel(self) -> str:
        """Pub/sub channel of wake-ups (``"<conv> <seq>"``, ``"<conv> typing <seq>"``); no texts."""
        return f"{self._prefix}:wc:events"

    def _keys(self, conversation: str) -> list[str]:
        return [f"{self._prefix}:wc:{part}:{conversation}" for part in ("seq", "hist", "ids")]

    async def append(self, conversation: str, entry_key: str, sender: Sender, body: dict[str, Any],
                     cmid: str | None = None) -> Appended:
        """Append once per ``entry_key``; raises redis errors."""
        data: dict[str, Any] = {"from": sender, "body": body}
        if cmid:
            data["cmid"] = cmid
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        seq, new = await self._append(keys=self._keys(conversation),
                                      args=[self._ttl_s, MAX_ENTRIES, entry_key, raw, self.events_channel,
                                            conversation])
        return Appended(int(seq), bool(new))

    async def entry(self, conversation: str, entry_key: str) -> Entry | None:
        """The entry appended under ``entry_key``, if it is still there (a retried upload finds it)."""
        _, hist, ids = self._keys(conversation)
        seq = await self._redis.hget(ids, entry_key)
        if seq is None:
            return None
        members = await self._redis.zrangebyscore(hist, seq, seq)
        return _entry(members[0]) if members else None

    async def last_seq(self, conversation: str) -> int:
        value = await self._redis.get(self._keys(conversation)[0])
        return int(value) if value else 0

    async def last_entry(self, conversation: str) -> Entry | None:
        """The newest entry: if it is the citizen's, a turn is still running."""
        members = await self._redis.zrange(self._keys(conversation)[1], -1, -1)
        return _entry(members[0]) if members else None

    async def after(self, conversation: str, seq: int, limit: int = REPLAY_LIMIT) -> list[Entry]:
        """Entries with a sequence number above ``seq``, oldest first."""
        members = await self._redis.zrangebyscore(self._keys(conversation)[1], f"({seq}", "+inf",
                                                  start=0, num=limit)
        return [_entry(member) for member in members]

    async def publish_typing(self, conversation: str, after_seq: int) -> None:
        """Tell the conversation's sockets that a turn started after entry ``after_seq``."""
        await self._redis.publish(self.events_channel, f"{conversation} typing {after_seq}")
