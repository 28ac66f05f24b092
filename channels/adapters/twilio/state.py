"""What the Twilio adapter keeps in Redis, per conversation (pseudonym) or per Twilio message.

Every key is ``<GATEWAY_REDIS_PREFIX>:twilio:...`` with a pseudonymous
conversation id or a Twilio message SID in it - never a phone number.

* ``optout:<conv>`` - the citizen sent STOPP; no TTL, it lasts until START.
* ``more:<conv>`` - the parts of a shortened answer still to come with MEHR.
* ``privacy:<conv>`` - the privacy notice was sent (first contact is over).
* ``window:<conv>`` - WhatsApp: the citizen wrote within the last 24 hours.
* ``template:<conv>`` - WhatsApp: the re-engagement template went out already.
* ``cap:number:<conv>:<day>`` and ``cap:overall:<hour>`` - the cost guard.
* ``status:<sid>`` - delivery status of a sent message, moving only forward; kept
  DELIVERY_RECORD_TTL_S (default 90 days).

Multi-key steps are Lua scripts, so a keyword is applied exactly once
even when Twilio delivers the webhook twice, and the caps cannot be
overrun by concurrent senders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import redis.asyncio as aioredis

from channels.adapters.twilio.keywords import Keyword
from channels.messages import Channel
from channels.settings import Settings

PRIVACY_TTL_S = 365 * 24 * 3600  # after a year without contact the notice is sent again
DAY_S, HOUR_S = 24 * 3600, 3600


class DeliveryStatus(StrEnum):
    """Twilio's MessageStatus values of outbound messages."""

    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELED = "canceled"
    READ = "read"  # WhatsApp


RANK = {
    DeliveryStatus.ACCEPTED: 0, DeliveryStatus.SCHEDULED: 0, DeliveryStatus.QUEUED: 1,
    DeliveryStatus.SENDING: 2, DeliveryStatus.SENT: 3, DeliveryStatus.DELIVERED: 4,
    DeliveryStatus.UNDELIVERED: 4, DeliveryStatus.FAILED: 4, DeliveryStatus.CANCELED: 4,
    DeliveryStatus.READ: 5,
}
FINAL = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.UNDELIVERED, DeliveryStatus.FAILED,
                   DeliveryStatus.CANCELED, DeliveryStatus.READ})

KEYWORD = """
-- KEYS: seen, optout, more   ARGV: seen_ttl_s, keyword -> false if seen before, else '' or the next part
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
redis.call('SET', KEYS[1], 'keyword', 'EX', ARGV[1])
if ARGV[2] == 'stop' then
  redis.call('SET', KEYS[2], '1')
elseif ARGV[2] == 'start' then
  redis.call('DEL', KEYS[2])
elseif ARGV[2] == 'more' then
  local part = redis.call('LPOP', KEYS[3])
  if part then return part end
end
return ''
"""

RESERVE = """
-- KEYS: number_day, overall_hour   ARGV: number_cap, overall_cap -> {cap or '', count}
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], 2 * 86400) end
if n > tonumber(ARGV[1]) then return {'number', n} end
local a = redis.call('INCR', KEYS[2])
if a == 1 then redis.call('EXPIRE', KEYS[2], 2 * 3600) end
if a > tonumber(ARGV[2]) then
  redis.call('DECR', KEYS[1])
  return {'overall', a}
end
return {'', 0}
"""

