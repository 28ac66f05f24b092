"""Rasa's NLG endpoint: ``POST /nlg`` answers from the in-memory content store.

Request (Rasa 3.6 ``nlg_request_format``): ``{"response", "id", "arguments",
"tracker": {"slots", ...}, "channel": {"name"}}``. Reply: the chosen variant
with slots and arguments filled in (``text``, ``buttons``, ``image``,
``custom``, ... plus ``metadata``), or ``{}`` when nothing fits, which Rasa
sends as no message, like its own generator returning None. Neither the
tracker nor any text is logged: only the response name.

Rasa sends the tracker (the citizen's messages and slots) with every request,
so the endpoint is authenticated like the other internal APIs: Rasa's
endpoint ``token`` (``nlg: token: ${NLG_TOKEN}`` in bot/endpoints.yml) arrives
as the ``token`` query parameter and must equal ``CASE_SERVICE_TOKEN``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from backoffice.content import variants
from backoffice.content.store import ContentStore
from backoffice.timeutil import BERLIN, Clock, utc_now

log = logging.getLogger(__name__)

STORE = web.AppKey("content_store", ContentStore)


class BadRequest(ValueError):
    """A request body Rasa would never send; the message is the one-line reason."""


def answer(store: ContentStore, body: Any, now: datetime, rng: Any = None) -> dict[str, Any]:
    """The NLG reply for one request body; BadRequest when the body is malformed."""
    if not isinstance(body, dict) or not isinstance(body.get("response"), str):
        raise BadRequest("body must be a JSON object with a string 'response'")
    tracker, channel, arguments = (body.get("tracker") or {}, body.get("channel") or {},
                                   body.get("arguments") or {})
    if not all(isinstance(part, dict) for part in (tracker, channel, arguments)):
        raise BadRequest("'tracker', 'channel' and 'arguments' must be objects")
    slots = tracker.get("slots") or {}
    found = store.responses.get(body["response"])
    if found is None:
        log.warning("nlg: no response named %s", body["response"])
        return {}
    day = now.astimezone(BERLIN).date()
    chosen = variants.generate(found, slots if isinstance(slots, dict) else {}, channel.get("name"), day,
                               arguments, rng)
    return chosen or {}


def routes(store: ContentStore, token: str | None, clock: Clock = utc_now) -> list[web.RouteDef]:
    async def nlg(request: web.Request) -> web.Response:
        given = request.query.get("token", "")
        if not token or not hmac.compare_digest(given.encode(), token.encode()):
            return web.json_response({"error": "token missing or wrong"}, status=401)
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "body must be JSON"}, status=400)
        try:
            return web.json_response(answer(store, body, clock()))
        except BadRequest as exc:
            return web.json_response({"error": str(exc)}, status=400)

    return [web.post("/nlg", nlg)]


def setup(app: web.Application, store: ContentStore, poll_s: float, token: str | None,
          clock: Callable[[], datetime] = utc_now) -> None:
    """``POST /nlg`` on ``app``; the store is loaded before serving and polled while the app runs."""
    app[STORE] = store
    app.router.add_routes(routes(store, token, clock))

    async def lifetime(_: web.Application) -> AsyncIterator[None]:
        await store.refresh()
        task = asyncio.create_task(store.run(poll_s), name="content refresh")
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    app.cleanup_ctx.append(lifetime)
