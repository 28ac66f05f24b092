"""Shared bits of the staff side's HTTP handlers: bearer check, JSON bodies, one-line errors."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from backoffice.inputs import Invalid

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_JSON_BYTES = 64 * 1024


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def bearer_ok(request: web.Request, token: str | None) -> bool:
    """Constant-time check of ``Authorization: Bearer <token>``; always False without a token."""
    header = request.headers.get("Authorization", "")
    supplied = header[7:] if header.startswith("Bearer ") else ""
    return bool(token) and hmac.compare_digest(supplied.encode("utf-8"), str(token).encode("utf-8"))


async def read_limited(request: web.Request, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is longer than ``limit`` (never buffers more)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks, size = [], 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def json_body(request: web.Request) -> Any:
    raw = await read_limited(request, MAX_JSON_BYTES)
    if raw is None:
        raise Invalid("body too large")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # not JSON, a nesting bomb or a 10,000-digit number
        raise Invalid("body is not JSON") from exc


def guarded(token: str | None, handler: Handler) -> Handler:
    """Bearer first, then the handler; ``Invalid`` becomes 400, anything unexpected a bare 500."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        if not bearer_ok(request, token):
            return error(401, "missing or wrong bearer token")
        try:
            return await handler(request)
        except Invalid as exc:
            return error(400, str(exc))
        except web.HTTPException:
            raise
        except Exception as exc:
            log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.match_info.route)
            return error(500, "internal error")

    return wrapped
