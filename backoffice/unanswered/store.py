"""The database side of unanswered questions: record (masked), list, resolve, expire.

``record`` is the only way a question gets into the table and masks the text
itself, so no caller can store a message unmasked. Synchronous functions on a
``Session`` (the staff side's rule), run through ``Database.run``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from backoffice.models import UnansweredQuestion
from backoffice.unanswered.masking import mask

OPEN, ASSIGNED, DISMISSED = "open", "assigned", "dismissed"
MAX_TEXT = 1000
PAGE_LIMIT = 2000  # newest open questions grouped on the console page


@dataclass(frozen=True)
class Guess:
    """One of the model's best intents for the message, for the editor's orientation."""

    name: str
    confidence: float


@dataclass(frozen=True)
class NewQuestion:
    text: str  # as the citizen wrote it; masked by ``record``
    language: str
    channel: str
    intents: tuple[Guess, ...] = ()


def record(session: Session, new: NewQuestion, day: date) -> int:
    row = UnansweredQuestion(text=mask(new.text.strip())[:MAX_TEXT], language=new.language,
                             channel=new.channel, day=day, status=OPEN,
                             intents=[{"name": g.name, "confidence": round(g.confidence, 3)}
                                      for g in new.intents])
    session.add(row)
    session.flush()
    return row.id


def open_questions(session: Session, limit: int = PAGE_LIMIT) -> list[UnansweredQuestion]:
    """Newest first."""
    query = select(UnansweredQuestion).where(UnansweredQuestion.status == OPEN)
    return list(session.scalars(query.order_by(UnansweredQuestion.day.desc(), UnansweredQuestion.id.desc())
                                .limit(limit)))


def get_open(session: Session, ids: Sequence[int]) -> list[UnansweredQuestion]:
    query = select(UnansweredQuestion).where(UnansweredQuestion.id.in_(ids),
                                             UnansweredQuestion.status == OPEN)
    return list(session.scalars(query.order_by(UnansweredQuestion.id)))


def resolve(session: Session, ids: Sequence[int], status: str, topic: str | None, username: str,
            now: datetime) -> int:
    """Marks the still open ones of ``ids`` assigned (to ``topic``) or dismissed; how many changed."""
    result = session.execute(
        update(UnansweredQuestion)
        .where(UnansweredQuestion.id.in_(ids), UnansweredQuestion.status == OPEN)
        .values(status=status, topic=topic, handled_by=username, handled_at=now))
    return result.rowcount or 0


def expire(session: Session, today: date, retention_days: int) -> int:
    """Deletes every question asked more than ``retention_days`` before ``today``, whatever its status."""
    cutoff = today - timedelta(days=retention_days)
    return session.execute(delete(UnansweredQuestion).where(UnansweredQuestion.day < cutoff)).rowcount or 0
