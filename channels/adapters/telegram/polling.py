"""Long polling (``getUpdates``): Telegram without a public HTTPS address, e.g. on a laptop.

Every update goes through ``TelegramAdapter.take``, the same step the
webhook uses, so dedupe, emergency path, queueing and everything after are
identical. Why the details:

* **One poller per bot.** Telegram answers 409 Conflict when two
  ``getUpdates`` run at once, so gateway processes take a Redis lease
  (``<prefix>:lease:poll:telegram``, renewed every TTL/3) and only its
  holder polls; another process takes over after GATEWAY_LEASE_TTL_MS if
  the holder dies.
* **The offset moves only past updates that were taken.** An update is
  confirmed to Telegram (next ``offset``) once it is queued; while Redis is
  down the poller retries the same update instead of skipping it. A
  malformed update is skipped (logged): retrying cannot fix it.
* **A webhook excludes polling**, so polling starts with ``deleteWebhook``
  (pending updates are kept), as TELEGRAM_MODE=polling asks.
* **Cancelled means stopped.** redis-py 8 (socket timeout set, Python 3.11)
  can swallow a task's cancellation inside a command; a ``while True`` loop
  would then run on and hang the shutdown, so every loop here checks
  :func:`stop_if_cancelled` once per round and tasks are stopped with
  :func:`cancel_until_done`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from telegram.error import Conflict, Forbidden, InvalidToken, RetryAfter, TelegramError, TimedOut

from channels.adapters.telegram import wire
from channels.adapters.telegram.botapi import ALLOWED_UPDATES, retry_after_seconds
from channels.errors import BadRequest
from channels.tasks import cancel_until_done

if TYPE_CHECKING:
    from telegram import Update

    from channels.adapters.telegram.adapter import TelegramAdapter
    from channels.intake import Intake

log = logging.getLogger(__name__)

POLL_TIMEOUT_S = 25  # Telegram holds getUpdates open this long when there is nothing new
ERROR_PAUSE_S = 2.0
FATAL_PAUSE_S = 60.0  # wrong token: retrying often does not help


def stop_if_cancelled() -> None:
    """Raise CancelledError if this task was asked to stop, even if a library swallowed it."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class Poller:
    """The getUpdates loop of one process, running while it holds the poll lease."""

    def __init__(self, adapter: TelegramAdapter, intake: Intake, poll_timeout_s: int = POLL_TIMEOUT_S,
                 error_pause_s: float = ERROR_PAUSE_S) -> None:
        deps = adapter.deps
        self._adapter = adapter
        self._intake = intake
        self._redis = deps.redis
        self._scripts = adapter.scripts
        self._lease_key = f"{deps.keys.prefix}:lease:poll:telegram"
        self._ttl_ms = deps.settings.gateway_lease_ttl_ms
        self._poll_timeout_s = poll_timeout_s
        self._error_pause_s = error_pause_s
        self.offset: int | None = None

    async def run(self) -> None:
        """Poll whenever this process holds the poll lease; until cancelled."""
        while True:
            stop_if_cancelled()
            token = secrets.token_hex(8)
            try:
                held = await self._redis.set(self._lease_key, token, nx=True, px=self._ttl_ms)
            except RedisError:
                held = False
            if not held:
                await asyncio.sleep(self._ttl_ms / 3000)
                continue
            log.info("telegram polling: this process polls")
            try:
                await self._while_held(token)
            finally:
                with contextlib.suppress(RedisError):
                    await self._scripts.release(keys=[self._lease_key], args=[token])

    async def _while_held(self, token: str) -> None:
        poll = asyncio.create_task(self._poll(), name="telegram getUpdates")
        keep = asyncio.create_task(self._keep(token), name="telegram poll lease")
        try:
            await asyncio.wait([poll, keep], return_when=asyncio.FIRST_COMPLETED)
        finally:
            await cancel_until_done(poll, keep)

    async def _keep(self, token: str) -> None:
        """Renew the lease; return (stopping the poll) once it is lost."""
        while True:
            stop_if_cancelled()
            await asyncio.sleep(self._ttl_ms / 3000)
            try:
                renewed = await self._scripts.renew(keys=[self._lease_key], args=[token, self._ttl_ms])
            except RedisError:
                renewed = 1  # keep polling through a blip; the lease's TTL decides
            if not renewed:
                log.warning("telegram polling: lease lost; another process polls now")
                return

    async def _poll(self) -> None:
        try:
            bot = await self._adapter.ready_bot()
            await bot.delete_webhook(drop_pending_updates=False)
        except TelegramError as exc:
            log.warning("telegram polling: could not prepare (%s); trying getUpdates anyway",
                        type(exc).__name__)
        while True:
            stop_if_cancelled()
            try:
                bot = await self._adapter.ready_bot()
                updates = await bot.get_updates(offset=self.offset, timeout=self._poll_timeout_s,
                                                allowed_updates=list(ALLOWED_UPDATES))
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
                continue
            except TimedOut:
                continue
            except Conflict:
                log.warning("telegram polling: conflict (a webhook is set or another poller runs)")
                await asyncio.sleep(self._error_pause_s * 5)
                continue
            except (InvalidToken, Forbidden) as exc:
                log.error("telegram polling: Telegram refused the bot (%s)", type(exc).__name__)
                await asyncio.sleep(FATAL_PAUSE_S)
                continue
            except TelegramError as exc:
                log.warning("telegram polling: %s; retrying", type(exc).__name__)
                await asyncio.sleep(self._error_pause_s)
                continue
            for update in updates:
                await self._take(update)
                self.offset = update.update_id + 1

    async def _take(self, update: Update) -> None:
        while True:
            stop_if_cancelled()
            try:
                await self._adapter.take(wire.read_parsed(update), self._intake)
                return
            except BadRequest as exc:
                log.warning("telegram polling: skipped update %d: %s", update.update_id, exc.reason)
                return
            except RedisError as exc:
                log.warning("telegram polling: redis unavailable (%s); retrying", type(exc).__name__)
                await asyncio.sleep(self._error_pause_s)
