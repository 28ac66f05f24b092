"""One browser's WebSocket: session, replay, intake of messages, delivery from the history.

Order of events on a connection, and why:

1. ``Origin`` is checked before the upgrade (403): a page on another site
   must not open a chat in the citizen's name (cross-site WebSocket hijacking).
2. ``hello``: the browser's token is verified, or a new session is issued.
3. The socket joins the hub *before* it reads the history, so an entry
   appended after that read always rings its doorbell (no gap).
4. The writer sends every history entry after the number the browser said
   it has, then whatever each wake-up brings; the reader takes messages.
   A script opening socket after socket meets the per-address limits
   (WEBCHAT_CONNECTIONS_PER_IP_PER_MINUTE before the upgrade, 429;
   WEBCHAT_MESSAGES_PER_IP_PER_MINUTE per message, ``too_fast``).
5. A message is appended to the history first (deduplicated by its cmid),
   then handed to the intake (deduplicated by its channel message id), then
   acknowledged. A crash in between makes the browser send it again with
   the same cmid: it appears once and is answered once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, WSMsgType, web
from redis.exceptions import RedisError

from channels.adapter import WebhookRequest
from channels.adapters.webchat.history import REPLAY_LIMIT
from channels.adapters.webchat.hub import stop_task
from channels.adapters.webchat.protocol import MAX_FRAME, MESSAGE_TYPES, Hello, decode
from channels.adapters.webchat.tokens import Session
from channels.errors import BadRequest, TooManyRequests, Unauthenticated

if TYPE_CHECKING:
    from channels.adapters.webchat.adapter import WebChat
    from channels.adapters.webchat.hub import Listener
    from channels.intake import Intake

log = logging.getLogger(__name__)

PATH = "/webchat/ws"
# The browser hides why a socket failed (a refused Origin looks like a network error), so the widget
# asks here whether its page may chat at all, and tells the citizen instead of retrying for ever.
ORIGIN_PATH = "/webchat/origin"
HELLO_TIMEOUT_S = 15.0
HEARTBEAT_S = 25.0  # keeps proxies from closing an idle chat, and finds dead peers
BURST = 10  # messages a socket may send at once (a queue typed while offline) ...
REFILL_PER_S = 0.5  # ... and then one every two seconds; a citizen types slower than that
CLOSE_UNAUTHENTICATED = 4403
CLOSE_BAD_REQUEST = 4400


class _Bucket:
    """Per-socket token bucket: a script hammering the chat must not flood the dialogue core."""

    def __init__(self) -> None:
        self._tokens = float(BURST)
        self._at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self._tokens = min(BURST, self._tokens + (now - self._at) * REFILL_PER_S)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class ChatConnection:
    def __init__(self, adapter: WebChat, intake: Intake, request: web.Request, ws: web.WebSocketResponse,
                 session: Session) -> None:
        self._adapter = adapter
        self._intake = intake
        self._request = request
        self._ws = ws
        self._session = session
        self._conversation = adapter.conversation_of(session.session_id)
        self._lock = asyncio.Lock()
        self._bucket = _Bucket()

    async def send(self, frame: dict[str, Any]) -> None:
        if self._ws.closed:
            return
        async with self._lock:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self._ws.send_json(frame)

    async def run(self, after: int) -> None:
        history, hub = self._adapter.history, self._adapter.hub
        try:
            listener = await hub.join(self._conversation)
            last = await history.last_seq(self._conversation)
        except (TimeoutError, RedisError):
            await self.send({"type": "error", "code": "unavailable"})
            await self._ws.close(code=WSCloseCode.TRY_AGAIN_LATER)
            return
        if after > last:  # the browser shows entries that expired here
            await self.send({"type": "reset"})
            after = 0
        writer = asyncio.create_task(self._write(listener, after), name="webchat writer")
        try:
            async for message in self._ws:
                if message.type == WSMsgType.TEXT:
                    await self._on_frame(message.data)
                elif message.type == WSMsgType.BINARY:
                    await self.send({"type": "error", "code": "bad_request"})
        finally:
            hub.leave(listener)
            await stop_task(writer)

    async def _write(self, listener: Listener, after: int) -> None:
        """Send history entries after ``after`` whenever the doorbell rings; then ``ready`` once.

        A typing notice goes out before the entries of the same wake-up and
        only while no bot entry after the citizen's message was sent yet, so
        the widget never sees "typing" after the answer it announces."""
        history, sent, last_bot, ready = self._adapter.history, after, 0, False
        while not self._ws.closed:
            await listener.wait()
            typing_after, listener.typing_after = listener.typing_after, None
            if typing_after is not None and typing_after >= last_bot:
                await self.send({"type": "typing", "after": typing_after})
            try:
                entries = await history.after(self._conversation, sent)
                for entry in entries:
                    await self.send(entry.frame())
                    sent = entry.seq
                    if entry.sender == "bot":
                        last_bot = entry.seq
                if len(entries) >= REPLAY_LIMIT:
                    listener.wake()  # more than one page: read on before waiting
                    continue
                if not ready:
                    last = await history.last_entry(self._conversation)
                    pending = last is not None and last.sender == "user"
                    await self.send({"type": "ready", "last": sent, "pending": pending})
                    ready = True
            except RedisError as exc:
                log.warning("web chat history unavailable (%s); retrying", type(exc).__name__)
                await asyncio.sleep(1.0)
                listener.wake()

    async def _address_allowed(self) -> bool:
        """The per-address limit over all sockets (many sockets from one script share it)."""
        try:
            await self._adapter.client_limits.check(self._adapter.message_limit, self._request)
        except TooManyRequests:
            return False
        except RedisError:
            pass  # the intake below reports Redis' state to the browser
        return True

    async def _on_frame(self, raw: str) -> None:
        try:
            data = decode(raw)
        except BadRequest:
            await self.send({"type": "error", "code": "bad_request"})
            return
        if data.get("type") not in MESSAGE_TYPES:
            await self.send({"type": "error", "code": "bad_request"})
            return
        cmid = data.get("cmid") if isinstance(data.get("cmid"), str) else None
        if not self._bucket.take() or not await self._address_allowed():
            await self.send({"type": "error", "code": "too_fast", "cmid": cmid})
            return
        request = WebhookRequest(method="WS", path=PATH, public_url=self._adapter.socket_url,
                                 headers=self._request.headers, body=raw.encode("utf-8"),
                                 content_type="application/json")
        try:
            await self._adapter.verify(request)
            chat, message = self._adapter.parse_frame(request)
            if message.channel_user_id != self._session.session_id:
                raise Unauthenticated("token of another session")
        except Unauthenticated:
            await self.send({"type": "error", "code": "unauthenticated", "cmid": cmid})
            await self._ws.close(code=CLOSE_UNAUTHENTICATED)
            return
        except BadRequest:
            await self.send({"type": "error", "code": "bad_request", "cmid": cmid})
            return
        try:
            appended = await self._adapter.history.append(
                self._conversation, f"c:{chat.cmid}", "user", chat.history_body(), chat.cmid)
            accepted = await self._intake.accept(message)
        except RedisError as exc:
            log.warning("web chat message not accepted: redis %s", type(exc).__name__)
            await self.send({"type": "error", "code": "unavailable", "cmid": chat.cmid})
            return
        await self.send({"type": "ack", "cmid": chat.cmid, "duplicate": accepted.duplicate})
        if not accepted.duplicate and not accepted.emergency:
            with contextlib.suppress(RedisError):
                await self._adapter.history.publish_typing(self._conversation, appended.seq)


def origin_handler(adapter: WebChat) -> web.Handler:
    """``{"allowed": bool}`` for the request's ``Origin``, readable from any page (curl learns the same)."""

    async def handle(request: web.Request) -> web.Response:
        return web.json_response({"allowed": adapter.origin_allowed(request.headers.get("Origin"))},
                                 headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"})

    return handle


def handler(adapter: WebChat, intake: Intake) -> web.Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        if not adapter.origin_allowed(request.headers.get("Origin")):
            raise Unauthenticated("origin not allowed")
        await adapter.client_limits.check(adapter.connect_limit, request)
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=MAX_FRAME)
        await ws.prepare(request)
        adapter.track(ws)
        try:
            try:
                first = await ws.receive(timeout=HELLO_TIMEOUT_S)
                if first.type != WSMsgType.TEXT:
                    raise BadRequest("the first frame must be hello")
                hello = Hello.parse(decode(first.data))
            except (TimeoutError, BadRequest):
                await ws.close(code=CLOSE_BAD_REQUEST)
                return ws
            session, token, new = adapter.open_session(hello.token)
            connection = ChatConnection(adapter, intake, request, ws, session)
            await connection.send({"type": "session", "token": token, "new": new,
                                   "retention_hours": max(1, adapter.history_ttl_s // 3600),
                                   "upload": adapter.upload_offer()})
            await connection.run(0 if new else hello.after)
        finally:
            adapter.untrack(ws)
        return ws

    return handle
