"""The Telegram channel (python-telegram-bot 22 for the wire types and the Bot API calls).

Modules: ``wire`` (updates in -> our types), ``render`` (responses -> HTML
bodies), ``adapter`` (webhook, intake, sending), ``polling`` (getUpdates),
``botapi`` (the bot, allowed updates, error translation), ``texts``.
The command ``python -m channels.telegram_cli`` registers or removes the
webhook, shows ``getWebhookInfo`` and can run the poller on its own.

Settings: TELEGRAM_BOT_TOKEN (unset: the channel is off), TELEGRAM_MODE
``webhook`` (default; needs TELEGRAM_WEBHOOK_SECRET, which Telegram sends in
``X-Telegram-Bot-Api-Secret-Token``) or ``polling``, TELEGRAM_API_BASE.

Webhook: ``POST /webhooks/telegram`` on the public port (webhook mode only).

What citizens can send: text, edited text (a new message), inline button
presses, a shared location, photos (kept as media ``telegram:<file_id>``),
``/start`` (privacy notice + greeting), ``/hilfe``, ``/sprache``,
``/loeschen``. Stickers, voice messages and the like get one polite
sentence; group chats and channel posts are ignored.

**Asking for the location or a photo** (schema in ``channels/README.md``):
a response with ``custom: {request: location}`` gets a one-tap "📍 Standort
senden" one-time reply keyboard (on the question itself when it has no
inline buttons); ``{request: photo}`` adds a sentence pointing to the
paperclip. The answer arrives as a location or photo message.

Redis keys of this channel (under GATEWAY_REDIS_PREFIX): ``tg:cb:<key>``
long button payloads, ``lease:poll:telegram`` the poller's lease, and the
rate limiter's ``rate:telegram:global`` / ``rate:telegram:chat:<conversation>``.
"""

from __future__ import annotations

import logging

from channels.adapter import AdapterDeps
from channels.adapters.telegram.adapter import TelegramAdapter

__all__ = ["TelegramAdapter", "create", "quiet_loggers"]


def quiet_loggers() -> None:
    """Keep the bot token and citizens' messages out of the logs, also at GATEWAY_LOG_LEVEL=DEBUG:
    httpx logs every request URL at INFO (Bot API URLs contain the token), python-telegram-bot
    logs the parameters of every call (chat ids, texts) at DEBUG."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.INFO)
    logging.getLogger("telegram").setLevel(logging.INFO)


def create(deps: AdapterDeps) -> TelegramAdapter | None:
    """The adapter, or None when TELEGRAM_BOT_TOKEN is unset (the settings already refuse
    webhook mode without a secret)."""
    settings = deps.settings
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    if not token:
        return None
    quiet_loggers()
    secret = settings.telegram_webhook_secret
    return TelegramAdapter(deps, token, secret.get_secret_value() if secret else None,
                           polling=settings.telegram_mode == "polling")