FORWARD = """
-- KEYS: status   ARGV: rank, status, error_code, ttl_s -> 1 if the status moved forward
local current = tonumber(redis.call('HGET', KEYS[1], 'rank') or '-1')
if tonumber(ARGV[1]) <= current then return 0 end
redis.call('HSET', KEYS[1], 'rank', ARGV[1], 'status', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[3]) end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""


@dataclass(frozen=True)
class CapHit:
    cap: str  # "number" or "overall"
    first: bool  # the first refusal in this period (log it once, not per message)


def optout_key(prefix: str, conversation: str) -> str:
    """The STOPP marker; the staff side reads it too (no reminders to an opted-out number)."""
    return f"{prefix}:twilio:optout:{conversation}"


class TwilioState:
    def __init__(self, redis: aioredis.Redis, prefix: str, settings: Settings) -> None:
        self._redis = redis
        self._root = prefix
        self._prefix = f"{prefix}:twilio"
        self._settings = settings
        self._keyword = redis.register_script(KEYWORD)
        self._reserve = redis.register_script(RESERVE)
        self._forward = redis.register_script(FORWARD)

    def key(self, kind: str, ident: str) -> str:
        return f"{self._prefix}:{kind}:{ident}"

    # --- inbound -----------------------------------------------------------------------------

    async def first_contact(self, conversation: str) -> bool:
        """True exactly once per conversation (and again after a year without contact)."""
        return bool(await self._redis.set(self.key("privacy", conversation), "1", nx=True,
                                          ex=PRIVACY_TTL_S))

    async def apply_keyword(self, seen_key: str, conversation: str, keyword: Keyword) -> str | None:
        """Apply ``keyword`` once per message: None for a redelivery; for MORE the next part
        ("" if there is none), else ""."""
        result = await self._keyword(
            keys=[seen_key, optout_key(self._root, conversation), self.key("more", conversation)],
            args=[self._settings.gateway_dedupe_ttl_s, keyword.value])
        return None if result is None else str(result)

    async def mark_window(self, conversation: str) -> None:
        """WhatsApp: the citizen wrote now, so free-form messages are allowed for 24 hours."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self.key("window", conversation), "1", ex=self._settings.twilio_whatsapp_window_s)
            pipe.delete(self.key("template", conversation))
            await pipe.execute()

    # --- outbound ----------------------------------------------------------------------------

    async def opted_out(self, conversation: str) -> bool:
        return bool(await self._redis.exists(optout_key(self._root, conversation)))

    async def opt_out(self, conversation: str) -> None:
        await self._redis.set(optout_key(self._root, conversation), "1")

    async def in_window(self, conversation: str) -> bool:
        return bool(await self._redis.exists(self.key("window", conversation)))

    async def claim_template(self, conversation: str) -> bool:
        """True once per closed window: only one re-engagement template, not one per message."""
        return bool(await self._redis.set(self.key("template", conversation), "1", nx=True,
                                          ex=self._settings.twilio_whatsapp_window_s))

    def _cap_keys(self, channel: Channel, conversation: str) -> list[str]:
        now = datetime.now(UTC)
        return [self.key("cap:number", f"{channel.value}:{conversation}:{now:%Y%m%d}"),
                self.key("cap:overall", f"{now:%Y%m%d%H}")]

    async def reserve(self, channel: Channel, conversation: str) -> CapHit | None:
        """Count one reply against both caps; a CapHit when it must not be sent."""
        s = self._settings
        cap, count = await self._reserve(keys=self._cap_keys(channel, conversation),
                                         args=[s.sms_daily_cap_per_number, s.sms_hourly_cap])
        if not cap:
            return None
        limit = s.sms_daily_cap_per_number if cap == "number" else s.sms_hourly_cap
        return CapHit(str(cap), int(count) == limit + 1)

    async def refund(self, channel: Channel, conversation: str) -> None:
        """A reserved reply was not sent after all (the send failed)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in self._cap_keys(channel, conversation):
                pipe.decr(key)
            await pipe.execute()

    async def keep_more(self, conversation: str, parts: list[str]) -> None:
        """The parts MEHR will send next; a new answer replaces (or clears) the old rest."""
        key = self.key("more", conversation)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if parts:
                pipe.rpush(key, *parts).expire(key, self._settings.sms_more_ttl_s)
            await pipe.execute()

    # --- delivery status ---------------------------------------------------------------------

    async def record_sent(self, sid: str, channel: Channel, conversation: str, item_key: str,
                          status: DeliveryStatus | None) -> None:
        key = self.key("status", sid)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(key, mapping={"channel": channel.value, "conversation": conversation,
                                    "item": item_key})
            pipe.expire(key, self._settings.delivery_record_ttl_s)
            await pipe.execute()
        if status is not None:
            await self.record_status(sid, status, "")

    async def record_status(self, sid: str, status: DeliveryStatus, error_code: str) -> bool:
        """Store ``status`` unless the message already reached it or a later one."""
        moved = await self._forward(keys=[self.key("status", sid)],
                                    args=[RANK[status], status.value, error_code,
                                          self._settings.delivery_record_ttl_s])
        return bool(moved)

    async def status(self, sid: str) -> dict[str, str]:
        return dict(await self._redis.hgetall(self.key("status", sid)))
