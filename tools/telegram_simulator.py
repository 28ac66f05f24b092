"""Chat with the bot as a Telegram user, in the terminal, without a Telegram account.

    .venv/bin/python -m tools.telegram_simulator                  # starts a gateway in this process
    .venv/bin/python -m tools.telegram_simulator --echo-core      # ... with an echo instead of Rasa
    .venv/bin/python -m tools.telegram_simulator --gateway http://127.0.0.1:8080 --api-port 8443
                                                                  # a running gateway

The simulator plays Telegram. It runs the fake Bot API of the tests
(``tests/channels/fake_telegram.py``) on 127.0.0.1, registers the gateway's
webhook there with the secret (``setWebhook``, as ``python -m
channels.telegram_cli set-webhook`` does with Telegram), turns each line
you type into the update JSON Telegram would send, and prints what the bot
sends through the fake Bot API - the text as the Telegram app shows it
(the HTML parsed), buttons numbered, link targets, a location request.
``--polling`` makes the gateway fetch the updates with getUpdates instead.

Without ``--gateway``, a gateway runs in this process with the settings of
``.env``/the environment (Redis, Rasa, PSEUDONYM_KEY, RASA_TOKEN - as ``make
run`` writes them), Telegram pointed at the fake and a Redis key prefix of
its own, so it does not disturb a gateway that is already running. With
``--gateway``, that gateway must have been started with
TELEGRAM_API_BASE=http://127.0.0.1:<--api-port> and the TELEGRAM_BOT_TOKEN /
TELEGRAM_WEBHOOK_SECRET this command sees (``--polling`` if it polls: the
updates then wait for its getUpdates).

What you can type: text is a message; a number chooses that button of the
bot's last message with buttons; ``/ort 51.35 7.69`` shares a location;
``/foto [Bildunterschrift]`` sends a photo; ``/sticker`` and
``/sprachnachricht`` send what the bot does not understand; ``/bearbeiten
<Text>`` edits your last message; ``/gruppe <Text>`` writes in a group
(the bot stays silent there); ``/start``, ``/hilfe``, ``/sprache`` and
``/loeschen`` go to the bot as commands; ``/quit`` (or Ctrl-D) ends.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any, TextIO

import redis.asyncio as aioredis
from aiohttp import web

from channels.adapters.telegram.botapi import ALLOWED_UPDATES, WEBHOOK_PATH, make_bot
from channels.app import ADAPTERS, INTAKE, create_app
from channels.messages import Channel
from channels.settings import Settings, describe_error
from tests.channels.fake_telegram import Citizen, FakeBotApi, SentMessage, group_message
from tests.channels.fakes import FakeCore

SIM_TOKEN = "7000000001:SIMulator-token-for-local-use_only"
QUIET_S = 1.0  # a turn is complete after this long without another message from the bot
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")  # a tiny JPEG for getFile
HELP = ("Text = Nachricht · Zahl = Schaltfläche · /ort 51.35 7.69 = Standort · /foto [Text] · /sticker · "
        "/sprachnachricht · /bearbeiten <Text> · /gruppe <Text> · /start /hilfe /sprache /loeschen · /quit")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.telegram_simulator",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--gateway", help="URL of a running gateway (default: start one in this process)")
    parser.add_argument("--api-port", type=int, default=0,
                        help="port of the fake Bot API (with --gateway: the port of its TELEGRAM_API_BASE)")
    parser.add_argument("--polling", action="store_true",
                        help="the gateway polls (getUpdates) instead of receiving the webhook")
    parser.add_argument("--echo-core", action="store_true",
                        help="answer with an echo instead of Rasa (no dialogue core needed)")
    parser.add_argument("--chat-id", type=int, default=4711, help="the simulated user's Telegram id")
    parser.add_argument("--name", default="Erika")
    parser.add_argument("--language", default="de", help="language_code of the simulated Telegram app")
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the first reply")
    parser.add_argument("--quiet", type=float, default=QUIET_S,
                        help="seconds without a new message after which the bot's answer is complete")
    return parser.parse_args(argv)


def describe(message: SentMessage) -> str:
    """One bot message as the terminal shows it: text, link targets, numbered buttons, keyboards."""
    head = "<< " if message.method == "sendMessage" else f"<< [Foto {message.params.get('photo')}] "
    lines = [head + line if number == 0 else f"   {line}"
             for number, line in enumerate((message.text or "").split("\n"))]
    lines += [f"   ({shown} -> {href})" for href, shown in message.links
              if href not in (shown, f"https://{shown}")]
    lines += [f"   [{number}] {button['text']}" for number, button in enumerate(message.buttons, start=1)]
    if message.asks_for_location:
        lines.append("   [📍 Standort senden: /ort <Breite> <Länge>, z. B. /ort 51.35 7.69]")
    return "\n".join(lines)


class Phone:
    """The simulated Telegram app: input lines become updates, the bot's messages are read back."""

    def __init__(self, api: FakeBotApi, citizen: Citizen) -> None:
        self.api = api
        self.citizen = citizen
        self.last_message_id: int | None = None

    def update_for(self, line: str) -> dict[str, Any] | str:
        """The update for one input line, or a hint for the person (str)."""
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if line.isdigit():
            menu = next((m for m in reversed(self.received()) if m.buttons), None)
            if menu is None or not 1 <= int(line) <= len(menu.buttons):
                return "(keine Schaltfläche mit dieser Nummer)"
            return self.citizen.press(menu, int(line) - 1)
        if word == "/ort":
            try:
                latitude, longitude = (float(part.replace(",", ".")) for part in rest.split())
            except ValueError:
                return "(so: /ort 51.35 7.69)"
            return self.citizen.location(latitude, longitude)
        if word == "/foto":
            file_id = f"AgACAgIAAxkBsim{secrets.token_hex(6)}"
            self.api.add_file(file_id, JPEG)
            return self.citizen.photo(file_id, caption=rest or None)
        if word == "/sticker":
            return self.citizen.sticker()
        if word == "/sprachnachricht":
            return self.citizen.voice()
        if word == "/gruppe":
            return group_message(self.api, self.citizen, rest or "Hallo zusammen")
        if word == "/bearbeiten":
            if self.last_message_id is None or not rest:
                return "(so: /bearbeiten <neuer Text>, nach einer eigenen Nachricht)"
            return self.citizen.edited(self.last_message_id, rest)
        update = self.citizen.text(line)
        self.last_message_id = update["message"]["message_id"]
        return update

    def received(self) -> list[SentMessage]:
        return self.api.messages_to(self.citizen.id)

    def activity(self) -> int:
        """Messages to us and answered button presses (an expired button answers on the button)."""
        return len(self.received()) + len(self.api.calls_of("answerCallbackQuery"))

    async def send(self, update: dict[str, Any], wait: float,
                   quiet: float = QUIET_S) -> tuple[int | None, list[SentMessage]]:
        """Deliver like Telegram; then the bot's messages: up to ``wait`` for the first, then until quiet."""
        seen, activity = len(self.received()), self.activity()
        status = await self.api.deliver(update)
        if status is not None and status >= 300:
            return status, []
        with contextlib.suppress(TimeoutError):
            await self.api.wait_for(lambda: self.activity() > activity, wait)
        while True:
            count = self.activity()
            with contextlib.suppress(TimeoutError):
                await self.api.wait_for(lambda before=count: self.activity() > before, quiet)
            if self.activity() == count:
                return status, self.received()[seen:]


