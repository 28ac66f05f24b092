"""The Lua scripts that make the gateway's multi-key steps atomic.

Each script is one step that must happen completely or not at all; they are
collected here so the atomicity rules of the message path can be reviewed
in one place:

* ACCEPT: a message is marked as seen only if its stream entry was written
  (a failure in between leaves no marker, so the channel's retry is accepted).
* PUSH: outbox items are written at most once per ``message_id:index``; for
  the emergency path, together with the seen marker.
* COMMIT: a turn's outbox items, an optional dead letter and the XACK/XDEL
  of its inbound entry are one step, and only while the worker still holds
  the partition's lease (a worker that lost its lease cannot ack or answer).
* Lease renewal and release only by the holder.
* RESERVE: a shared GCRA rate limiter on Redis' clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

DEAD_MAXLEN = 10_000

ACCEPT = """
-- KEYS: seen, stream   ARGV: seen_ttl_s, field, value, ...
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
redis.call('SET', KEYS[1], id, 'EX', ARGV[1])
return id
"""

PUSH = """
-- KEYS: seen, outbox, queued_1..n   ARGV: use_seen, seen_ttl_s, queued_ttl_s, item_1..n
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local added = 0
for i = 4, #ARGV do
  if redis.call('SET', KEYS[i - 1], '1', 'NX', 'EX', ARGV[3]) then
    redis.call('XADD', KEYS[2], '*', 'item', ARGV[i])
    added = added + 1
  end
end
if ARGV[1] == '1' then redis.call('SET', KEYS[1], 'fast-path', 'EX', ARGV[2]) end
return added
"""

COMMIT = f"""
-- KEYS: lease, inbound, outbox, dead, queued_1..n
-- ARGV: token, group, entry_id, queued_ttl_s, dead_reason, dead_entry, item_1..n
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local added = 0
for i = 7, #ARGV do
  if redis.call('SET', KEYS[i - 2], '1', 'NX', 'EX', ARGV[4]) then
    redis.call('XADD', KEYS[3], '*', 'item', ARGV[i])
    added = added + 1
  end
end
if ARGV[5] ~= '' then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', '{DEAD_MAXLEN}', '*',
             'kind', 'inbound', 'reason', ARGV[5], 'entry', ARGV[6])
end
redis.call('XACK', KEYS[2], ARGV[2], ARGV[3])
redis.call('XDEL', KEYS[2], ARGV[3])
return added
"""

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""

RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

RESERVE = """
-- KEYS: rate key   ARGV: interval_ms, burst   -> ms to wait before the reserved slot
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local wait = tat - (burst - 1) * interval - now
if wait < 0 then wait = 0 end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now + interval)
return wait
"""


@dataclass(frozen=True)
class Scripts:
    accept: AsyncScript
    push: AsyncScript
    commit: AsyncScript
    renew: AsyncScript
    release: AsyncScript
    reserve: AsyncScript

    @classmethod
    def register(cls, client: aioredis.Redis) -> Scripts:
        return cls(*(client.register_script(source)
                     for source in (ACCEPT, PUSH, COMMIT, RENEW, RELEASE, RESERVE)))
