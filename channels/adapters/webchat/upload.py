"""``POST /webchat/upload``: a photo from the web chat, into the conversation like a typed message.

The widget sends the file's raw bytes with its session token
(``Authorization: Bearer <token>``) and a client message id
(``X-Webchat-Cmid``, made before the first attempt). Order of checks, and why:

1. ``Origin`` must be an allowed one (403), as for the WebSocket: another
   site must not post into a citizen's conversation with a stolen token.
2. The session token (401) and the cmid (400).
3. A retry of an upload that already reached the history (lost answer)
   is not stored again: its entry holds the ``att_`` id, and the intake
   dedupes by ``<session id>.<cmid>`` as for every web chat message.
4. Size (413, from ``Content-Length`` and again while reading, so a lying
   client cannot make us buffer more), the per-session hourly limit (429),
   the per-address hourly limit (WEBCHAT_UPLOADS_PER_IP_PER_HOUR, 429),
   the type by magic bytes (415), never by the client's ``Content-Type``.
5. Store in the case service (503 when it is unreachable; nothing is
   queued then), append to the history, hand to the intake, 202.

Errors carry the CORS header too, so a widget embedded on another allowed
site can read the status and tell the citizen what went wrong.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from aiohttp import web
from redis.exceptions import RedisError

from channels.adapters.webchat.protocol import valid_cmid
from channels.adapters.webchat.tokens import InvalidToken, Session
from channels.client_limits import count_in_window
from channels.errors import (
    BadRequest,
    GatewayError,
    PayloadTooLarge,
    SessionRequired,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    UnsupportedMediaType,
)
from channels.messages import Channel, InboundMessage, Media
from channels.uploads import sniff_image

if TYPE_CHECKING:
    from channels.adapters.webchat.adapter import WebChat
    from channels.intake import Intake

log = logging.getLogger(__name__)

PATH = "/webchat/upload"
CMID_HEADER = "X-Webchat-Cmid"
WINDOW_S = 3600
CHUNK = 64 * 1024


def _token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The body, refusing (413) as soon as it exceeds ``limit`` (the app's own body limit is
    far smaller and meant for webhooks; this route reads the stream itself)."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"photo larger than {limit} bytes")
    chunks, size = [], 0
    while chunk := await request.content.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"photo larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class Uploads:
    def __init__(self, adapter: WebChat, intake: Intake) -> None:
        self._adapter = adapter
        self._intake = intake

    def _cors(self, request: web.Request) -> dict[str, str]:
        origin = request.headers.get("Origin")
        if not self._adapter.origin_allowed(origin):
            return {}
        return {"Access-Control-Allow-Origin": str(origin), "Vary": "Origin"}

    async def preflight(self, request: web.Request) -> web.Response:
        """CORS preflight of a widget embedded on another allowed site (403 for other origins)."""
        headers = self._cors(request)
        if not headers:
            return web.json_response({"error": "origin not allowed"}, status=403)
        return web.Response(status=204, headers={
            **headers, "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": f"Authorization, Content-Type, {CMID_HEADER}",
            "Access-Control-Max-Age": "600"})

    async def handle(self, request: web.Request) -> web.Response:
        headers = self._cors(request)
        try:
            if not headers:
                raise Unauthenticated("origin not allowed")
            body = await self._accept(request)
            return web.json_response(body, status=202, headers=headers)
        except GatewayError as exc:
            if isinstance(exc, TooManyRequests):
                headers = {**headers, "Retry-After": str(exc.retry_after)}
            if exc.status >= 500:
                log.warning("web chat upload failed: %s", exc.reason)
            return web.json_response({"error": exc.reason}, status=exc.status, headers=headers)
        except RedisError as exc:
            log.warning("web chat upload not accepted: redis %s", type(exc).__name__)
            return web.json_response({"error": "temporarily unavailable, please retry"}, status=503,
                                     headers=headers)

    async def _accept(self, request: web.Request) -> dict[str, object]:
        adapter = self._adapter
        session = self._session(request)
        cmid = valid_cmid(request.headers.get(CMID_HEADER))
        conversation = adapter.conversation_of(session.session_id)
        media = await self._known(conversation, cmid)
        appended_seq: int | None = None
        if media is None:
            if not adapter.media.enabled:
                raise Unavailable("photo uploads are not configured")
            if request.content_length is not None and request.content_length > adapter.upload_max_bytes:
                raise PayloadTooLarge(f"photo larger than {adapter.upload_max_bytes} bytes")
            await self._count(conversation)
            await adapter.client_limits.check(adapter.upload_limit, request)
            data = await read_limited(request, adapter.upload_max_bytes)
            if not data:
                raise BadRequest("the body must be the photo's bytes")
            content_type = sniff_image(data)
            if content_type is None:
                raise UnsupportedMediaType("only JPEG, PNG or WebP photos")
            media = Media(await adapter.media.store(data, content_type), content_type)
            body = {"kind": "photo", "media": media.url, "content_type": content_type}
            appended = await adapter.history.append(conversation, f"c:{cmid}", "user", body, cmid)
            appended_seq = appended.seq
        message = InboundMessage(channel=Channel.WEBCHAT, channel_user_id=session.session_id,
                                 channel_message_id=f"{session.session_id}.{cmid}", media=(media,))
        accepted = await self._intake.accept(message)
        if appended_seq is not None and not accepted.duplicate and not accepted.emergency:
            with contextlib.suppress(RedisError):
                await adapter.history.publish_typing(conversation, appended_seq)
        log.info("web chat photo accepted conv=%s mid=%s duplicate=%s", conversation, accepted.message_id,
                 accepted.duplicate)
        return {"cmid": cmid, "duplicate": accepted.duplicate}

    def _session(self, request: web.Request) -> Session:
        try:
            return self._adapter.tokens.verify(_token(request))
        except InvalidToken as exc:
            raise SessionRequired("missing or invalid session token") from exc

    async def _known(self, conversation: str, cmid: str) -> Media | None:
        """The photo of an earlier attempt with this cmid, if it reached the history."""
        entry = await self._adapter.history.entry(conversation, f"c:{cmid}")
        if entry is None:
            return None
        body = entry.body
        if body.get("kind") != "photo" or not isinstance(body.get("media"), str):
            raise BadRequest("cmid already used for another message")
        return Media(body["media"], body.get("content_type"))

    async def _count(self, conversation: str) -> None:
        """Per-session hourly limit (fixed window in Redis, shared by every gateway process)."""
        count, retry_after = await count_in_window(
            self._adapter.redis, f"{self._adapter.prefix}:wc:uploads:{conversation}", WINDOW_S)
        if count > self._adapter.uploads_per_hour:
            raise TooManyRequests("too many photos in this conversation, please wait",
                                  retry_after=retry_after)


def routes(adapter: WebChat, intake: Intake) -> list[web.RouteDef]:
    uploads = Uploads(adapter, intake)
    return [web.post(PATH, uploads.handle), web.route("OPTIONS", PATH, uploads.preflight)]