async def lines(stream: TextIO) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, stream.readline)
        if not line:
            return
        yield line.rstrip("\n")


async def chat(phone: Phone, source: AsyncIterator[str], out: TextIO, wait: float, interactive: bool,
               quiet: float = QUIET_S) -> None:
    print(HELP, file=out, flush=True)
    if interactive:
        print(">> ", end="", file=out, flush=True)
    async for line in source:
        line = line.strip()
        if line == "/quit":
            break
        if line:
            if not interactive:
                print(f">> {line}", file=out, flush=True)
            update = phone.update_for(line)
            if isinstance(update, str):
                print(update, file=out, flush=True)
            elif "message" in update and update["message"]["chat"]["type"] != "private":
                await phone.api.deliver(update)
                print("(in Gruppen antwortet der Bot nicht)", file=out, flush=True)
            else:
                presses = len(phone.api.calls_of("answerCallbackQuery"))
                status, replies = await phone.send(update, wait, quiet)
                if status is not None and status >= 300:
                    print(f"!! Der Gateway antwortete {status} (Geheimnis, Einstellungen?)", file=out,
                          flush=True)
                for call in phone.api.calls_of("answerCallbackQuery")[presses:]:
                    if call.params.get("text"):
                        print(f"<< (Hinweis an der Schaltfläche) {call.params['text']}", file=out, flush=True)
                for message in replies:
                    print(describe(message), file=out, flush=True)
                if not replies and "callback_query" not in update:
                    print(f"(keine Antwort innerhalb von {wait:.0f} s)", file=out, flush=True)
        if interactive:
            print(">> ", end="", file=out, flush=True)


