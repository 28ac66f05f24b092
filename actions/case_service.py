"""HTTP client of the case service (backoffice/CONTRACT.md), the only way in.

One small function per call. HTTP statuses become results or exceptions here
and nowhere else: the actions see ``Created``, ``Status``, ``NotFound``,
``Mistyped``, ``TooMany`` or a ``CaseServiceError`` (unreachable, 5xx,
unexpected answer), never a raw response. Nothing personal is logged.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8081"
TIMEOUT_S = 10.0


class CaseServiceError(Exception):
    """The case service could not answer (down, 5xx, 401, malformed reply)."""


@dataclass(frozen=True)
class Created:
    reference: str
    pin: str
    status: str
    routed_to: dict[str, Any]
    forwarded: bool
    replayed: bool  # 200: the idempotency key was seen before


@dataclass(frozen=True)
class Status:
    reference: str
    kind: str
    status: str
    updated_at: str
    appointment: dict[str, Any] | None


@dataclass(frozen=True)
class NotFound:
    """Not found for this conversation/PIN; identical for existing and missing numbers."""


@dataclass(frozen=True)
class Mistyped:
    """Right shape, wrong check digit."""


@dataclass(frozen=True)
class TooMany:
    """Rate limit of lookups or wrong PINs."""


@dataclass(frozen=True)
class HandoffQueued:
    position: int


@dataclass(frozen=True)
class HandoffClosed:
    next_open: str


def _base_url() -> str:
    return os.environ.get("CASE_SERVICE_URL", DEFAULT_URL).rstrip("/")


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {os.environ.get('CASE_SERVICE_TOKEN', '')}"}


async def _request(method: str, path: str, *, json: dict[str, Any] | None = None,
                   params: dict[str, str] | None = None) -> tuple[int, Any]:
    url = f"{_base_url()}{path}"
    try:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.request(
            method, url, json=json, params=params, headers=_headers()
        ) as reply:
            try:
                body = await reply.json(content_type=None)
            except ValueError:
                body = None
            return reply.status, body
    except (aiohttp.ClientError, TimeoutError) as exc:
        logger.warning("case service unreachable: %s %s (%s)", method, _route(path),
                       type(exc).__name__)
        raise CaseServiceError(f"{method} {_route(path)}: unreachable") from exc


def _route(path: str) -> str:
    """The path with ids replaced: reference numbers identify a citizen's case and stay out of logs."""
    parts = path.split("?")[0].split("/")
    # /api/v1/<collection>/<id>/... : everything after the collection that is not a word is an id
    return "/".join(p if i < 4 or p.isalpha() else "{id}" for i, p in enumerate(parts))


def _unexpected(method: str, path: str, status: int) -> CaseServiceError:
    logger.warning("case service answered %s to %s %s", status, method, _route(path))
    return CaseServiceError(f"{method} {_route(path)}: HTTP {status}")


async def create_case(body: dict[str, Any]) -> Created:
    """POST /api/v1/cases; the same idempotency key again returns the first result."""
    status, reply = await _request("POST", "/api/v1/cases", json=body)
    if status not in (200, 201) or not isinstance(reply, dict):
        raise _unexpected("POST", "/api/v1/cases", status)
    try:
        return Created(
            reference=str(reply["reference"]),
            pin=str(reply["pin"]),
            status=str(reply.get("status", "received")),
            routed_to=dict(reply.get("routed_to") or {}),
            forwarded=bool(reply.get("forwarded", False)),
            replayed=status == 200,
        )
    except (KeyError, TypeError) as exc:
        raise CaseServiceError("POST /api/v1/cases: malformed reply") from exc


async def case_status(reference: str, conversation_id: str,
                      pin: str | None = None) -> Status | NotFound | Mistyped | TooMany:
    """GET /api/v1/cases/{reference}: only for the creating conversation or the right PIN."""
    params = {"conversation_id": conversation_id}
    if pin:
        params["pin"] = pin
    path = f"/api/v1/cases/{reference}"
    status, reply = await _request("GET", path, params=params)
    if status == 404:
        return NotFound()
    if status == 422:
        return Mistyped()
    if status == 429:
        return TooMany()
    if status != 200 or not isinstance(reply, dict):
        raise _unexpected("GET", "/api/v1/cases/{reference}", status)
    return Status(
        reference=str(reply.get("reference", reference)),
        kind=str(reply.get("kind", "")),
        status=str(reply.get("status", "")),
        updated_at=str(reply.get("updated_at", "")),
        appointment=reply.get("appointment"),
    )


async def handoff(conversation_id: str, channel: str, language: str, topic: str | None,
                  reason: str, office: str | None = None) -> HandoffQueued | HandoffClosed:
    """POST /api/v1/handoff: queue the conversation for staff, or when they are back.

    ``topic``: the conversation's catalogue topic id (never the citizen's text); ``office``: an
    appointment office id. The desk serving the office, else the one listing the topic, answers
    with its own hours (neither: the default desk)."""
    body = {"conversation_id": conversation_id, "channel": channel, "language": language,
            "topic": topic, "office": office, "reason": reason}
    status, reply = await _request("POST", "/api/v1/handoff", json=body)
    if status != 200 or not isinstance(reply, dict):
        raise _unexpected("POST", "/api/v1/handoff", status)
    if reply.get("status") == "queued":
        return HandoffQueued(position=int(reply.get("position") or 1))
    if reply.get("status") == "closed" and reply.get("next_open"):
        return HandoffClosed(next_open=str(reply["next_open"]))
    raise CaseServiceError("POST /api/v1/handoff: malformed reply")


async def record_unanswered(text: str, language: str, channel: str, intents: list[dict[str, Any]]) -> None:
    """POST /api/v1/unanswered: a message the bot could not place (the service masks it before storing)."""
    body = {"text": text, "language": language, "channel": channel, "intents": intents}
    status, _ = await _request("POST", "/api/v1/unanswered", json=body)
    if status != 201:
        raise _unexpected("POST", "/api/v1/unanswered", status)


@dataclass(frozen=True)
class PrivacySummary:
    cases: list[dict[str, Any]]  # reference, kind, status
    retention_days: int


async def privacy_summary(conversation_id: str) -> PrivacySummary:
    """GET /api/v1/privacy/{conversation_id}: the conversation's cases and the case retention."""
    status, reply = await _request("GET", f"/api/v1/privacy/{conversation_id}")
    if status != 200 or not isinstance(reply, dict):
        raise _unexpected("GET", "/api/v1/privacy/{conversation_id}", status)
    try:
        return PrivacySummary([dict(case) for case in reply["cases"]], int(reply["retention_days"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise CaseServiceError("GET /api/v1/privacy: malformed reply") from exc
