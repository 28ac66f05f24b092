"""The gateway's one error tree.

HTTP statuses are decided here and nowhere else: the error middleware in
``app.py`` turns a :class:`GatewayError` into ``{"error": ...}`` with the
status its class names. Adapters translate their vendors' errors into these
once, with ``raise ... from exc``, so the core never sees a vendor exception.
"""

from __future__ import annotations

import traceback
from pathlib import Path


def describe(exc: BaseException) -> str:
    """``KeyError at worker.py:120``: enough to find a bug, and no message text in the logs
    (an exception's message can quote the data that caused it, e.g. a citizen's text)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{where}"


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""

    status: int = 500
    public_message: str = "internal error"

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or self.public_message)
        self.reason = reason or self.public_message


class Unauthenticated(GatewayError):
    """The request does not come from the channel it claims (403, nothing stored)."""

    status = 403
    public_message = "unauthenticated"


class BearerRequired(GatewayError):
    """An internal API caller (the case service) sent no or a wrong bearer token (401)."""

    status = 401
    public_message = "missing or wrong bearer token"


class NotFound(GatewayError):
    """The thing named in the path is unknown, e.g. a conversation without address (404)."""

    status = 404
    public_message = "not found"


class BadRequest(GatewayError):
    """The body or its fields are malformed (400, nothing stored)."""

    status = 400
    public_message = "bad request"


class PayloadTooLarge(GatewayError):
    """The body is larger than GATEWAY_MAX_BODY_BYTES (413, nothing stored)."""

    status = 413
    public_message = "payload too large"


class SessionRequired(GatewayError):
    """No valid web chat session token (401): the widget must open a session first."""

    status = 401
    public_message = "session required"


class UnsupportedMediaType(GatewayError):
    """An upload that is not one of the accepted image types, judged by its bytes (415)."""

    status = 415
    public_message = "unsupported media type"


class TooManyRequests(GatewayError):
    """A per-session limit is reached (429); ``retry_after`` in seconds."""

    status = 429
    public_message = "too many requests"

    def __init__(self, reason: str | None = None, retry_after: int = 60) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Unavailable(GatewayError):
    """A dependency (Redis) is down; the channel should retry later (503)."""

    status = 503
    public_message = "temporarily unavailable"


class DeliveryError(GatewayError):
    """Sending one outbound item failed.

    ``retryable`` tells the outbox whether another attempt can succeed
    (network error, 5xx, 429) or not (4xx: blocked bot, invalid number);
    ``retry_after`` is the channel's own wait hint in seconds (Telegram's
    ``retry_after``, HTTP ``Retry-After``).
    """

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.retry_after = retry_after


class DialogueError(GatewayError):
    """The dialogue core could not answer a turn."""


class DialogueUnavailable(DialogueError):
    """Rasa unreachable, timed out or answered 5xx: retry with backoff."""


class DialogueRejected(DialogueError):
    """Rasa answered 4xx or nonsense: retrying cannot help, dead-letter the message."""
