"""Erase one conversation in every store, on the citizen's request (daten_loeschen).

Runs in the worker after the turn that confirmed the request has been
committed, still holding the partition's lease, so no other turn of this
conversation runs meanwhile and Rasa has already written its tracker back
(an erasure inside the action would be undone by that write). In order:

1. the conversation's message ids are read from the Rasa tracker (its user
   events carry them), then the tracker and its lock are deleted;
2. every gateway key that names the conversation or one of its messages is
   deleted (address, offered payloads, SMS menu and rest, language, notices,
   handoff state and transcript, web chat history, Twilio state, dedupe and
   delivery markers, rate windows), Twilio delivery records that point to it,
   and its members of the handoff queues. An SMS opt-out (STOPP) stays: the
   objection must still be honoured. The dedupe marker of the confirming
   message is kept (a keyed hash, no link to the conversation once the
   tracker is gone), so a redelivery of it cannot start a new turn;
3. its outbox and dead-letter stream entries are deleted (XDEL), except the
   items answering the confirming message, which still have to be delivered;
   inbound entries the citizen sent after it stay queued, they are new turns;
4. the case service anonymises the conversation's cases
   (``POST /api/v1/privacy/{conversation}/erase``);
5. Redis rewrites its append-only file (BGREWRITEAOF), so the deleted values
   are not kept on disk. The sender rewrites it once more after delivering
   the confirmation (``Outbound.rewrite_aof``), whose item names the address.

The citizen is told the data are deleted, so an erasure must finish even if
the worker dies halfway or the case service is down. The worker records it
(``request``) in its partition's pending-erasure hash before committing the
turn; step 1 adds the message ids to that record before the tracker (their
only other source) goes; the record is removed only when every step
succeeded. Whoever holds the partition next, or the same holder a minute
later, runs what is pending again (``resume``); every step is idempotent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass

import aiohttp
import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from channels.keys import Keys
from channels.messages import Channel
from channels.settings import Settings

log = logging.getLogger(__name__)

REWRITE_WAIT_S = 30.0


class ErasureIncomplete(Exception):
    """A step could not be done now (the case service did not answer); the erasure stays pending."""


@dataclass(frozen=True)
class Erased:
    keys: int
    entries: int
    cases: int | None  # None: no case service is configured


async def rewrite_aof(redis: aioredis.Redis) -> bool:
    """Ask Redis to rewrite its append-only file; waits while another rewrite runs. False if AOF is off."""
    info = await redis.info("persistence")
    if not int(info.get("aof_enabled", 0)):
        return False
    deadline = asyncio.get_running_loop().time() + REWRITE_WAIT_S
    while True:
        try:
            await redis.bgrewriteaof()
            return True
        except ResponseError as exc:  # a rewrite is in progress: it may predate the deletion
            if "in progress" not in str(exc) or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


class Eraser:
    def __init__(self, settings: Settings, redis: aioredis.Redis, keys: Keys,
                 http: aiohttp.ClientSession | None) -> None:
        self._settings = settings
        self._redis = redis
        self._keys = keys
        self._http = http
        self._tracker = f"{settings.tracker_key_prefix}:tracker:"
        self._lock = f"{settings.tracker_key_prefix}:lock:"

    async def request(self, partition: int, conversation: str, current_message_id: str) -> None:
        """Record the erasure before the confirming turn is committed (idempotent)."""
        await self._redis.hsetnx(self._keys.erasures(partition), conversation,
                                 json.dumps({"current": current_message_id}))

    async def resume(self, partition: int) -> int:
        """Run the partition's pending erasures (under its lease); the number finished."""
        done = 0
        for conversation, raw in (await self._redis.hgetall(self._keys.erasures(partition))).items():
            current = str(json.loads(raw).get("current", ""))
            if await self._uncommitted(partition, current):
                continue  # the confirming turn runs again first (its replay must find the tracker)
            try:
                await self.erase(conversation, current, partition)
                done += 1
            except ErasureIncomplete as exc:
                log.warning("erasure of conv=%s still pending: %s", conversation, exc)
        return done

    async def _uncommitted(self, partition: int, message_id: str) -> bool:
        """Whether the message's inbound entry is still in the stream (its turn was not committed)."""
        entry = await self._redis.get(self._keys.seen(message_id))
        if not entry or not re.fullmatch(r"\d+-\d+", entry):
            return False
        return bool(await self._redis.xrange(self._keys.inbound(partition), min=entry, max=entry))

    async def erase(self, conversation: str, current_message_id: str, partition: int | None = None) -> Erased:
        """Every step; with ``partition``, its pending record is kept up to date and removed at the end."""
        pending = self._keys.erasures(partition) if partition is not None else None
        mids = await self._message_ids(conversation)
        if pending is not None:
            record = json.loads(await self._redis.hget(pending, conversation) or "{}")
            mids |= set(record.get("mids") or [])
            record.update(current=current_message_id, mids=sorted(mids))
            await self._redis.hset(pending, conversation, json.dumps(record))
        mids.discard(current_message_id)
        await self._redis.delete(self._tracker + conversation, self._lock + conversation)
        deleted = await self._delete_keys(conversation, mids)
        entries = await self._delete_entries(conversation, current_message_id)
        cases = await self._erase_cases(conversation)
        if pending is not None:  # before the rewrite: the record names the conversation too
            await self._redis.hdel(pending, conversation)
        await rewrite_aof(self._redis)
        log.info("erased conv=%s: %d keys, %d stream entries, %s cases", conversation, deleted, entries,
                 "no" if cases is None else cases)
        return Erased(deleted, entries, cases)

    async def _message_ids(self, conversation: str) -> set[str]:
        raw = await self._redis.get(self._tracker + conversation)
        if not raw:
            return set()
        try:
            events = json.loads(raw).get("events") or []
        except (ValueError, AttributeError):
            return set()
        return {str(e["message_id"]) for e in events
                if isinstance(e, dict) and e.get("event") == "user" and e.get("message_id")}

    async def _erase_cases(self, conversation: str) -> int | None:
        """Cases anonymised; None when no case service is configured; ErasureIncomplete when it failed."""
        token = self._settings.case_service_token
        if token is None or self._http is None:
            return None
        url = f"{self._settings.case_service_url}/api/v1/privacy/{conversation}/erase"
        try:
            async with self._http.post(url, headers={"Authorization": f"Bearer {token.get_secret_value()}"},
                                       timeout=aiohttp.ClientTimeout(total=15)) as reply:
                if reply.status == 200:
                    return int((await reply.json())["anonymised"])
                reason = f"case service answered {reply.status}"
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as exc:
            reason = f"case service failed: {type(exc).__name__}"
        raise ErasureIncomplete(reason)

    async def _is_its(self, key: str, conversation: str, mids: set[str]) -> bool:
        """Whether ``key`` is this conversation's. An SMS opt-out stays: it must still be honoured."""
        if key.startswith(f"{self._keys.prefix}:twilio:optout:"):
            return False
        parts = key.split(":")
        if conversation in parts or any(part in mids for part in parts):
            return True
        return (key.startswith(f"{self._keys.prefix}:twilio:status:")
                and await self._redis.hget(key, "conversation") == conversation)

    async def _delete_keys(self, conversation: str, mids: set[str]) -> int:
        doomed = [key async for key in self._redis.scan_iter(match=f"{self._keys.prefix}:*", count=1000)
                  if await self._is_its(key, conversation, mids)]
        async with self._redis.pipeline(transaction=False) as pipe:
            for start in range(0, len(doomed), 500):
                pipe.delete(*doomed[start:start + 500])
            pipe.zrem(self._keys.handoff_queue, conversation)
            pipe.zrem(self._keys.handoff_held, conversation)
            await pipe.execute()
        return len(doomed)

    async def _delete_entries(self, conversation: str, current: str) -> int:
        deleted = 0
        for stream in [self._keys.outbox(channel) for channel in Channel] + [self._keys.dead]:
            doomed = [entry_id for entry_id, fields in await self._redis.xrange(stream)
                      if _belongs(fields, conversation, current)]
            if doomed:
                deleted += int(await self._redis.xdel(stream, *doomed))
        return deleted


def _belongs(fields: dict[str, str], conversation: str, current: str) -> bool:
    """Whether an outbox or dead-letter entry is this conversation's (not the confirmation's)."""
    if fields.get("conversation") == conversation:
        return True
    raw = fields.get("item") or fields.get("entry") or ""
    try:
        data = json.loads(raw)
    except ValueError:
        return conversation in raw
    if not isinstance(data, dict):
        return conversation in raw
    if data.get("conversation_id") == conversation:
        return data.get("message_id") != current
    return data.get("conv") == conversation or conversation in raw
