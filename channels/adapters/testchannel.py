"""The ``test`` channel: a minimal real channel for tests and benchmarks.

Inbound: ``POST /webhooks/test`` with ``Authorization: Bearer
<TEST_CHANNEL_TOKEN>`` and a JSON body::

    {"user": "u1", "id": "m1", "text": "Hallo"}           # or "payload": "/intent"
    optional: "location": {"lat": .., "lon": ..}, "media": [{"url": ..}], "language": "de"

Outbound: each rendered item is POSTed as JSON to TEST_CHANNEL_SINK_URL
(a fake "citizen device" in the tests), so delivery failures are real HTTP
failures: 429 and 5xx are retried, other 4xx are not.

The channel is off unless TEST_CHANNEL_TOKEN is set.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from channels.adapter import AdapterDeps, Capabilities, Delivery, RenderContext, WebhookRequest
from channels.errors import BadRequest, DeliveryError, Unauthenticated
from channels.messages import Channel, InboundMessage, Location, Media, Outbound, Response, response_to_dict

if TYPE_CHECKING:
    from channels.intake import Intake

MAX_TEXT = 4096
MAX_ID = 200


def _string(body: dict[str, Any], name: str, limit: int, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise BadRequest(f"{name} must be a non-empty string of at most {limit} characters")
    return value


class TestChannel:
    """Implements ``ChannelAdapter`` for the ``test`` channel."""

    __test__ = False  # not a pytest test class
    channel = Channel.TEST
    capabilities = Capabilities(buttons=True, images=True, links=True)
    webhook_path = "/webhooks/test"

    def __init__(self, token: str, sink_url: str | None, deps: AdapterDeps) -> None:
        self._token = token.encode("utf-8")
        self._sink_url = sink_url
        self._deps = deps

    async def verify(self, request: WebhookRequest) -> None:
        header = request.headers.get("Authorization", "")
        supplied = header[7:] if header.startswith("Bearer ") else ""
        if not hmac.compare_digest(supplied.encode("utf-8"), self._token):
            raise Unauthenticated("missing or wrong test channel token")

    def parse(self, request: WebhookRequest) -> list[InboundMessage]:
        if not request.content_type.startswith("application/json"):
            raise BadRequest("body must be application/json")
        try:
            body = json.loads(request.body)
        except (ValueError, RecursionError) as exc:  # not JSON, a nesting bomb or a 10,000-digit number
            raise BadRequest("body is not JSON") from exc
        if not isinstance(body, dict):
            raise BadRequest("body must be a JSON object")
        try:
            location = body.get("location")
            parsed_location = Location(float(location["lat"]), float(location["lon"])) if location else None
            parsed_media = tuple(Media(str(m["url"]), m.get("content_type")) for m in body.get("media") or ())
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadRequest("location needs numeric lat and lon in range; media items need a url") from exc
        try:
            return [InboundMessage(
                channel=Channel.TEST,
                channel_user_id=_string(body, "user", MAX_ID, required=True) or "",
                channel_message_id=_string(body, "id", MAX_ID, required=True) or "",
                text=_string(body, "text", MAX_TEXT),
                payload=_string(body, "payload", MAX_TEXT),
                location=parsed_location,
                media=parsed_media,
                language_hint=_string(body, "language", 20),
            )]
        except ValueError as exc:  # InboundMessage's own checks; fixed texts, no user data
            raise BadRequest(str(exc)) from exc

    def acknowledge(self, messages: Sequence[InboundMessage]) -> web.Response:
        return web.json_response({"ok": True})

    def render(self, responses: Sequence[Response], context: RenderContext) -> list[dict[str, Any]]:
        return [response_to_dict(response) for response in responses]

    async def send(self, item: Outbound) -> Delivery:
        if not self._sink_url:
            raise DeliveryError("TEST_CHANNEL_SINK_URL is not set", retryable=False)
        data = {"to": item.recipient, "conversation_id": item.conversation_id,
                "message_id": item.message_id, "index": item.index, "body": dict(item.body)}
        try:
            async with self._deps.http.post(self._sink_url, json=data,
                                       timeout=aiohttp.ClientTimeout(total=10)) as reply:
                if reply.status < 300:
                    return Delivery(reply.headers.get("X-Message-Id"))
                retry_after = reply.headers.get("Retry-After")
                raise DeliveryError(
                    f"sink answered {reply.status}",
                    retryable=reply.status == 429 or reply.status >= 500,
                    retry_after=float(retry_after) if retry_after else None,
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"sink unreachable: {type(exc).__name__}", retryable=True) from exc

    def routes(self, intake: Intake) -> list[web.RouteDef]:
        return []

    async def close(self) -> None:
        return None


def create(deps: AdapterDeps) -> TestChannel | None:
    token = deps.settings.test_channel_token
    if token is None or not token.get_secret_value():
        return None
    return TestChannel(token.get_secret_value(), deps.settings.test_channel_sink_url, deps)
