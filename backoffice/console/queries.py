"""The console's own database work: accounts and the audit log (cases go through ``backoffice/cases.py``).

Synchronous SQLAlchemy (the project's rule, backoffice/CONTRACT.md), called
through ``asyncio.to_thread``; each function takes a ``Session`` and, where
time matters, the clock's value, so tests fix time without patching.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.models import AuditEntry, User

ROLES = ("staff", "editor", "reviewer", "admin")


class QueryError(ValueError):
    """A request the data does not allow (unknown status, duplicate user); the message is for staff."""

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
