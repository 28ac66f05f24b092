"""The call-back offer: a citizen waiting longer than HANDOFF_MAX_WAIT_S is offered a call-back, once.

Runs as one lease job (one process at a time, ``leases.py``) that checks the
waiting queue every few seconds. The offer goes out through the notify path
(the outbox, deduplicated by a key of conversation and wait start), and the
hash field ``callback_offered`` makes it once per wait even when two
processes overlap during a lease takeover. Its buttons are the call-back
form (``/rueckruf``, handled by the dialogue core) and "zurück zum Bot".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from channels import handoff_texts, texts
from channels.adapter import ChannelAdapter
from channels.handoff import Handoffs
from channels.handoff_gate import CALLBACK_PAYLOAD, RELEASE_PAYLOAD
from channels.keys import Keys
from channels.leases import Job, LeaseHandle
from channels.messages import Button, Buttons, Channel
from channels.notify import Notifier
from channels.scripts import Scripts
from channels.settings import Settings

log = logging.getLogger(__name__)


def offer(language: str | None) -> Buttons:
    return Buttons(texts.pick(handoff_texts.CALLBACK_OFFER, language), (
        Button(texts.pick(handoff_texts.CALLBACK_BUTTON, language), CALLBACK_PAYLOAD),
        Button(texts.pick(handoff_texts.BACK_TO_BOT_BUTTON, language), RELEASE_PAYLOAD),
    ))


class CallbackOffers:
    def __init__(self, handoffs: Handoffs, notifier: Notifier, max_wait_s: float) -> None:
        self._handoffs = handoffs
        self._notifier = notifier
        self._max_wait = timedelta(seconds=max_wait_s)
        self.interval_s = min(15.0, max(0.05, max_wait_s / 4))

    async def check(self, now: datetime | None = None) -> int:
        """Offer a call-back to everyone waiting too long who has not had one; how many were offered."""
        cutoff = (now or datetime.now(UTC)) - self._max_wait
        offered = 0
        for waiting in await self._handoffs.waiting():
            if waiting.callback_offered or waiting.since > cutoff:
                continue
            key = f"callback-offer:{waiting.conversation}:{waiting.since.isoformat()}"
            added = await self._notifier.deliver(waiting.conversation, key, [offer(waiting.language)])
            if await self._handoffs.mark_callback_offered(waiting.conversation):
                await self._handoffs.log(waiting.conversation, "system", "Rückruf angeboten")
                offered += 1
                log.info("call-back offered conv=%s%s", waiting.conversation,
                         "" if added is not None else " (no address known)")
        return offered

    async def run(self, handle: LeaseHandle) -> None:
        while not handle.stopping:
            await self.check()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval_s):  # not wait_for: it can swallow a cancel
                    await handle.stop.wait()


def job(settings: Settings, redis: aioredis.Redis, scripts: Scripts, keys: Keys,
        adapters: Mapping[Channel, ChannelAdapter]) -> Job:
    """The lease job of the call-back offers, for the worker's lease keeper."""
    notifier = Notifier(settings, redis, scripts, keys, adapters)
    handoffs = Handoffs(redis, keys, settings.handoff_ttl_s)
    offers = CallbackOffers(handoffs, notifier, settings.handoff_max_wait_s)
    return Job("handoff call-back offers", keys.handoff_watch_lease, offers.run, balanced=False)
