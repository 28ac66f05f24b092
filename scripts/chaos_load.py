"""The citizens of `make chaos`: Telegram, SMS and web chat conversations, sent as the channels send.

Every message is delivered like its channel delivers it, and again when the
delivery fails, as Telegram and Twilio retry a webhook that got no 2xx
(here: every 0.5 s for up to ``RESEND_FOR_S``, each time to the next gateway,
as a load balancer in front of them would):

* Telegram: the update as the Bot API posts it, with the secret header
  (``fake_telegram.Citizen``); its channel message id is the update id.
* SMS: Twilio's form, signed with ``X-Twilio-Signature`` over
  PUBLIC_BASE_URL + path (``fake_twilio.post_signed``); id: the MessageSid.
* Web chat: a WebSocket per conversation, like the widget: ``hello`` with
  the session token and the last history number seen, a ``message`` frame
  with the browser's ``cmid``, acknowledged by an ``ack`` frame. A dropped
  socket is opened again to the next gateway and unacknowledged messages
  are sent again with the same cmid.

A message counts as accepted once a gateway acknowledged it (2xx, or the
web chat's ``ack``). ``DUPLICATE_SHARE`` of the messages are delivered once
or twice more after that, with the same ids, as channels do after a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from bench_scale_load import Sent

from channels.messages import Channel
from channels.pseudonym import message_id
from tests.channels.fake_telegram import Citizen, FakeBotApi, post_update
from tests.channels.fake_twilio import INBOUND_PATH, inbound_params, message_sid, post_signed

ORIGIN = "https://www.maerkischer-kreis.de"  # the web chat's allowed origin
PUBLIC_BASE_URL = "https://buergerservice.example.de"  # what Twilio signs
CHANNELS = (Channel.TELEGRAM, Channel.SMS, Channel.WEBCHAT)
RETRY_PAUSE_S = 0.5
RESEND_FOR_S = 300.0  # Telegram keeps retrying for hours; no fault here lasts this long
REQUEST_TIMEOUT_S = 15.0
ACK_TIMEOUT_S = 10.0
DUPLICATE_SHARE = 0.10


@dataclass
class Message(Sent):
    """One citizen message; ``user`` is "<channel>-<conversation number>"."""

    channel: Channel = Channel.TEST
    conversation: int = 0
    text: str = ""
    acked_at: float | None = None
    copies: int = 1  # how often it is delivered: 2 or 3 for the duplicated share


class WebChatCitizen:
    """One browser tab with the widget: its socket, session token and the bot entries it got."""

    def __init__(self, http: aiohttp.ClientSession, gateways: Sequence[str]) -> None:
        self.http = http
        self.gateways = gateways
        self.token: str | None = None
        self.last_seq = 0
        self.bot_entries: dict[int, float] = {}  # history number -> first arrival
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._waiting: dict[str, asyncio.Future[bool]] = {}
        self._lock = asyncio.Lock()
        self._next = 0

    @property
    def session_id(self) -> str | None:
        return self.token.split(".")[1] if self.token else None

    async def _socket(self) -> aiohttp.ClientWebSocketResponse:
        async with self._lock:
            if self._ws is not None and not self._ws.closed:
                return self._ws
            url = self.gateways[self._next % len(self.gateways)].replace("http://", "ws://")
            self._next += 1
            ws = await self.http.ws_connect(f"{url}/webchat/ws", headers={"Origin": ORIGIN}, heartbeat=5,
                                            timeout=aiohttp.ClientWSTimeout(ws_close=5))
            await ws.send_json({"type": "hello", "token": self.token, "after": self.last_seq,
                                "language": "de-DE"})
            frame = await ws.receive_json(timeout=REQUEST_TIMEOUT_S)
            if frame.get("type") != "session":
                await ws.close()
                raise ConnectionError(f"no session: {frame}")
            self.token = frame["token"]
            self._ws = ws
            self._reader = asyncio.create_task(self._read(ws))
            return ws

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for raw in ws:
            if raw.type != aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(raw.data)
            kind = frame.get("type")
            if kind == "message":
                self.last_seq = max(self.last_seq, int(frame["seq"]))
                if frame.get("from") == "bot":
                    self.bot_entries.setdefault(int(frame["seq"]), time.monotonic())
            elif kind == "reset":
                self.last_seq = 0
            elif kind in ("ack", "error") and frame.get("cmid") in self._waiting:
                waiting = self._waiting.pop(frame["cmid"])
                if not waiting.done():
                    waiting.set_result(kind == "ack")
        for waiting in self._waiting.values():  # the socket is gone: send again
            if not waiting.done():
                waiting.set_result(False)

    async def send(self, cmid: str, text: str) -> bool:
        """One attempt: True once the gateway acknowledged the message."""
        try:
            ws = await self._socket()
            waiting = self._waiting[cmid] = asyncio.get_running_loop().create_future()
            await ws.send_json({"type": "message", "token": self.token, "cmid": cmid, "text": text,
                                "language": "de-DE"})
            return await asyncio.wait_for(waiting, ACK_TIMEOUT_S)
        except (aiohttp.ClientError, ConnectionError, TimeoutError, RuntimeError, ValueError):
            await self.drop()
            return False

    async def drop(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        self._ws = None

    async def close(self) -> None:
        await self.drop()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


@dataclass
class Citizens:
    """All conversations of a run and how each channel's messages are delivered."""

    http: aiohttp.ClientSession
    gateways: Sequence[str]
    telegram: FakeBotApi
    pseudonym_key: str
    conversations: int
    seed: int = 8
    webchat: dict[int, WebChatCitizen] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self.telegram_users = {i: Citizen(self.telegram, 7_000_000 + i) for i in range(self.conversations)}
        for i in range(self.conversations):
            if CHANNELS[i % len(CHANNELS)] is Channel.WEBCHAT:
                self.webchat[i] = WebChatCitizen(self.http, self.gateways)

    @staticmethod
    def sms_number(conversation: int) -> str:
        return f"+4915200{conversation:05d}"

    def message(self, n: int, text: str, due: float) -> tuple[Message, Any]:
        """Message ``n`` of the run and what goes over the wire for it (built once: resends are equal)."""
        conversation = n % self.conversations
        channel = CHANNELS[conversation % len(CHANNELS)]
        wire: Any
        if channel is Channel.TELEGRAM:
            wire = self.telegram_users[conversation].text(text)
            cmid = str(wire["update_id"])
        elif channel is Channel.SMS:
            cmid = message_sid()
            wire = inbound_params(self.sms_number(conversation), text, cmid)
        else:
            cmid = f"chaos{n:06d}"
            wire = text
        mid = "" if channel is Channel.WEBCHAT else message_id(self.pseudonym_key.encode(), channel, cmid)
        copies = 1 + (self.random.choice((1, 2)) if self.random.random() < DUPLICATE_SHARE else 0)
        message = Message(f"{channel.value}-{conversation}", cmid, mid, due, channel=channel,
                          conversation=conversation, text=text, copies=copies)
        return message, wire

    async def _once(self, message: Message, wire: Any, gateway: str) -> bool:
        try:
            if message.channel is Channel.TELEGRAM:
                status = await asyncio.wait_for(
                    post_update(self.http, f"{gateway}/webhooks/telegram", wire), REQUEST_TIMEOUT_S)
            elif message.channel is Channel.SMS:
                status, _ = await asyncio.wait_for(post_signed(
                    self.http, f"{gateway}{INBOUND_PATH}", wire,
                    signed_url=f"{PUBLIC_BASE_URL}{INBOUND_PATH}"), REQUEST_TIMEOUT_S)
            else:
                return await self.webchat[message.conversation].send(message.channel_message_id, wire)
        except (aiohttp.ClientError, TimeoutError, OSError):
            return False
        return 200 <= status < 300

    async def deliver(self, message: Message, wire: Any, n: int) -> None:
        """Until acknowledged (resending to the next gateway), then the duplicates."""
        for copy in range(message.copies):
            if copy:
                await asyncio.sleep(self.random.uniform(0.1, 3.0))
            began = time.monotonic()
            if not copy:
                message.first_try = began
            while time.monotonic() - began < RESEND_FOR_S:
                gateway = self.gateways[(n + message.attempts) % len(self.gateways)]
                message.attempts += 1
                if await self._once(message, wire, gateway):
                    if not copy:
                        message.acked, message.acked_at = True, time.monotonic()
                    break
                await asyncio.sleep(RETRY_PAUSE_S)
            if not message.acked:
                return

    def finish_ids(self, messages: Sequence[Message]) -> None:
        """Web chat message ids, known once the session exists: hash of '<session id>.<cmid>'."""
        for message in messages:
            if message.channel is Channel.WEBCHAT and not message.mid:
                session = self.webchat[message.conversation].session_id
                if session:
                    message.mid = message_id(self.pseudonym_key.encode(), Channel.WEBCHAT,
                                             f"{session}.{message.channel_message_id}")

    async def close(self) -> None:
        for citizen in self.webchat.values():
            await citizen.close()


async def run_load(citizens: Citizens, questions: Sequence[str], count: int, rate: float,
                   messages: list[Message]) -> None:
    """Open loop: message n is due at n / rate s, whatever happened to the ones before."""
    start = time.monotonic() + 0.05
    tasks = []
    for n in range(count):
        due = start + n / rate
        pause = due - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        message, wire = citizens.message(n, questions[n % len(questions)], due)
        messages.append(message)
        tasks.append(asyncio.create_task(citizens.deliver(message, wire, n)))
    await asyncio.gather(*tasks)
