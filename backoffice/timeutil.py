"""UTC clock and the one fix every reader needs: SQLite hands timezone columns back naive (they are UTC)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def utc(at: datetime) -> datetime:
    """What goes into the database: SQLite drops the offset, so every stored time is UTC."""
    return aware(at).astimezone(UTC)


def iso(at: datetime) -> str:
    """ISO 8601 in Berlin time with offset, as citizens and the Rasa side read it."""
    return aware(at).astimezone(BERLIN).isoformat()
