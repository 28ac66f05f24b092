"""Data protection on the staff side: a conversation's cases, their anonymisation, and retention.

Anonymising a case nulls its personal fields (description, address,
coordinates, contact name, phone and e-mail), deletes its photos, blanks the
notes of its history (staff notes may quote the citizen) and replaces the
conversation pseudonym and the idempotency key (which contains it), so
nothing links the case to the citizen any more. Reference, kind, routing,
status history and dates stay for the administration's records.

Two triggers: the citizen's erasure request (``POST /api/v1/privacy/{conversation}/erase``,
called by the gateway, ``channels/erasure.py``) and retention: closed cases
(and appointments that are over) are anonymised CASE_RETENTION_DAYS after
their last change, by the periodic housekeeping under a Redis lease so that
one process runs it per round.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from backoffice.cases import CLOSED, CaseService
from backoffice.models import Appointment, Attachment, Case, CaseEvent

log = logging.getLogger(__name__)

ANONYMOUS = "anonymised"


def anonymise(session: Session, case: Case, now: datetime) -> None:
    """Remove everything personal from ``case`` (caller's transaction)."""
    case.description = case.address = None
    case.lat = case.lon = None
    case.contact_name = case.contact_phone = case.contact_email = None
    case.conversation_id = ANONYMOUS
    case.idempotency_key = f"{ANONYMOUS}:{case.id}:{secrets.token_hex(8)}"
    case.anonymised_at = now
    session.execute(delete(Attachment).where(Attachment.case_id == case.id))
    session.execute(update(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.note.is_not(None))
                    .values(note=None).execution_options(synchronize_session=False))


def describe(session: Session, conversation: str) -> list[dict[str, Any]]:
    """What the citizen may see of their cases: reference, kind, status (no personal fields)."""
    cases = session.scalars(select(Case).where(Case.conversation_id == conversation).order_by(Case.id))
    return [{"reference": c.reference, "kind": c.kind, "status": c.status} for c in cases]


def erase_conversation(session: Session, conversation: str, now: datetime) -> int:
    """Anonymise every case of ``conversation``; the number anonymised."""
    cases = list(session.scalars(select(Case).where(Case.conversation_id == conversation)))
    for case in cases:
        anonymise(session, case, now)
    return len(cases)


def anonymise_expired(session: Session, now: datetime, retention: timedelta) -> int:
    """Anonymise closed cases and past appointments whose last change is older than ``retention``."""
    cutoff = now - retention
    over = select(Appointment.case_id).where(Appointment.end < cutoff)
    cases = list(session.scalars(select(Case).where(
        Case.anonymised_at.is_(None), Case.updated_at < cutoff,
        or_(Case.status.in_(sorted(CLOSED)), Case.id.in_(over)))))
    for case in cases:
        anonymise(session, case, now)
    return len(cases)


class Retention:
    """The periodic anonymisation, at most once per round across all processes (Redis lease)."""

    def __init__(self, service: CaseService, redis: aioredis.Redis) -> None:
        self._service = service
        self._redis = redis
        self._lease = f"{service.settings.gateway_redis_prefix}:bo:lease:retention"

    async def run_once(self) -> int | None:
        """Anonymise what is due; None when another process holds this round's lease."""
        settings = self._service.settings
        round_ms = max(1000, int(settings.reminder_interval_s * 1000) - 1000)
        # shielded: a cancel (shutdown) in the middle of a command leaves a redis-py connection
        # with an unread reply in the shared pool, and the next command on it waits for ever
        taken = await asyncio.shield(self._redis.set(self._lease, secrets.token_hex(8), nx=True, px=round_ms))
        if not taken:
            return None
        now = self._service.clock()
        retention = timedelta(days=settings.case_retention_days)
        done = await self._service.db.run(lambda s: anonymise_expired(s, now, retention))
        if done:
            log.info("retention: anonymised %d closed cases", done)
        return done
