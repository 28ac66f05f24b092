"""The staff side's tables: the single definition, migrated by Alembic (``migrations/``).

Personal fields of a case (contact, address, description, media) sit in
columns of their own, so retention and erasure can null them while the case's
reference, kind, routing and status history stay for the records.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class ReferenceCounter(Base):
    """Next sequence number per year; row-locked while a case is inserted."""

    __tablename__ = "reference_counters"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True, nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(String(30), nullable=False, default="received")
    # who sent it: the pseudonymous conversation, never a phone number or chat id
    conversation_id: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    language: Mapped[str] = mapped_column(String(5), nullable=False, default="de")
    pin_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    # routing: a department of the district or a town (directory id)
    routed_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    routed_id: Mapped[str] = mapped_column(String(60), nullable=False)
    # kind-specific, not personal (category, items, topic, preferred date, window)
    data: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    # personal fields: nulled by erasure / retention
    description: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    town: Mapped[str | None] = mapped_column(String(60))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # last action by staff (status change or note); overdue is computed from it
    last_staff_action_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="case")
    appointment: Mapped[Appointment | None] = relationship(back_populates="case", uselist=False)


class CaseEvent(Base):
    """Status history and internal notes; ``internal`` notes are never shown to the citizen."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    actor: Mapped[str] = mapped_column(String(100), nullable=False)  # "citizen", "system" or a username
    status: Mapped[str | None] = mapped_column(String(30))  # set for status changes
    note: Mapped[str | None] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    notified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    case: Mapped[Case] = relationship(back_populates="events")


class Appointment(Base):
    """A booked slot at one counter. At most one active booking per office, start and counter
    (partial unique index): an office with N counters takes N bookings per slot, never more."""

    __tablename__ = "appointments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), nullable=False,
                                         unique=True)
    office: Mapped[str] = mapped_column(String(60), nullable=False)
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    end: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    counter: Mapped[int] = mapped_column(Integer, nullable=False, default=1)  # 1..counters of the office
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    case: Mapped[Case] = relationship(back_populates="appointment")

    __table_args__ = (
        Index("uq_appointment_slot", "office", "start", "counter", unique=True,
              sqlite_where=text("active"), postgresql_where=text("active")),
    )


class Attachment(Base):
    """A photo of a case. Web chat uploads have their bytes from the start; a channel's photo
    (``external_ref``: Telegram file id, Twilio media URL) gets them when the case service imports
    it through the gateway (``media_import.py``) and keeps its reference."""

    __tablename__ = "attachments"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "att_<hex>"
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(60), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    external_ref: Mapped[str | None] = mapped_column(String(300))  # e.g. "telegram:<file_id>"
    # why a channel's photo cannot be imported, for good (gone, refused, not_image, too_large);
    # NULL while an import is still to be tried (data NULL) and once it succeeded
    import_error: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    case: Mapped[Case | None] = relationship(back_populates="attachments")


class User(Base):
    """Console accounts. ``roles``: comma-separated subset of staff, editor, reviewer, admin."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(300), nullable=False)
    roles: Mapped[str] = mapped_column(String(100), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # department or town ids this account handles; empty = all
    units: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class AuditEntry(Base):
    """Who did what in the console (no citizen data in ``detail``)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    username: Mapped[str] = mapped_column(String(80), nullable=False)
    action: Mapped[str] = mapped_column(String(60), nullable=False)
    detail: Mapped[str | None] = mapped_column(Text)


class ContentChange(Base):
    """An editor's change of one answer variant: applied at once, or pending a second person's review.

    ``before``/``after`` are the answer texts (public content, never citizen data); ``before`` is what
    the editor saw, so an approval after someone else changed the answer is refused as a conflict.
    ``kind``: ``edit`` (text and/or validity window of the variant), ``add`` (a new dated variant after
    it; ``before`` is the text it was copied from) or ``delete``. Windows are ``from/until`` (ISO dates,
    empty = open end); ``window_after`` NULL = window unchanged.
    """

    __tablename__ = "content_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(80), nullable=False)
    response: Mapped[str] = mapped_column(String(120), nullable=False)
    variant: Mapped[int] = mapped_column(Integer, nullable=False)
    before: Mapped[str] = mapped_column(Text, nullable=False)
    after: Mapped[str] = mapped_column(Text, nullable=False)
    mark_reviewed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False, default="edit", server_default="edit")
    window_before: Mapped[str | None] = mapped_column(String(21))
    window_after: Mapped[str | None] = mapped_column(String(21))
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # pending, applied, rejected, conflict
    author: Mapped[str] = mapped_column(String(80), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    reviewer: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_content_changes_status", "status"),)


class UnansweredQuestion(Base):
    """A message the bot could not place, masked before it was stored (backoffice/unanswered/).

    Only the day is kept, no time and no conversation: rows cannot be tied back to a citizen.
    Deleted ``UNANSWERED_RETENTION_DAYS`` after ``day`` by the housekeeping task.
    """

    __tablename__ = "unanswered_questions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)  # masked
    language: Mapped[str] = mapped_column(String(5), nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    # the model's best guesses: [{"name": "faq/wohngeld", "confidence": 0.21}, ...]
    intents: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="open")  # open|assigned|dismissed
    topic: Mapped[str | None] = mapped_column(String(60))  # set when assigned
    handled_by: Mapped[str | None] = mapped_column(String(80))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_unanswered_status_day", "status", "day"),)
