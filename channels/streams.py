"""Redis stream consumer-group helpers shared by the partition workers and the senders.

Every stream (inbound partition, channel outbox) has one consumer group,
:data:`keys.GROUP`, and is read only by the holder of its lease. A new holder
first takes over every pending entry of the previous one (``XAUTOCLAIM``
with idle time 0: holding the lease proves the old holder is gone or has
given up), then reads its own pending entries in stream order, then new
ones. That is what keeps order across a crash.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from channels.keys import GROUP

Entry = tuple[str, dict[str, str]]


async def ensure_group(redis: aioredis.Redis, stream: str) -> None:
    """Create the group from the stream's beginning, so entries added before it are not skipped."""
    try:
        await redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


async def claim_all(redis: aioredis.Redis, stream: str, consumer: str) -> int:
    """Move every pending entry of the group to ``consumer``; returns how many."""
    start, claimed = "0-0", 0
    while True:
        # (not justid=True: redis-py then drops the cursor needed to continue)
        start, entries, *_ = await redis.xautoclaim(stream, GROUP, consumer, 0, start, count=500)
        claimed += len(entries)
        if start in ("0-0", b"0-0"):
            return claimed


async def read(redis: aioredis.Redis, stream: str, consumer: str, after: str, count: int,
               block_ms: int | None = None) -> list[Entry]:
    """Entries for ``consumer``: ``after`` = ">" for new ones, an id (e.g. "0") for its pending ones.

    Pending entries whose stream entry was deleted come back with empty
    fields; they are acknowledged here and skipped.
    """
    reply = await redis.xreadgroup(GROUP, consumer, {stream: after}, count=count, block=block_ms)
    entries: list[Entry] = []
    for _, items in reply or ():
        for entry_id, fields in items:
            if fields:
                entries.append((entry_id, fields))
            else:
                await redis.xack(stream, GROUP, entry_id)
    return entries
