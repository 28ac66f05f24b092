"""The web chat channel: ``ChannelAdapter`` for the widget on the district's website.

Unlike the webhook channels, messages arrive over a WebSocket
(``connection.py``); each message frame is still verified (Origin and signed
session token) and parsed into an :class:`InboundMessage` here, and handed to
the same intake. Delivery (``send``) appends the rendered item to the
conversation's history in Redis, which publishes a wake-up to whichever
gateway process holds the citizen's socket (``hub.py``); the history is what
makes reloads and reconnects lose nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, web

from channels.adapter import AdapterDeps, Capabilities, Delivery, RenderContext, WebhookRequest
from channels.adapters.webchat import connection, pages, render, upload
from channels.adapters.webchat.history import History
from channels.adapters.webchat.hub import Hub
from channels.adapters.webchat.protocol import ChatMessage, decode
from channels.adapters.webchat.tokens import InvalidToken, Session, SessionTokens
from channels.client_limits import ClientLimits, Limit
from channels.errors import Unauthenticated
from channels.messages import Channel, InboundMessage, Outbound, Response
from channels.pseudonym import conversation_id
from channels.settings import Settings
from channels.uploads import MediaStore

if TYPE_CHECKING:
    from channels.intake import Intake

log = logging.getLogger(__name__)

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_origin(value: str) -> str | None:
    """``scheme://host[:port]`` as browsers send it in ``Origin`` (default port left out), or None."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    suffix = f":{port}" if port is not None and port != _DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{host}{suffix}"


def allowed_origins(settings: Settings) -> frozenset[str]:
    """WEBCHAT_ALLOWED_ORIGINS plus the gateway's own (PUBLIC_BASE_URL serves the demo page)."""
    values = [*settings.webchat_allowed_origins, settings.public_base_url]
    return frozenset(origin for origin in map(normalise_origin, values) if origin)


