"""Chat as an SMS (or WhatsApp) user with the local gateway, without a Twilio account.

    .venv/bin/python -m tools.sms_simulator                   # starts a gateway in this process
    .venv/bin/python -m tools.sms_simulator --echo-core       # ... with an echo instead of Rasa
    .venv/bin/python -m tools.sms_simulator --gateway http://127.0.0.1:8080   # a running gateway

It starts the fake Twilio of the tests (``tests/channels/fake_twilio.py``) on
127.0.0.1, posts each line you type to the gateway's Twilio webhook, signed
exactly as Twilio signs it, and prints every message the gateway sends back
through the fake Messages API with its segment count and encoding - what
the citizen would see and the district would pay for. The fake also plays
Twilio's delivery status callbacks (sent, delivered).

Without ``--gateway``, a gateway runs in this process with the settings of
``.env``/the environment (Redis, Rasa, PSEUDONYM_KEY, RASA_TOKEN - as ``make
run`` writes them), the Twilio settings pointed at the fake and a Redis key
prefix of its own, so it does not disturb a gateway that is already running.
With ``--gateway``, that gateway must have been started with
TWILIO_API_BASE=http://127.0.0.1:<--twilio-port> and the same
TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN / PUBLIC_BASE_URL as this command sees.

Type /neu for a new phone number (a new conversation), /quit to leave.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, TextIO

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web

from channels.app import create_app
from channels.settings import Settings, describe_error
from tests.channels.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    WHATSAPP_FROM,
    FakeTwilio,
    SentMessage,
    inbound_params,
    post_signed,
)
from tests.channels.fakes import FakeCore

INBOUND_PATH = "/webhooks/twilio/sms"
QUIET_S = 1.0  # a turn is complete after this long without another message


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.sms_simulator", description=__doc__.split("\n")[0])
    parser.add_argument("--gateway", help="URL of a running gateway (default: start one in this process)")
    parser.add_argument("--twilio-port", type=int, default=0,
                        help="port of the fake Twilio API (with --gateway: the port of its TWILIO_API_BASE)")
    parser.add_argument("--number", default=None, help="the citizen's phone number (default: a random one)")
    parser.add_argument("--whatsapp", action="store_true", help="write as a WhatsApp user")
    parser.add_argument("--echo-core", action="store_true",
                        help="answer with an echo instead of Rasa (no dialogue core needed)")
    parser.add_argument("--wait", type=float, default=30.0,
                        help="seconds to wait for the first reply (none comes after STOPP)")
    return parser.parse_args(argv)


def random_number() -> str:
    return f"+49151{random.randint(10_000_000, 99_999_999)}"


def describe(message: SentMessage) -> str:
    """One reply as the simulator shows it: a header with the costs, then the text indented."""
    if message.whatsapp:
        head = f"WhatsApp, {len(message.body)} Zeichen"
    else:
        unit = "Segment" if message.segments == 1 else "Segmente"
        head = f"{message.segments} {unit}, {message.encoding}, {len(message.body)} Zeichen"
    extra = []
    if message.params.get("MediaUrl"):
        extra.append(f"Medien: {', '.join(message.params['MediaUrl'])}")
    if message.params.get("ContentSid"):
        extra.append(f"Vorlage (ContentSid): {message.params['ContentSid']}")
    body = "\n".join(f"  | {line}" for line in (message.body or "").split("\n"))
    return "\n".join([f"<< [{head}]", body, *(f"  {line}" for line in extra)])


@dataclass
class Session:
    """The simulated phone: sends signed webhooks and reads what the fake Twilio received."""

    http: aiohttp.ClientSession
    twilio: FakeTwilio
    gateway_url: str
    public_base_url: str
    auth_token: str
    account_sid: str
    sender: str

    async def send(self, text: str) -> int:
        params = inbound_params(self.sender, text, account_sid=self.account_sid,
                                to=WHATSAPP_FROM if self.sender.startswith("whatsapp:") else FROM_NUMBER)
        status, _ = await post_signed(self.http, f"{self.gateway_url}{INBOUND_PATH}", params,
                                      signed_url=f"{self.public_base_url}{INBOUND_PATH}",
                                      token=self.auth_token)
        return status

    def received(self) -> list[SentMessage]:
        return self.twilio.to(self.sender)

    async def replies(self, seen: int, wait: float) -> list[SentMessage]:
        """The messages after ``seen``: waits up to ``wait`` for the first, then until quiet."""
        with contextlib.suppress(TimeoutError):
            await self.twilio.wait_for(lambda: len(self.received()) > seen, wait)
        count = len(self.received())
        while True:
            with contextlib.suppress(TimeoutError):
                await self.twilio.wait_for(lambda before=count: len(self.received()) > before, QUIET_S)
            if len(self.received()) == count:
                return self.received()[seen:]
            count = len(self.received())


async def lines(stream: TextIO) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, stream.readline)
        if not line:
            return
        yield line.rstrip("\n")


async def chat(session: Session, source: AsyncIterator[str], out: TextIO, wait: float,
               interactive: bool) -> None:
    print(f"Sie schreiben als {session.sender}. /neu: neue Nummer, /quit: beenden.", file=out, flush=True)
    if interactive:
        print(">> ", end="", file=out, flush=True)
    async for line in source:
        if line.strip() == "/quit":
            break
        if line.strip() == "/neu":
            prefix = "whatsapp:" if session.sender.startswith("whatsapp:") else ""
            session.sender = prefix + random_number()
            print(f"Neue Nummer: {session.sender}", file=out, flush=True)
        elif line.strip():
            seen = len(session.received())
            status = await session.send(line)
            if status != 200:
                print(f"!! Der Gateway antwortete {status} (Signatur, Einstellungen?)", file=out, flush=True)
            else:
                replies = await session.replies(seen, wait)
                for message in replies:
                    print(describe(message), file=out, flush=True)
                if not replies:
                    print(f"(keine Antwort innerhalb von {wait:.0f} s)", file=out, flush=True)
        if interactive:
            print(">> ", end="", file=out, flush=True)


def echo(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The --echo-core answers: a menu for a greeting, a long text for "lang", else an echo."""
    text = body["text"]
    if text.strip().lower() in ("hallo", "hi", "moin"):
        return [{"text": "Guten Tag! Wählen Sie ein Thema:", "buttons": [
            {"title": "Personalausweis", "payload": '/faq{"topic":"personalausweis"}'},
            {"title": "Termin vereinbaren", "payload": "/termin_buchen"}]}]
    if text.strip().lower() == "lang":
        return [{"text": " ".join(f"Dies ist der {i}. Satz einer langen Antwort – mit „Zitat“ und 30 €."
                                  for i in range(1, 16))}]
    return [{"text": f"Echo: {text}"}]