def echo(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The --echo-core answers: a menu for a greeting, a location request for "schaden", else an echo."""
    text = body["text"].strip().lower()
    if text in ("hallo", "hi", "moin", "hello"):
        return [{"text": "Guten Tag! Wählen Sie ein Thema:", "buttons": [
            {"title": "Personalausweis", "payload": '/faq{"topic":"personalausweis"}'},
            {"title": "Führerschein umtauschen (langer Payload)",
             "payload": '/faq{"topic":"fuehrerschein_umtausch","hinweis":"ein Payload über 64 Bytes"}'}]}]
    if "schaden" in text:
        return [{"text": "Wo genau ist der Schaden? Senden Sie Ihren Standort.",
                 "custom": {"request": "location"}}]
    return [{"text": f"Echo: {body['text']} <escaped> & https://www.maerkischer-kreis.de"}]


def _settings(api: FakeBotApi, secret: str, core: FakeCore | None, polling: bool) -> Settings:
    """.env and the environment, with Telegram pointed at the fake, no other channel, and a Redis
    prefix of our own."""
    overrides: dict[str, Any] = {
        "telegram_bot_token": api.token, "telegram_webhook_secret": secret,
        "telegram_mode": "polling" if polling else "webhook",
        "telegram_api_base": api.base, "gateway_redis_prefix": f"tgsim{uuid.uuid4().hex[:8]}",
        "test_channel_token": None, "twilio_account_sid": None, "webchat_session_secret": None,
    }
    if core is not None:  # no Rasa: its token and the pseudonym key do not matter
        overrides.update(rasa_url=core.url, rasa_token=core.token, action_server_url=core.url,
                         pseudonym_key="telegram-simulator-pseudonym-key")
    return Settings(**overrides)


async def _stop_gateway(runner: web.AppRunner, settings: Settings) -> None:
    await runner.cleanup()
    redis = aioredis.Redis.from_url(settings.redis_url)
    try:
        keys = [key async for key in redis.scan_iter(f"{settings.gateway_redis_prefix}:*", count=1000)]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


async def _register_webhook(api: FakeBotApi, url: str, secret: str) -> None:
    """What ``telegram_cli set-webhook`` does with Telegram, here with the fake."""
    handle = make_bot(api.base, api.token)
    try:
        await handle.bot.initialize()
        await handle.bot.set_webhook(url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES))
    finally:
        await handle.close()


async def run(args: argparse.Namespace, source: AsyncIterator[str], out: TextIO, interactive: bool) -> int:
    async with contextlib.AsyncExitStack() as stack:
        if args.gateway:  # a running gateway: the credentials it uses
            configured = Settings()
            token = configured.telegram_bot_token.get_secret_value() if configured.telegram_bot_token else ""
            secret = (configured.telegram_webhook_secret.get_secret_value()
                      if configured.telegram_webhook_secret else "")
            if not token or not args.api_port or not (secret or args.polling):
                print("--gateway needs --api-port and the gateway's TELEGRAM_BOT_TOKEN and "
                      "TELEGRAM_WEBHOOK_SECRET in .env or the environment", file=sys.stderr)
                return 2
        else:
            token, secret = SIM_TOKEN, secrets.token_urlsafe(24)
        api = FakeBotApi(token)
        api.port = args.api_port
        await api.start()
        stack.push_async_callback(api.stop)
        if args.gateway:
            gateway_url = args.gateway.rstrip("/")
        else:
            core = FakeCore("telegram-simulator-core-token", echo) if args.echo_core else None
            if core is not None:
                await core.start()
                stack.push_async_callback(core.stop)
            settings = _settings(api, secret, core, args.polling)
            app = create_app(settings)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            stack.push_async_callback(_stop_gateway, runner, settings)
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            gateway_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
            if args.polling:  # the adapter's polling loop, as the app runs it in polling mode
                await stack.enter_async_context(app[ADAPTERS][Channel.TELEGRAM].lifespan(app[INTAKE]))
        if not args.polling:
            await _register_webhook(api, f"{gateway_url}{WEBHOOK_PATH}", secret)
        print(f"Fake Bot API: {api.base}   Gateway: {gateway_url}   "
              f"Sie schreiben als {args.name} (Telegram-Id {args.chat_id}).", file=out, flush=True)
        citizen = Citizen(api, args.chat_id, first_name=args.name, language_code=args.language or None)
        phone = Phone(api, citizen)
        await chat(phone, source, out, args.wait, interactive, args.quiet)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="   [gateway] %(message)s")
    try:
        return asyncio.run(run(args, lines(sys.stdin), sys.stdout, sys.stdin.isatty()))
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # settings errors and unreachable services: one line, not a traceback
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            print(describe_error(exc), file=sys.stderr)
            return 2
        print(f"telegram_simulator: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