class WebChat:
    """Implements ``ChannelAdapter`` for the web chat."""

    channel = Channel.WEBCHAT
    capabilities = Capabilities(buttons=True, images=True, links=True)
    webhook_path = None  # a WebSocket, see routes()

    def __init__(self, deps: AdapterDeps, secret: str) -> None:
        settings = deps.settings
        self.tokens = SessionTokens(secret, settings.webchat_session_ttl_s)
        self.origins = allowed_origins(settings)
        self.frame_ancestors = settings.webchat_frame_ancestors
        self.content_is_example = settings.content_is_example
        self.history_ttl_s = settings.webchat_history_ttl_s
        self.history = History(deps.redis, deps.keys.prefix, settings.webchat_history_ttl_s)
        self.hub = Hub(deps.redis, self.history.events_channel)
        self.socket_url = f"{settings.public_base_url}{connection.PATH}"
        self._pseudonym_key = settings.pseudonym_key.get_secret_value().encode("utf-8")
        self._sockets: set[web.WebSocketResponse] = set()
        self.media = MediaStore(lambda: deps.http, settings.case_service_url, settings.case_service_token)
        self.upload_max_bytes = settings.webchat_upload_max_bytes
        self.uploads_per_hour = settings.webchat_uploads_per_hour
        self.redis = deps.redis
        self.prefix = deps.keys.prefix
        self.client_limits = ClientLimits(deps.redis, deps.keys.prefix, settings.gateway_trusted_proxies)
        self.connect_limit = Limit("connections", settings.webchat_connections_per_ip_per_minute, 60)
        self.message_limit = Limit("messages", settings.webchat_messages_per_ip_per_minute, 60)
        self.upload_limit = Limit("uploads", settings.webchat_uploads_per_ip_per_hour, 3600)

    # --- sessions and origins ----------------------------------------------------------------

    def origin_allowed(self, origin: str | None) -> bool:
        return origin is not None and normalise_origin(origin) in self.origins

    def open_session(self, token: str | None) -> tuple[Session, str, bool]:
        """(session, token to store, is it a new conversation) for a ``hello``'s token."""
        if token is not None:
            try:
                session = self.tokens.verify(token)
            except InvalidToken:
                log.info("web chat token refused; new session")
            else:
                if self.tokens.needs_refresh(session):
                    _, token = self.tokens.issue(session.session_id)
                return session, token, False
        session, fresh = self.tokens.issue()
        return session, fresh, True

    def upload_offer(self) -> dict[str, int] | None:
        """What the ``session`` frame tells the widget about photo uploads (None: they are off)."""
        return {"max_bytes": self.upload_max_bytes} if self.media.enabled else None

    def conversation_of(self, session_id: str) -> str:
        """The pseudonym the intake gives this session's messages (Redis keys use it too)."""
        return conversation_id(self._pseudonym_key, Channel.WEBCHAT, session_id)

    # --- ChannelAdapter ----------------------------------------------------------------------

    async def verify(self, request: WebhookRequest) -> None:
        """A message frame is genuine if the socket's Origin is allowed and its token is valid."""
        if not self.origin_allowed(request.headers.get("Origin")):
            raise Unauthenticated("origin not allowed")
        try:
            token = json.loads(request.body).get("token")
            self.tokens.verify(token)
        except (ValueError, AttributeError, RecursionError, InvalidToken) as exc:
            raise Unauthenticated("missing or invalid session token") from exc

    def parse_frame(self, request: WebhookRequest) -> tuple[ChatMessage, InboundMessage]:
        """The frame's content and the message for the intake (after ``verify``)."""
        data = decode(request.body)
        chat = ChatMessage.parse(data)
        try:
            session = self.tokens.verify(data.get("token"))
        except InvalidToken as exc:
            raise Unauthenticated("missing or invalid session token") from exc
        message = InboundMessage(
            channel=Channel.WEBCHAT,
            channel_user_id=session.session_id,
            # scoped by session: one browser's ids can never collide with (or pre-empt) another's
            channel_message_id=f"{session.session_id}.{chat.cmid}",
            text=chat.text,
            payload=chat.payload,
            location=chat.location,
            language_hint=chat.language,
        )
        return chat, message

    def parse(self, request: WebhookRequest) -> list[InboundMessage]:
        return [self.parse_frame(request)[1]]

    def acknowledge(self, messages: Sequence[InboundMessage]) -> web.Response:
        return web.json_response({"ok": True})  # acknowledgements travel as "ack" frames on the socket

    def render(self, responses: Sequence[Response], context: RenderContext) -> list[dict[str, Any]]:
        return render.render(responses, context)

    async def send(self, item: Outbound) -> Delivery:
        """Delivered = in the history; the history's wake-up reaches the socket wherever it is.

        A Redis error passes through: the append is idempotent per item, so the outbox repeats it."""
        appended = await self.history.append(item.conversation_id, f"b:{item.key}", "bot", dict(item.body))
        return Delivery(str(appended.seq))

    def routes(self, intake: Intake) -> list[web.RouteDef]:
        return [web.get(connection.PATH, connection.handler(self, intake)),
                web.get(connection.ORIGIN_PATH, connection.origin_handler(self)),
                *upload.routes(self, intake),
                *pages.routes(self.frame_ancestors, self.content_is_example)]

    async def close(self) -> None:
        await self.shutdown()
        await self.hub.close()

    # --- open sockets --------------------------------------------------------------------------

    def track(self, ws: web.WebSocketResponse) -> None:
        self._sockets.add(ws)

    def untrack(self, ws: web.WebSocketResponse) -> None:
        self._sockets.discard(ws)

    async def shutdown(self) -> None:
        """Close every open socket with 1001 (the widget reconnects, to this or another gateway).

        Belongs in the app's ``on_shutdown``: until the sockets are closed,
        aiohttp's graceful shutdown waits for their handlers."""
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"gateway restarting")


def create(deps: AdapterDeps) -> WebChat | None:
    secret = deps.settings.webchat_session_secret
    if secret is None or not secret.get_secret_value():
        return None
    return WebChat(deps, secret.get_secret_value())

