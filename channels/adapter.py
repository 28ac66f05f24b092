"""The seam between the core and a channel: one small Protocol and what adapters get.

A channel is one module in ``channels/adapters/`` implementing
:class:`ChannelAdapter`: ``verify`` (is it really the channel?), ``parse``
(wire format -> :class:`InboundMessage`), ``render`` (responses -> the
channel's outbound bodies) and ``send`` (one body to the citizen). The core
does everything between: dedupe, queueing, ordering, pseudonyms, the
dialogue core, the outbox with its retries.

Adding a channel touches that module, its line in the registry
(``channels/adapters/__init__.py``), its settings and its tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web

from channels.keys import Keys
from channels.messages import Channel, InboundMessage, Outbound, Response
from channels.settings import Settings

if TYPE_CHECKING:
    from channels.intake import Intake
    from channels.outbox import RateLimiter


@dataclass(frozen=True)
class Capabilities:
    """What a channel can show; sent to Rasa as metadata and used for rendering."""

    buttons: bool = True
    images: bool = True
    links: bool = True
    markup: str | None = None  # "html" for Telegram, None for plain text
    max_text: int | None = None  # characters per message, if the channel has a limit

    def as_metadata(self) -> dict[str, Any]:
        return {"buttons": self.buttons, "images": self.images, "links": self.links,
                "markup": self.markup, "max_text": self.max_text}


@dataclass(frozen=True)
class WebhookRequest:
    """An HTTP request as an adapter needs it: read once, framework-free, easy to test.

    ``public_url`` is the URL the channel called, built from PUBLIC_BASE_URL
    (not from the proxy's Host header) - Twilio signs exactly that URL.
    """

    method: str
    path: str
    public_url: str
    headers: Mapping[str, str]
    body: bytes
    content_type: str
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RenderContext:
    """What rendering may depend on besides the responses (deterministic per turn)."""

    conversation_id: str
    language: str | None = None


@dataclass(frozen=True)
class Delivery:
    """A successful send; ``channel_message_id`` is the channel's id for it, if any."""

    channel_message_id: str | None = None


@runtime_checkable
class ChannelAdapter(Protocol):
    """One channel. Errors: ``errors.Unauthenticated``, ``BadRequest``, ``DeliveryError``."""

    channel: Channel
    capabilities: Capabilities
    # POST route of the channel's webhook on the public port, or None (web chat uses a WebSocket).
    webhook_path: str | None

    async def verify(self, request: WebhookRequest) -> None:
        """Raise ``Unauthenticated`` unless the request comes from the channel. Runs before parse."""

    def parse(self, request: WebhookRequest) -> list[InboundMessage]:
        """The messages in a verified request ([] for updates we ignore); ``BadRequest`` if malformed."""

    def acknowledge(self, messages: Sequence[InboundMessage]) -> web.Response:
        """The 2xx the channel expects once the messages are safely queued."""

    def render(self, responses: Sequence[Response], context: RenderContext) -> list[dict[str, Any]]:
        """Channel bodies for the responses, in order; pure and deterministic."""

    async def send(self, item: Outbound) -> Delivery:
        """Deliver one rendered body; raise ``DeliveryError`` (retryable or not) on failure.

        ``RedisError`` may pass through only where nothing reached the citizen
        yet, or where repeating the send is harmless: the outbox then waits for
        Redis and sends again, without counting an attempt. Bookkeeping after
        the channel accepted the message must not raise."""

    def routes(self, intake: Intake) -> list[web.RouteDef]:
        """Extra public routes (web chat WebSocket, delivery status callbacks); usually []."""

    async def close(self) -> None:
        """Release what the adapter holds (sessions, tasks)."""


class AdapterDeps:
    """What an adapter may use; given to its factory when the app is created.

    Adapters are created before the event loop runs (their routes must be
    known then), so the HTTP session, which needs a running loop, is opened
    later by the app and reached through :attr:`http` while the app runs.
    """

    def __init__(self, settings: Settings, redis: aioredis.Redis, keys: Keys, limiter: RateLimiter) -> None:
        self.settings = settings
        self.redis = redis
        self.keys = keys
        self.limiter = limiter
        self._http: aiohttp.ClientSession | None = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError("the HTTP client session exists only while the app runs")
        return self._http

    def set_http(self, session: aiohttp.ClientSession | None) -> None:
        self._http = session


AdapterFactory = Callable[[AdapterDeps], ChannelAdapter | None]
