"""No personal data in any log: conversations on every channel with distinctive personal data, through
the gateway as ``python -m channels`` (web and worker process), the real Rasa server and action
server, then every process's output is searched for that data.

The same run checks that Rasa and the action server, started the way ``make run`` starts them
(scripts/stack.py), listen on loopback only.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from tests.channels import fake_twilio
from tests.channels.conftest import PSEUDONYM_KEY, REDIS_URL, GatewayProcess, process_env
from tests.channels.fake_telegram import SECRET, TOKEN, Citizen, FakeBotApi, post_update
from tests.channels.listening import LOOPBACKS, listening_on

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

twilio_api = fake_twilio.twilio_api  # fixture

ORIGIN = "https://www.maerkischer-kreis.de"
TELEGRAM_ID = 918273645
NAME = "Quirinus Wendelbrecht"
EMAIL = "quirinus.wendelbrecht@example.org"
PHONE = "0176 5551 2389"
SMS_NUMBER = "+4917655512389"
WHATSAPP_NUMBER = "+4915255598761"
SENTENCE = "Mein Nachbar Quirinus verbrennt jeden Dienstag Gartenabfälle hinter der Scheune"
# What must appear in no log, in every spelling a log might use.
SECRETS = [str(TELEGRAM_ID), NAME, "Quirinus", "Wendelbrecht", EMAIL, PHONE, PHONE.replace(" ", ""),
           SMS_NUMBER, SMS_NUMBER[1:], "17655512389", WHATSAPP_NUMBER, WHATSAPP_NUMBER[1:],
           SENTENCE, "Gartenabfälle hinter der Scheune", "Gartenabf\\u00e4lle"]


@pytest.fixture
async def telegram() -> AsyncIterator[FakeBotApi]:
    fake = FakeBotApi(TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def gateway(real_core, telegram, twilio_api, tmp_path: Path, prefix: str,
                  http: aiohttp.ClientSession) -> AsyncIterator[GatewayProcess]:
    env = process_env({
        "pseudonym_key": PSEUDONYM_KEY, "redis_url": REDIS_URL, "gateway_redis_prefix": prefix,
        "gateway_partitions": 4, "gateway_worker_processes": 1,
        "rasa_url": real_core.rasa_url, "rasa_token": real_core.token,
        "action_server_url": real_core.action_server_url, "rasa_timeout_s": 60,
        "telegram_bot_token": TOKEN, "telegram_webhook_secret": SECRET, "telegram_api_base": telegram.base,
        **fake_twilio.twilio_settings(twilio_api, twilio_whatsapp_from=fake_twilio.WHATSAPP_FROM),
        "webchat_session_secret": "webchat-secret-for-the-log-test", "webchat_allowed_origins": ORIGIN,
        "case_service_token": "case-service-token-for-the-log-test",
        "database_url": f"sqlite:///{tmp_path / 'cases.db'}",
    })
    process = GatewayProcess(env, tmp_path / "gateway.log")
    await process.ready(http, timeout=60)
    twilio_api.callback_target = process.url
    yield process
    await process.terminate()


class WebChat:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.token = ""

    async def hello(self) -> None:
        await self.ws.send_json({"type": "hello", "token": None, "after": 0, "language": "de-DE"})
        while (frame := await self._frame(30))["type"] != "session":
            pass
        self.token = frame["token"]

    async def _frame(self, timeout: float) -> dict[str, Any]:
        message = await self.ws.receive(timeout=timeout)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        return json.loads(message.data)

    async def say(self, text: str) -> str:
        """Send ``text``; the bot's answers, once it has been quiet for two seconds."""
        await self.ws.send_json({"type": "message", "token": self.token, "cmid": uuid.uuid4().hex,
                                 "text": text, "language": "de-DE"})
        answers: list[str] = []
        while True:
            try:
                frame = await self._frame(90 if not answers else 2)
            except TimeoutError:
                return "\n".join(answers)
            if frame["type"] == "message" and frame.get("from") == "bot":
                answers.append(json.dumps(frame["body"], ensure_ascii=False))


async def quiet(count, timeout: float = 90) -> None:
    """Until ``count()`` grew and then stayed put for two seconds."""
    before = count()
    async with asyncio.timeout(timeout):
        while count() == before:
            await asyncio.sleep(0.1)
        while True:
            seen = count()
            await asyncio.sleep(2)
            if count() == seen:
                return


async def test_no_personal_data_in_any_log(real_core, gateway: GatewayProcess, telegram: FakeBotApi,
                                           twilio_api, http: aiohttp.ClientSession) -> None:
    # web chat: the call-back form with name, phone number and e-mail typed in
    chat = WebChat(await http.ws_connect(f"{gateway.url}/webchat/ws", origin=ORIGIN))
    await chat.hello()
    greeting = f"Guten Tag, hier ist {NAME}. Können Sie mich bitte zurückrufen?"
    assert "Worum geht es" in await chat.say(greeting)
    assert "Telefonnummer" in await chat.say("Elterngeld")
    assert "erreichbar" in await chat.say(PHONE)
    assert "55512389" in await chat.say(f"Vormittag, sonst per Mail an {EMAIL}")
    assert await chat.say("ja")
    assert await chat.say(SENTENCE)
    await chat.ws.close()

    # Telegram: a user with a distinctive id and name
    citizen = Citizen(telegram, TELEGRAM_ID, first_name="Quirinus")
    for text in (f"Ich bin {NAME}, erreichbar unter {EMAIL}", SENTENCE):
        assert await post_update(http, f"{gateway.url}/webhooks/telegram", citizen.text(text)) == 200
        await quiet(lambda: len(telegram.messages_to(TELEGRAM_ID)))

    # SMS and WhatsApp from distinctive numbers
    inbound = f"{gateway.url}{fake_twilio.INBOUND_PATH}"
    signed = f"{fake_twilio.PUBLIC_BASE_URL}{fake_twilio.INBOUND_PATH}"
    for sender in (SMS_NUMBER, f"whatsapp:{WHATSAPP_NUMBER}"):
        for text in (f"Hallo, {NAME} hier, Mail {EMAIL}, Telefon {PHONE}", SENTENCE):
            params = fake_twilio.inbound_params(sender, text)
            status, _ = await fake_twilio.post_signed(http, inbound, params, signed_url=signed)
            assert status == 200
            await quiet(lambda sender=sender: len(twilio_api.to(sender)))

    # Rasa and the action server, started as `make run` starts them, listen on loopback only.
    for url in (real_core.rasa_url, real_core.action_server_url):
        found = listening_on(urlsplit(url).port or 0)
        assert found and found <= LOOPBACKS, (url, found)

    assert await gateway.terminate() == 0  # flushes every process's output
    logs = {path.name: path.read_text(encoding="utf-8", errors="replace")
            for path in [gateway.log, real_core.log_dir / "rasa.log", real_core.log_dir / "actions.log"]}
    # the logs were written: the gateway logged each channel's messages (masked ids only)
    for channel in ("webchat", "telegram", "sms", "whatsapp"):
        assert re.search(rf"queued channel={channel} ", logs["gateway.log"]), channel
    assert "worker process" in logs["gateway.log"]  # the worker process's output is in it too
    assert "Rasa server is up and running" in logs["rasa.log"] or "Starting Rasa server" in logs["rasa.log"]
    found = [(name, secret) for name, text in logs.items() for secret in SECRETS
             if secret.lower() in text.lower()]
    assert found == []
