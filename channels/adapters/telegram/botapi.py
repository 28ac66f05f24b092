"""The Bot API seam: how the bot is built, what it asks Telegram for, and its errors.

One place for what the adapter, the poller and ``channels.telegram_cli``
share: the ``telegram.Bot`` pointed at TELEGRAM_API_BASE as DESIGN.md
specifies (``{base}/bot<token>/<method>``, files under ``{base}/file/bot``),
the update kinds we handle, and the one translation of python-telegram-bot's
errors into the gateway's ``DeliveryError``.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from datetime import timedelta

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from channels.errors import DeliveryError

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# The update kinds wire.py handles; setWebhook and getUpdates ask Telegram for these only.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
# The command menu Telegram clients show (setMyCommands); wire.COMMANDS understands them.
COMMAND_MENU = (
    ("start", "Begrüßung und Hinweis zum Datenschutz"),
    ("hilfe", "Was ich beantworten kann"),
    ("sprache", "Sprache wählen"),
    ("loeschen", "Ihre Daten löschen"),
)


@dataclass(frozen=True)
class BotHandle:
    """A bot and the two HTTP clients it owns (one for getUpdates, whose reads wait long)."""

    bot: Bot
    requests: tuple[HTTPXRequest, HTTPXRequest]

    async def close(self) -> None:
        """Close both clients, also when the bot was never initialized."""
        for request in self.requests:
            with contextlib.suppress(Exception):
                await request.shutdown()


def make_bot(api_base: str, token: str) -> BotHandle:
    requests = (HTTPXRequest(connection_pool_size=64, read_timeout=15.0),
                HTTPXRequest(connection_pool_size=2, read_timeout=10.0))
    bot = Bot(token, base_url=f"{api_base}/bot", base_file_url=f"{api_base}/file/bot",
              request=requests[0], get_updates_request=requests[1])
    return BotHandle(bot, requests)


def retry_after_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds, whether PTB gives an int or (PTB_TIMEDELTA) a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def delivery_error(exc: TelegramError) -> DeliveryError:
    """The one translation of python-telegram-bot's errors. Reasons are fixed texts or Telegram's
    own description - never ``str(exc)`` of InvalidToken, which quotes the token."""
    if isinstance(exc, RetryAfter):
        return DeliveryError("telegram rate limit (429)", retryable=True,
                             retry_after=retry_after_seconds(exc))
    if isinstance(exc, Forbidden):
        return DeliveryError("telegram forbidden (403): bot blocked or chat gone", retryable=False)
    if isinstance(exc, InvalidToken):
        return DeliveryError("telegram rejected the bot token", retryable=False)
    if isinstance(exc, ChatMigrated):
        return DeliveryError("telegram chat migrated (group chats are not served)", retryable=False)
    if isinstance(exc, BadRequest):  # a subclass of NetworkError: before it
        return DeliveryError(f"telegram bad request: {exc.message[:160]}", retryable=False)
    if isinstance(exc, TimedOut):
        return DeliveryError("telegram timed out", retryable=True)
    if isinstance(exc, NetworkError):
        return DeliveryError("telegram unreachable or server error", retryable=True)
    return DeliveryError(f"telegram error {type(exc).__name__}", retryable=True)
