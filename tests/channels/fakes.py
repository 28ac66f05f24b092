"""Fakes of the gateway's neighbours, as real local HTTP servers (no mocks of HTTP).

* :class:`FakeCore` speaks the Rasa connector's API (``bot/connector.py``):
  bearer token, the same 400 checks, replay of the earlier responses for a
  known ``message_id`` with ``"replayed": true``, per-sender serialisation
  like Rasa's lock store, a configurable delay, and it can be stopped and
  started again on the same port to play "Rasa is down". It also answers
  the action server's ``/health`` so one fake serves ``/readyz``.
* :class:`Sink` is the citizen's device for the ``test`` channel: it
  records every delivery and can fail on purpose (5xx, 429, 4xx).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

CHANNEL_NAMES = frozenset({"webchat", "telegram", "sms", "whatsapp", "test"})
_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:@\-]{1,200}$")
MAX_TEXT = 10_000

Responder = Callable[[dict[str, Any]], list[dict[str, Any]]]


def echo(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Two responses per turn, so tests also see the order within one turn."""
    return [{"text": f"echo: {body['text']}"}, {"text": f"done: {body['text']}"}]


class _Server:
    def __init__(self) -> None:
        self.port = 0
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        raise NotImplementedError

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Start (again, on the same port once it had one)."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@dataclass
class CoreRequest:
    body: dict[str, Any]
    replayed: bool
    at: float = field(default_factory=time.monotonic)


class FakeCore(_Server):
    def __init__(self, token: str, responder: Responder = echo, delay: float = 0.0) -> None:
        super().__init__()
        self.token = token
        self.responder = responder
        self.delay = delay
        self.delays: dict[str, float] = {}  # by message text
        self.status: int | None = None  # answer every request with this status instead
        self.language: str | None = "de"
        self.intent: str | None = None  # NLU's intent, as the connector reports it
        self.requests: list[CoreRequest] = []  # requests that passed the checks
        self.attempts = 0  # every POST, refused ones included
        self.turns: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.started_turn = asyncio.Event()  # set whenever a (non-replayed) turn starts
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/webhooks/gateway/", self._health)
        app.router.add_post("/webhooks/gateway/webhook", self._webhook)
        app.router.add_get("/health", self._health)
        return app

    def texts_of(self, sender: str) -> list[str]:
        """Texts of the turns run for ``sender`` (replays not counted), in order."""
        return [r.body["text"] for r in self.requests if r.body["sender"] == sender and not r.replayed]

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _webhook(self, request: web.Request) -> web.Response:
        self.attempts += 1
        header = request.headers.get("Authorization", "")
        supplied = header[7:] if header.startswith("Bearer ") else ""
        if not hmac.compare_digest(supplied.encode(), self.token.encode()):
            return web.json_response({"error": "missing or wrong gateway token"}, status=403)
        if self.status is not None:
            return web.json_response({"error": "forced by the test"}, status=self.status)
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "body is not JSON"}, status=400)
        problem = _check(body)
        if problem:
            return web.json_response({"error": problem}, status=400)
        async with self._locks[body["sender"]]:  # Rasa's lock store: one turn per sender at a time
            key = (body["sender"], body["message_id"])
            if key in self.turns:
                self.requests.append(CoreRequest(body, replayed=True))
                return self._reply(self.turns[key], replayed=True)
            self.requests.append(CoreRequest(body, replayed=False))
            messages = self.responder(body)
            self.turns[key] = messages  # the tracker holds the turn even if the caller goes away
            self.started_turn.set()
            pause = self.delays.get(body["text"], self.delay)
            if pause:
                await asyncio.sleep(pause)
            return self._reply(messages, replayed=False)

    def _reply(self, messages: list[dict[str, Any]], replayed: bool) -> web.Response:
        return web.json_response({"messages": messages, "replayed": replayed,
                                  "language": self.language, "user_language": self.language,
                                  "intent": self.intent})


def _check(body: object) -> str | None:
    """The connector's request checks, with its error texts."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if not isinstance(body.get("sender"), str) or not _ID_PATTERN.match(body["sender"]):
        return "sender must be an id of letters, digits and _.:@-"
    if not isinstance(body.get("message_id"), str) or not _ID_PATTERN.match(body["message_id"]):
        return "message_id must be an id of letters, digits and _.:@-"
    if body.get("channel") not in CHANNEL_NAMES:
        return f"channel must be one of {sorted(CHANNEL_NAMES)}"
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        return f"text must be a non-empty string of at most {MAX_TEXT}"
    if not isinstance(body.get("metadata") or {}, dict):
        return "metadata must be an object"
    return None


class Sink(_Server):
    """Receives the test channel's deliveries."""

    def __init__(self) -> None:
        super().__init__()
        self.deliveries: list[dict[str, Any]] = []
        self.attempts: list[dict[str, Any]] = []
        self.failures: list[int] = []  # statuses to answer with before accepting, first one first
        self.always: int | None = None  # answer every attempt with this status
        self.fail_for: set[str] = set()  # recipients whose deliveries always fail with 500
        self.attempt_times: list[float] = []
        self.retry_after: str | None = None
        # when set: a delivery is accepted (in ``deliveries``), but its answer waits for this event,
        # as when the channel has the message and the reply is slow to come back
        self.hold: asyncio.Event | None = None
        self.changed = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/", self._receive)
        return app

    async def _receive(self, request: web.Request) -> web.Response:
        data = await request.json()
        self.attempts.append(data)
        self.attempt_times.append(time.monotonic())
        if data["to"] in self.fail_for:
            status = 500
        else:
            status = self.always or (self.failures.pop(0) if self.failures else 200)
        self.changed.set()
        if status != 200:
            headers = {"Retry-After": self.retry_after} if self.retry_after and status == 429 else None
            return web.json_response({"error": "test"}, status=status, headers=headers)
        self.deliveries.append(data)  # the device's id of the message, as a channel gives one
        sent_as = f"sink-{len(self.deliveries)}"
        if self.hold is not None:
            await self.hold.wait()
        return web.json_response({"ok": True}, headers={"X-Message-Id": sent_as})

    def texts(self, user: str) -> list[str]:
        """Texts delivered to ``user``, in delivery order."""
        return [d["body"].get("text", "") for d in self.deliveries if d["to"] == user]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("condition not met in time")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(remaining, 0.2))
