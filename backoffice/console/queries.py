"""The console's database work: accounts, audit log, open cases, case history, status changes, notes.

Synchronous SQLAlchemy (the project's rule, backoffice/CONTRACT.md); the
console calls these through ``asyncio.to_thread``. They live here because
the case service's own module (``backoffice/cases.py``) did not offer them
when the console was written; each takes a ``Session`` and a clock value
so tests fix time without patching.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from backoffice.models import AuditEntry, Case, CaseEvent, User

ROLES = ("staff", "editor", "reviewer", "admin")
CLOSED = frozenset({"done", "rejected", "cancelled"})
STATUSES = ("received", "in_progress", "forwarded", "waiting_for_citizen", "done", "rejected", "cancelled")


class QueryError(ValueError):
    """A request the data does not allow (unknown status, duplicate user); the message is for staff."""


def _aware(at: datetime | None, like: datetime) -> datetime | None:
    """SQLite returns naive datetimes for timezone columns; they were stored in UTC."""
    if at is None or at.tzinfo is not None:
        return at
    return at.replace(tzinfo=like.tzinfo)


# --- accounts ------------------------------------------------------------------------------------


def parse_roles(raw: str) -> list[str]:
    roles = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = [role for role in roles if role not in ROLES]
    if unknown or not roles:
        raise QueryError(f"Rollen müssen aus {', '.join(ROLES)} sein")
    return list(dict.fromkeys(roles))


def get_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).one_or_none()


def create_user(session: Session, username: str, display_name: str, password_hash: str, roles: list[str],
                now: datetime) -> User:
    if get_user(session, username) is not None:
        raise QueryError(f"Das Konto {username} gibt es schon")
    user = User(username=username, display_name=display_name, password_hash=password_hash,
                roles=",".join(roles), active=True, units=[], created_at=now)
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def display_names(session: Session, usernames: set[str]) -> dict[str, str]:
    if not usernames:
        return {}
    rows = session.execute(select(User.username, User.display_name).where(User.username.in_(usernames)))
    return {username: name for username, name in rows}


def audit(session: Session, username: str, action: str, detail: str | None, now: datetime) -> None:
    """One audit line: who did what, with pseudonymous ids or references only, never citizen data."""
    session.add(AuditEntry(at=now, username=username, action=action, detail=detail))


def recent_audit(session: Session, limit: int = 100) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))


# --- cases ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    reference: str
    kind: str
    status: str
    routed_id: str
    created_at: datetime
    overdue: bool


def open_cases(session: Session, units: list[str], now: datetime, overdue_after: timedelta,
               limit: int = 200) -> list[CaseRow]:
    """Open cases of ``units`` (all when empty), overdue ones first, then oldest first."""
    query = select(Case).where(Case.status.not_in(CLOSED))
    if units:
        query = query.where(Case.routed_id.in_(units))
    rows = []
    for case in session.scalars(query.order_by(Case.created_at).limit(limit)):
        last = _aware(case.last_staff_action_at or case.created_at, now)
        rows.append(CaseRow(case.reference, case.kind, case.status, case.routed_id,
                            _aware(case.created_at, now) or now, now - (last or now) > overdue_after))
    return sorted(rows, key=lambda row: (not row.overdue, row.created_at))


def get_case(session: Session, reference: str, units: list[str]) -> Case | None:
    """The case with its history, if ``units`` (empty = all) may see it."""
    case = session.scalars(select(Case).where(Case.reference == reference)
                           .options(selectinload(Case.events))).one_or_none()
    if case is None or (units and case.routed_id not in units):
        return None
    return case


def change_status(session: Session, case: Case, status: str, note: str | None, actor: str,
                  now: datetime) -> CaseEvent:
    """A citizen-visible status change (the note goes to the citizen too)."""
    if status not in STATUSES:
        raise QueryError("Unbekannter Status")
    event = CaseEvent(case_id=case.id, at=now, actor=actor, status=status, note=note or None,
                      internal=False, notified=False)
    case.status = status
    case.updated_at = now
    case.last_staff_action_at = now
    session.add(event)
    session.flush()
    return event


def add_note(session: Session, case: Case, note: str, actor: str, now: datetime) -> CaseEvent:
    """An internal note: staff only, never shown or sent to the citizen."""
    event = CaseEvent(case_id=case.id, at=now, actor=actor, status=None, note=note, internal=True,
                      notified=False)
    case.last_staff_action_at = now
    session.add(event)
    session.flush()
    return event


def mark_notified(session: Session, event_id: int) -> None:
    event = session.get(CaseEvent, event_id)
    if event is not None:
        event.notified = True
