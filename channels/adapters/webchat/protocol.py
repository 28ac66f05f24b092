"""The web chat's WebSocket protocol: JSON frames, parsed at the edge into our own types.

Browser -> gateway::

    {"type": "hello", "token": str | null, "after": int, "language": "de-DE"}
    {"type": "message", "token": str, "cmid": str, "text": str, "language": "de-DE"}
    {"type": "message", "token": str, "cmid": str, "payload": str, "title": str, ...}
    {"type": "location", "token": str, "cmid": str, "lat": float, "lon": float, ...}

Gateway -> browser::

    {"type": "session", "token": str, "new": bool, "retention_hours": int,
     "upload": {"max_bytes": int} | null}      # null: photo uploads are off
    {"type": "reset"}                       # the history the browser shows is gone
    {"type": "message", "seq": int, "from": "user" | "bot", "body": {...}, "cmid"?: str}
    {"type": "ready", "last": int, "pending": bool}   # replay done; pending: a turn is running
    {"type": "ack", "cmid": str, "duplicate": bool}   # the message is safely queued
    {"type": "typing", "after": int}       # a turn started after entry ``after``
    {"type": "error", "code": str, "cmid"?: str}

``cmid`` is the browser's own id of a message (random, made before the first
attempt to send it): a message sent again after a reconnect has the same
cmid, so the intake and the history drop the repeat. Every message frame
carries the session token, so each one is authenticated on its own, like a
webhook request (``WebChat.verify``).

A ``location`` frame is what "Meinen Standort verwenden" sends (the
browser's geolocation); photos do not travel over the socket but as
``POST /webchat/upload`` (``upload.py``) and come back as history entries.
History bodies of the citizen's entries: ``{"kind": "text" | "choice",
"text"}``, ``{"kind": "location", "lat", "lon"}``, ``{"kind": "photo",
"media": "att_<hex>", "content_type"}``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from channels.errors import BadRequest
from channels.messages import Location

MAX_TEXT = 2000  # what the widget's input allows
MAX_TITLE = 200
MAX_PAYLOAD = 500
MAX_FRAME = 16 * 1024
_CMID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$")
MESSAGE_TYPES = frozenset({"message", "location"})
COORDINATE_DIGITS = 6  # about 10 cm: more is noise from the sensor, not information


def decode(raw: str | bytes) -> dict[str, Any]:
    """A frame as a JSON object; ``BadRequest`` otherwise."""
    if len(raw) > MAX_FRAME:
        raise BadRequest("frame too large")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # not JSON, a nesting bomb or a 10,000-digit number
        raise BadRequest("frame is not JSON") from exc
    if not isinstance(data, dict):
        raise BadRequest("frame must be a JSON object")
    return data


def language_of(data: dict[str, Any]) -> str | None:
    """The browser's language (navigator.language) if well-formed; a bad hint is dropped, not refused."""
    value = data.get("language")
    return value if isinstance(value, str) and _LANGUAGE.match(value) else None


@dataclass(frozen=True)
class Hello:
    token: str | None
    after: int
    language: str | None

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Hello:
        if data.get("type") != "hello":
            raise BadRequest("the first frame must be hello")
        token = data.get("token")
        after = data.get("after", 0)
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise BadRequest("after must be a non-negative integer")
        return cls(token if isinstance(token, str) and token else None, after, language_of(data))


def _optional_text(data: dict[str, Any], name: str, limit: int) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise BadRequest(f"{name} must be a non-empty string of at most {limit} characters")
    return value


def valid_cmid(value: object) -> str:
    if not isinstance(value, str) or not _CMID.match(value):
        raise BadRequest("cmid must be 8 to 64 letters, digits, _ or -")
    return value


def _coordinate(data: dict[str, Any], name: str, limit: float) -> float:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or abs(value) > limit:
        raise BadRequest(f"{name} must be a number between -{limit:g} and {limit:g}")
    return round(float(value), COORDINATE_DIGITS)


def _location(data: dict[str, Any]) -> Location:
    return Location(_coordinate(data, "lat", 90), _coordinate(data, "lon", 180))


@dataclass(frozen=True)
class ChatMessage:
    """A message or location frame's content (the token is checked separately, before this is parsed)."""

    cmid: str
    text: str | None
    payload: str | None
    title: str | None
    language: str | None
    location: Location | None = None

    @classmethod
    def parse(cls, data: dict[str, Any]) -> ChatMessage:
        kind = data.get("type")
        if kind not in MESSAGE_TYPES:
            raise BadRequest("unknown frame type")
        cmid = valid_cmid(data.get("cmid"))
        if kind == "location":
            return cls(cmid, None, None, None, language_of(data), _location(data))
        text = _optional_text(data, "text", MAX_TEXT)
        payload = _optional_text(data, "payload", MAX_PAYLOAD)
        title = _optional_text(data, "title", MAX_TITLE)
        if (text is None) == (payload is None):
            raise BadRequest("a message needs either text or payload")
        return cls(cmid, text, payload, title, language_of(data))

    def history_body(self) -> dict[str, Any]:
        """How the citizen's message shows in the history: the text, or the button's title."""
        if self.location is not None:
            return {"kind": "location", "lat": self.location.lat, "lon": self.location.lon}
        if self.payload is not None:
            return {"kind": "choice", "text": self.title or self.payload}
        return {"kind": "text", "text": self.text}
