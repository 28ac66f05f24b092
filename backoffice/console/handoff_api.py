"""``POST /api/v1/handoff``: the dialogue core asks for a person (backoffice/CONTRACT.md).

Within the office hours of the handoff desk (``office_hours.py``) the
conversation is queued in the gateway's Redis (``channels.handoff``), from
then on the gateway routes the citizen's messages to the console; outside
them the answer names the next opening, and the bot offers a call-back or
the contact form instead. An optional ``office`` picks the desk whose hours
apply (a desk id, or an appointment office a desk serves; otherwise the
default desk), so a citizen in the vehicle registration's booking hears
that desk's hours; without such an office the ``topic`` (a catalogue id the
dialogue derived, never the citizen's text) picks the desk that lists it.
The reply names the desk, and the queued handoff records it for the
console. The clock is a parameter, so tests fix it.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from backoffice.office_hours import HandoffHours
from channels.analytics import Counters, local_day
from channels.handoff import Handoffs, Reason

log = logging.getLogger(__name__)

ROUTE = "/api/v1/handoff"
CHANNELS = frozenset({"webchat", "telegram", "sms", "whatsapp", "test"})
LANGUAGES = frozenset({"de", "en", "ls"})
_ID = re.compile(r"^[A-Za-z0-9_.:@\-]{1,100}$")
_TOPIC = re.compile(r"^[a-z0-9_]{1,60}$")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def bearer_ok(request: web.Request, token: str | None) -> bool:
    """Constant-time check of ``Authorization: Bearer <token>``; always False without a token."""
    header = request.headers.get("Authorization", "")
    supplied = header[7:] if header.startswith("Bearer ") else ""
    return bool(token) and hmac.compare_digest(supplied.encode("utf-8"), str(token).encode("utf-8"))


def _problem(body: Any) -> str | None:
    """What is wrong with a request body, or None."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if not isinstance(body.get("conversation_id"), str) or not _ID.match(body["conversation_id"]):
        return "conversation_id must be an id of letters, digits and _.:@-"
    if body.get("channel") not in CHANNELS:
        return f"channel must be one of {', '.join(sorted(CHANNELS))}"
    if body.get("language", "de") not in LANGUAGES:
        return f"language must be one of {', '.join(sorted(LANGUAGES))}"
    topic = body.get("topic")
    if topic is not None and (not isinstance(topic, str) or not _TOPIC.match(topic)):
        return "topic must be a topic id or null"
    office = body.get("office")
    if office is not None and (not isinstance(office, str) or not _TOPIC.match(office)):
        return "office must be an office id or null"
    if body.get("reason") not in {reason.value for reason in Reason}:
        return f"reason must be one of {', '.join(reason.value for reason in Reason)}"
    return None


def handoff_routes(handoffs: Handoffs, desks: HandoffHours, token: str | None, counters: Counters,
                   clock: Clock = utc_now) -> list[web.RouteDef]:
    async def post_handoff(request: web.Request) -> web.Response:
        if not bearer_ok(request, token):
            return _error(401, "missing or wrong bearer token")
        try:
            body = json.loads(await request.read())
        except (ValueError, RecursionError):  # not JSON, a nesting bomb or a 10,000-digit number
            return _error(400, "body is not JSON")
        if problem := _problem(body):
            return _error(400, problem)
        now = clock()
        conversation = body["conversation_id"]
        await counters.handoff(body["channel"], conversation, local_day(now))  # asked for a person
        hours = desks.desk_for(body.get("office"), body.get("topic"))
        if not hours.is_open(now):
            upcoming = hours.next_open(now)
            log.info("handoff outside office hours conv=%s desk=%s", conversation, hours.id)
            return web.json_response({"status": "closed", "office": hours.id,
                                      "next_open": upcoming.isoformat() if upcoming else None})
        position = await handoffs.request(conversation, body["channel"], body.get("language", "de"),
                                          body.get("topic"), body["reason"], now, desk=hours.id)
        log.info("handoff queued conv=%s position=%d reason=%s desk=%s topic=%s", conversation, position,
                 body["reason"], hours.id, body.get("topic"))
        return web.json_response({"status": "queued", "office": hours.id, "position": position})

    return [web.post(ROUTE, post_handoff)]
