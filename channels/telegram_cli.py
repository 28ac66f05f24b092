"""``python -m channels.telegram_cli``: the Telegram bot's webhook, command menu and poller.

    set-webhook [--drop-pending-updates] [--url URL]
        register PUBLIC_BASE_URL/webhooks/telegram (or URL) with TELEGRAM_WEBHOOK_SECRET
        as the secret token and only the update kinds the gateway handles
    delete-webhook [--drop-pending-updates]
        remove it (e.g. before switching to TELEGRAM_MODE=polling)
    info
        getWebhookInfo: URL, pending updates, last error
    set-commands
        the command menu Telegram clients show (/start, /hilfe, /sprache, /loeschen)
    poll
        run the long-polling intake in this process until Ctrl-C, for a gateway
        whose app does not poll itself; the gateway (TELEGRAM_MODE=polling)
        still processes and answers. Only one poller per bot runs (Redis lease).

Settings come from the environment / ``.env`` like the gateway's. Output
never contains the bot token. Exit codes: 0 done, 1 Telegram refused or
could not be reached (one line saying why), 2 configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from datetime import UTC, datetime

import aiohttp
import redis.asyncio as aioredis
from telegram import Bot, BotCommand
from telegram.error import TelegramError

from channels import logmask
from channels.adapter import AdapterDeps
from channels.adapters.telegram import TelegramAdapter, quiet_loggers
from channels.adapters.telegram.botapi import (
    ALLOWED_UPDATES,
    COMMAND_MENU,
    WEBHOOK_PATH,
    delivery_error,
    make_bot,
)
from channels.intake import Intake
from channels.keys import Keys
from channels.messages import Channel
from channels.metrics import Metrics
from channels.outbox import RateLimiter
from channels.scripts import Scripts
from channels.settings import Settings, load_settings


class ConfigurationError(Exception):
    """A setting the command needs is missing (exit code 2)."""


def webhook_url(settings: Settings) -> str:
    return f"{settings.public_base_url}{WEBHOOK_PATH}"


async def set_webhook(bot: Bot, settings: Settings, url: str | None = None,
                      drop_pending_updates: bool = False) -> str:
    secret = settings.telegram_webhook_secret
    if secret is None or not secret.get_secret_value():
        raise ConfigurationError("TELEGRAM_WEBHOOK_SECRET is not set")
    target = url or webhook_url(settings)
    await bot.set_webhook(target, secret_token=secret.get_secret_value(),
                          allowed_updates=list(ALLOWED_UPDATES), drop_pending_updates=drop_pending_updates)
    dropped = " (pending updates dropped)" if drop_pending_updates else ""
    return f"webhook set: {target}; updates: {', '.join(ALLOWED_UPDATES)}{dropped}"


async def delete_webhook(bot: Bot, drop_pending_updates: bool = False) -> str:
    await bot.delete_webhook(drop_pending_updates=drop_pending_updates)
    return "webhook deleted" + (" (pending updates dropped)" if drop_pending_updates else "")


async def webhook_info(bot: Bot) -> str:
    info = await bot.get_webhook_info()
    lines = [f"url: {info.url or '(none: updates wait for getUpdates)'}",
             f"pending updates: {info.pending_update_count}"]
    if info.allowed_updates:
        lines.append(f"allowed updates: {', '.join(info.allowed_updates)}")
    if info.max_connections:
        lines.append(f"max connections: {info.max_connections}")
    if info.last_error_date or info.last_error_message:
        when = info.last_error_date
        stamp = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if isinstance(when, datetime) else "?"
        lines.append(f"last error: {stamp}: {info.last_error_message or '(no message)'}")
    else:
        lines.append("last error: none")
    return "\n".join(lines)


async def set_commands(bot: Bot) -> str:
    await bot.set_my_commands([BotCommand(name, description) for name, description in COMMAND_MENU])
    return "commands set: " + ", ".join(f"/{name}" for name, _ in COMMAND_MENU)


async def run_poller(settings: Settings, stop: asyncio.Event) -> None:
    """The polling intake on its own: the same adapter and intake the gateway app builds."""
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    if not token:
        raise ConfigurationError("TELEGRAM_BOT_TOKEN is not set")
    redis = aioredis.Redis.from_url(settings.redis_url, decode_responses=True, socket_connect_timeout=5)
    keys = Keys(settings.gateway_redis_prefix)
    scripts = Scripts.register(redis)
    deps = AdapterDeps(settings, redis, keys, RateLimiter(scripts, keys))
    adapter = TelegramAdapter(deps, token, None, polling=True)
    intake = Intake(settings, redis, scripts, keys, {Channel.TELEGRAM: adapter}, Metrics())
    try:
        async with aiohttp.ClientSession() as http:
            deps.set_http(http)
            async with adapter.lifespan(intake):
                await stop.wait()
    finally:
        await adapter.close()
        await redis.aclose()


async def _bot_command(settings: Settings, args: argparse.Namespace) -> str:
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    if not token:
        raise ConfigurationError("TELEGRAM_BOT_TOKEN is not set")
    handle = make_bot(settings.telegram_api_base, token)
    try:
        await handle.bot.initialize()
        if args.command == "set-webhook":
            return await set_webhook(handle.bot, settings, args.url, args.drop_pending_updates)
        if args.command == "delete-webhook":
            return await delete_webhook(handle.bot, args.drop_pending_updates)
        if args.command == "set-commands":
            return await set_commands(handle.bot)
        return await webhook_info(handle.bot)
    finally:
        await handle.close()


async def _poll(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print("polling Telegram; Ctrl-C stops", file=sys.stderr, flush=True)
    await run_poller(settings, stop)


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(prog="python -m channels.telegram_cli",
                                          description="Telegram webhook, command menu and poller.")
    commands = main_parser.add_subparsers(dest="command", required=True)
    set_parser = commands.add_parser("set-webhook", help="register the gateway's webhook with the secret")
    set_parser.add_argument("--url", help=f"instead of PUBLIC_BASE_URL{WEBHOOK_PATH}")
    set_parser.add_argument("--drop-pending-updates", action="store_true")
    delete_parser = commands.add_parser("delete-webhook", help="remove the webhook")
    delete_parser.add_argument("--drop-pending-updates", action="store_true")
    commands.add_parser("info", help="getWebhookInfo: pending updates, last error")
    commands.add_parser("set-commands", help="the command menu of the Telegram clients")
    commands.add_parser("poll", help="run the long-polling intake until Ctrl-C")
    return main_parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = load_settings()
    logmask.configure(settings.gateway_log_level)
    quiet_loggers()
    try:
        if args.command == "poll":
            with contextlib.suppress(asyncio.CancelledError):
                asyncio.run(_poll(settings))
            return 0
        print(asyncio.run(_bot_command(settings, args)))
        return 0
    except ConfigurationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except TelegramError as exc:
        print(delivery_error(exc).reason, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