def _settings(twilio: FakeTwilio, core: FakeCore | None) -> Settings:
    """.env and the environment, with Twilio pointed at the fake and a Redis prefix of our own.
    PUBLIC_BASE_URL stays as configured: the simulator signs over it, as Twilio would."""
    overrides: dict[str, Any] = {
        "twilio_account_sid": twilio.account_sid, "twilio_auth_token": twilio.auth_token,
        "twilio_from_number": FROM_NUMBER, "twilio_messaging_service_sid": None,
        "twilio_whatsapp_from": WHATSAPP_FROM, "twilio_api_base": twilio.url,
        "gateway_redis_prefix": f"smssim{uuid.uuid4().hex[:8]}", "test_channel_token": None,
    }
    if core is not None:  # no Rasa: its token and the pseudonym key do not matter
        overrides.update(rasa_url=core.url, rasa_token=core.token, action_server_url=core.url,
                         pseudonym_key="sms-simulator-pseudonym-key")
    return Settings(**overrides)


async def run(args: argparse.Namespace, source: AsyncIterator[str], out: TextIO, interactive: bool) -> int:
    sender = ("whatsapp:" if args.whatsapp else "") + (args.number or random_number())
    async with contextlib.AsyncExitStack() as stack:
        http = await stack.enter_async_context(aiohttp.ClientSession())
        if args.gateway:  # a running gateway: use the credentials it uses
            settings = Settings()
            secret = settings.twilio_auth_token
            twilio = FakeTwilio(settings.twilio_account_sid or ACCOUNT_SID,
                                secret.get_secret_value() if secret else AUTH_TOKEN)
        else:
            twilio = FakeTwilio()
        twilio.port = args.twilio_port
        await twilio.start()
        stack.push_async_callback(twilio.stop)
        if args.gateway:
            gateway_url = args.gateway.rstrip("/")
        else:
            core = FakeCore("sms-simulator-core-token", echo) if args.echo_core else None
            if core is not None:
                await core.start()
                stack.push_async_callback(core.stop)
            settings = _settings(twilio, core)
            runner = web.AppRunner(create_app(settings), access_log=None)
            await runner.setup()
            stack.push_async_callback(_stop_gateway, runner, settings)
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            gateway_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        twilio.callbacks = ["sent", "delivered"]
        twilio.callback_target = gateway_url  # like a reverse proxy in front of the gateway
        print(f"Fake Twilio: {twilio.url}   Gateway: {gateway_url}   "
              f"(signiert für {settings.public_base_url})", file=out, flush=True)
        session = Session(http, twilio, gateway_url, settings.public_base_url, twilio.auth_token,
                          twilio.account_sid, sender)
        await chat(session, source, out, args.wait, interactive)
    return 0


async def _stop_gateway(runner: web.AppRunner, settings: Settings) -> None:
    await runner.cleanup()
    redis = aioredis.Redis.from_url(settings.redis_url)
    try:
        keys = [key async for key in redis.scan_iter(f"{settings.gateway_redis_prefix}:*", count=1000)]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The in-process gateway's warnings (a dead letter "opted out", a cap reached) are worth seeing.
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
        print(f"sms_simulator: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
