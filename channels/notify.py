"""Messages the staff side sends to a citizen: status changes, staff replies, reminders, call-back offers.

The staff side only knows the pseudonymous conversation id. The address
(channel + channel user id) was remembered at intake (``keys.address``),
so this module renders the responses with that channel's adapter and queues
them in the outbox like a turn's answer: same rate limits, retries, dead
letters. ``key`` makes a notification idempotent (a retried request with
the same key is queued once), the outbox's per-item dedupe does the rest.

``POST /internal/v1/conversations/{conversation_id}/messages`` (internal
port, bearer CASE_SERVICE_TOKEN compared in constant time; the route
answers 401 to everything while the token is unset):
``{"key": str, "responses": [{"text": str, "buttons"?: [{"title", "payload"}]}]}``
-> 202 ``{"queued": n}`` (0 for a repeated key), 404 without a known
address, 400 for a malformed body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web

from channels import outbox
from channels.adapter import ChannelAdapter, RenderContext
from channels.dialogue import Offers
from channels.errors import BadRequest, BearerRequired, NotFound
from channels.keys import Keys
from channels.messages import Button, Buttons, Channel, Outbound, Response, Text
from channels.scripts import Scripts
from channels.settings import Settings

log = logging.getLogger(__name__)

ROUTE = "/internal/v1/conversations/{conversation_id}/messages"
_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,200}$")
MAX_RESPONSES = 10
MAX_BUTTONS = 10
MAX_TEXT = 4096


class Notifier:
    """Render and queue responses for a conversation known only by its pseudonym."""

    def __init__(self, settings: Settings, redis: aioredis.Redis, scripts: Scripts, keys: Keys,
                 adapters: Mapping[Channel, ChannelAdapter]) -> None:
        self._settings = settings
        self._redis = redis
        self._scripts = scripts
        self._keys = keys
        self._adapters = adapters
        self._offers = Offers(redis, keys, settings.gateway_offer_ttl_s, settings.sms_menu_ttl_s)

    async def deliver(self, conversation: str, key: str, responses: Sequence[Response]) -> int | None:
        """Queue ``responses``; the number of new outbox items, or None when there is nowhere to send."""
        address = await self._redis.hgetall(self._keys.address(conversation))
        try:
            channel = Channel(address.get("channel", ""))
        except ValueError:
            return None
        adapter, user = self._adapters.get(channel), address.get("user")
        if adapter is None or not user:
            return None
        numbered = not adapter.capabilities.buttons
        language = await self._redis.get(self._keys.language(conversation))
        bodies = adapter.render(responses, RenderContext(conversation, language))
        message_id = "s" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        items = [Outbound(channel, user, conversation, message_id, str(index), body)
                 for index, body in enumerate(bodies)]
        await self._offers.remember(conversation, responses, numbered)
        added = await outbox.push(self._redis, self._scripts, self._keys, self._settings, channel, items)
        log.info("notification conv=%s items=%d new=%d", conversation, len(items), added)
        return added


def _string(value: object, limit: int, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise BadRequest(f"{what} must be a non-empty string of at most {limit} characters")
    return value


def parse_responses(raw: object) -> list[Response]:
    """The body's ``responses`` as response values; BadRequest naming the first problem."""
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_RESPONSES:
        raise BadRequest(f"responses must be a list of 1 to {MAX_RESPONSES} objects")
    out: list[Response] = []
    for item in raw:
        if not isinstance(item, dict):
            raise BadRequest("each response must be an object with text")
        text = _string(item.get("text"), MAX_TEXT, "text")
        buttons = item.get("buttons")
        if buttons is None:
            out.append(Text(text))
            continue
        if not isinstance(buttons, list) or not 0 < len(buttons) <= MAX_BUTTONS:
            raise BadRequest(f"buttons must be a list of 1 to {MAX_BUTTONS} objects")
        parsed = []
        for button in buttons:
            if not isinstance(button, dict):
                raise BadRequest("each button needs title and payload")
            parsed.append(Button(_string(button.get("title"), 100, "button title"),
                                 _string(button.get("payload"), 200, "button payload")))
        out.append(Buttons(text, tuple(parsed)))
    return out


def check_bearer(request: web.Request, token: str | None) -> None:
    header = request.headers.get("Authorization", "")
    supplied = header[7:] if header.startswith("Bearer ") else ""
    if not token or not hmac.compare_digest(supplied.encode("utf-8"), token.encode("utf-8")):
        raise BearerRequired()


def routes(notifier: Notifier, settings: Settings) -> list[web.RouteDef]:
    token = settings.case_service_token.get_secret_value() if settings.case_service_token else None

    async def post_messages(request: web.Request) -> web.Response:
        check_bearer(request, token)
        conversation = request.match_info["conversation_id"]
        if not _ID.match(conversation):
            raise BadRequest("conversation_id must be an id of letters, digits and _.:-")
        try:
            body: Any = json.loads(await request.read())
        except (ValueError, RecursionError) as exc:  # not JSON, a nesting bomb or a 10,000-digit number
            raise BadRequest("body is not JSON") from exc
        if not isinstance(body, dict):
            raise BadRequest("body must be a JSON object")
        key = _string(body.get("key"), 200, "key")
        responses = parse_responses(body.get("responses"))
        added = await notifier.deliver(conversation, key, responses)
        if added is None:
            raise NotFound("no address known for this conversation")
        return web.json_response({"queued": added}, status=202)

    return [web.post(ROUTE, post_messages)]
