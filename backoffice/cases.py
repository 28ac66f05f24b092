"""The case service: create cases, let citizens look them up, let staff change and annotate them.

Used by the HTTP layer (``api.py``, ``open311.py``) and by the console. Every
database step is a synchronous function on a ``Session`` run through
``Database.run`` (a thread); what talks to the network (gateway notify,
e-mail, importing channel photos) happens after the transaction has committed.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from backoffice import media_import, pins, reference, routing, staff_mail, texts
from backoffice.db import Database
from backoffice.inputs import NewCase
from backoffice.models import Attachment, Case, CaseEvent, ReferenceCounter
from backoffice.notify import GatewayNotifier, Outcome
from backoffice.ratelimit import FixedWindow
from backoffice.settings import Settings
from backoffice.timeutil import BERLIN, Clock, aware, iso, utc, utc_now

log = logging.getLogger(__name__)

STATUSES = ("received", "in_progress", "forwarded", "waiting_for_citizen", "done", "rejected", "cancelled")
CLOSED = frozenset({"done", "rejected", "cancelled"})
UNREACHABLE_NOTE = {
    Outcome.NO_ADDRESS: "Bürger/in nicht benachrichtigt: keine Adresse der Unterhaltung mehr bekannt.",
    Outcome.FAILED: "Bürger/in nicht benachrichtigt: Gateway nicht erreichbar.",
}


class CaseError(ValueError):
    """A staff request the data does not allow (unknown case or status); message for staff."""


@dataclass(frozen=True)
class Created:
    reference: str
    pin: str
    status: str
    routed: routing.Routing
    replayed: bool

    def as_json(self) -> dict[str, Any]:
        return {"reference": self.reference, "pin": self.pin, "status": self.status,
                "routed_to": self.routed.as_json(), "forwarded": self.routed.forwarded}


class Denied(enum.Enum):
    """Why a citizen's lookup gets no case; NOT_FOUND is the same for missing and foreign numbers."""

    NOT_FOUND = "not found"
    MISTYPED = "check digit does not match"
    LIMITED = "too many attempts, please try again later"


@dataclass(frozen=True)
class CaseSummary:
    reference: str
    kind: str
    status: str
    routed_kind: str
    routed_id: str
    town: str | None
    created_at: datetime
    updated_at: datetime
    overdue: bool
    untouched: bool = False  # no staff action yet (no status change, no note): "neu" in the console


@dataclass(frozen=True)
class StatusChange:
    event_id: int
    outcome: Outcome | None  # None: the citizen was not to be notified


# --- synchronous steps (one transaction each) --------------------------------------------------


def allocate_sequence(session: Session, year: int) -> int:
    """The next number of ``year``; the UPDATE holds the counter row's lock until commit."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(ReferenceCounter).values(year=year, last=0)
                    .on_conflict_do_nothing(index_elements=["year"]))
    return int(session.execute(
        update(ReferenceCounter).where(ReferenceCounter.year == year)
        .values(last=ReferenceCounter.last + 1).returning(ReferenceCounter.last)
        .execution_options(synchronize_session=False)).scalar_one())


def find_by_key(session: Session, key: str) -> Case | None:
    return session.scalars(select(Case).where(Case.idempotency_key == key)).one_or_none()


def find(session: Session, ref: str) -> Case | None:
    return session.scalars(select(Case).where(Case.reference == ref)
                           .options(selectinload(Case.appointment))).one_or_none()


def _attach(session: Session, case: Case, media: Sequence[str], now: datetime) -> None:
    for item in media:
        if item.startswith("att_"):
            session.execute(update(Attachment).where(Attachment.id == item, Attachment.case_id.is_(None))
                            .values(case_id=case.id).execution_options(synchronize_session=False))
        else:
            session.add(Attachment(id=f"ext_{secrets.token_hex(12)}", case_id=case.id,
                                   content_type="external", size=0, data=None, external_ref=item,
                                   created_at=now))


def insert_case(session: Session, new: NewCase, prefix: str, pin_hash: str, routed: routing.Routing,
                now: datetime) -> Case:
    """Allocate the number and insert case, first events and attachments (caller's transaction)."""
    year = now.astimezone(BERLIN).year
    ref = reference.make(prefix, year, allocate_sequence(session, year))
    status = "forwarded" if routed.forwarded else "received"
    case = Case(reference=ref, idempotency_key=new.idempotency_key, kind=new.kind, status=status,
                conversation_id=new.conversation_id, channel=new.channel, language=new.language,
                pin_hash=pin_hash, routed_kind=routed.kind, routed_id=routed.id, data=dict(new.data),
                description=new.description, address=new.place.address, town=new.place.town,
                lat=new.place.lat, lon=new.place.lon, contact_name=new.contact.name,
                contact_phone=new.contact.phone, contact_email=new.contact.email,
                created_at=now, updated_at=now)
    session.add(case)
    session.flush()
    session.add(CaseEvent(case_id=case.id, at=now, actor="citizen", status="received",
                          note=None, internal=False, notified=True))
    if routed.forwarded:
        session.add(CaseEvent(case_id=case.id, at=now, actor="system", status="forwarded",
                              note=f"Zuständig: {routed.name}", internal=False, notified=True))
    _attach(session, case, new.media, now)
    session.flush()
    return case


def summarise(case: Case, now: datetime, overdue_after: timedelta) -> CaseSummary:
    last = aware(case.last_staff_action_at or case.created_at)
    overdue = case.status not in CLOSED and now - last > overdue_after
    return CaseSummary(case.reference, case.kind, case.status, case.routed_kind, case.routed_id, case.town,
                       aware(case.created_at), aware(case.updated_at), overdue,
                       untouched=case.last_staff_action_at is None)


def status_view(case: Case) -> dict[str, Any]:
    """What a citizen may see of their case: no personal fields, no internal notes."""
    appointment = case.appointment
    return {
        "reference": case.reference, "kind": case.kind, "status": case.status,
        "updated_at": iso(case.updated_at),
        "appointment": None if appointment is None else {
            "office": appointment.office, "start": iso(appointment.start), "end": iso(appointment.end),
            "status": "booked" if appointment.active else "cancelled"},
    }


# --- the service -------------------------------------------------------------------------------


class CaseService:
    """Cases for the API and the console; the clock is a parameter so tests fix time."""

    def __init__(self, db: Database, settings: Settings, redis: aioredis.Redis, notifier: GatewayNotifier,
                 clock: Clock = utc_now) -> None:
        self.db = db
        self.settings = settings
        self.notifier = notifier
        self._clock = clock
        prefix = settings.gateway_redis_prefix
        self._lookups = FixedWindow(redis, prefix, "lookup", settings.status_lookups_per_minute, 60)
        self._wrong_pins = FixedWindow(redis, prefix, "pin", settings.wrong_pins_per_hour, 3600)
        self.pin_secret = settings.token or "no-token-configured"
        self.media = media_import.MediaImporter(db, settings.gateway_notify_url, settings.token)
        self._background: set[asyncio.Task[Any]] = set()

    def clock(self) -> datetime:
        """Now, in UTC (what the database stores)."""
        return utc(self._clock())

    # citizens ------------------------------------------------------------------------------

    async def create(self, new: NewCase) -> Created:
        """Create the case, or return the first result for a known idempotency key."""
        pin = pins.derive(self.pin_secret, new.idempotency_key)
        routed = routing.route(new.kind, new.data, new.place.as_dict())
        existing = await self.db.run(lambda s: find_by_key(s, new.idempotency_key))
        if existing is not None:
            return self._replayed(existing, pin)
        pin_hash = await asyncio.to_thread(pins.hash_pin, pin)
        now = self.clock()
        try:
            case = await self.db.run(
                lambda s: insert_case(s, new, self.settings.case_reference_prefix, pin_hash, routed, now))
        except IntegrityError:  # the same key committed concurrently
            existing = await self.db.run(lambda s: find_by_key(s, new.idempotency_key))
            if existing is None:
                raise
            return self._replayed(existing, pin)
        log.info("case created ref=%s kind=%s routed=%s:%s", case.reference, case.kind, routed.kind,
                 routed.id)
        self._in_background(self._mail_staff(case.reference, case.kind, routed, dict(case.data)))
        if any(not item.startswith("att_") for item in new.media):  # a channel's photos: fetch them now
            self._in_background(self.media.import_case(case.id))
        return Created(case.reference, pin, case.status, routed, replayed=False)

    def _replayed(self, case: Case, pin: str) -> Created:
        routed = routing.by_id(case.routed_kind, case.routed_id)
        return Created(case.reference, pin, case.status, routed, replayed=True)

    async def authorize(self, ref_text: str, conversation: str, pin: str | None) -> Case | Denied:
        """The case when ``conversation`` created it or ``pin`` matches; otherwise why not.

        Existing and missing numbers take the same path (a missing case's PIN is
        checked against a dummy hash), so the answer reveals nothing.
        """
        if not await self._lookups.hit(conversation):
            return Denied.LIMITED
        if reference.is_mistyped(ref_text):
            return Denied.MISTYPED
        if pin is not None and await self._wrong_pins.exhausted(conversation):
            return Denied.LIMITED
        parsed = reference.parse(ref_text)
        case = await self.db.run(lambda s: find(s, str(parsed))) if parsed else None
        if case is not None and case.conversation_id == conversation:
            return case
        if pin is not None:
            if await asyncio.to_thread(pins.verify, case.pin_hash if case else None, pin):
                return case  # type: ignore[return-value]  # verify is False without a case
            await self._wrong_pins.hit(conversation)
        return Denied.NOT_FOUND

    async def lookup(self, ref_text: str, conversation: str, pin: str | None) -> dict[str, Any] | Denied:
        found = await self.authorize(ref_text, conversation, pin)
        return found if isinstance(found, Denied) else status_view(found)

    # staff ---------------------------------------------------------------------------------

    async def get(self, ref: str) -> Case | None:
        """A case with events, attachments (metadata) and appointment, for the console."""
        def load(session: Session) -> Case | None:
            return session.scalars(select(Case).where(Case.reference == ref).options(
                selectinload(Case.events), selectinload(Case.attachments),
                selectinload(Case.appointment))).one_or_none()
        return await self.db.run(load)

    async def with_media(self, case: Case) -> Case:
        """The case after one more try to import its channel photos still pending (a staff member
        is looking; the background import at creation may have found the gateway down)."""
        if not any(media_import.is_pending(item) for item in case.attachments):
            return case
        await self.media.import_case(case.id, media_import.ON_DEMAND_TIMEOUT_S)
        return await self.get(case.reference) or case

    async def change_status(self, ref: str, status: str, note: str | None, actor: str,
                            notify_citizen: bool = True) -> StatusChange:
        """Set the status, record it, and tell the citizen through the gateway (recorded too)."""
        if status not in STATUSES:
            raise CaseError(f"Unbekannter Status: {status}")
        now = self.clock()

        def apply(session: Session) -> tuple[int, str, str]:
            case = find(session, ref)
            if case is None:
                raise CaseError(f"Anliegen {ref} nicht gefunden")
            event = CaseEvent(case_id=case.id, at=now, actor=actor, status=status, note=note or None,
                              internal=False, notified=False)
            case.status, case.updated_at, case.last_staff_action_at = status, now, now
            session.add(event)
            session.flush()
            return event.id, case.conversation_id, case.language

        event_id, conversation, language = await self.db.run(apply)
        log.info("case status ref=%s status=%s", ref, status)
        if not notify_citizen:
            return StatusChange(event_id, None)
        message = texts.status_message(ref, status, note, language)
        outcome = await self.notifier.send(conversation, f"case:{ref}:event:{event_id}", [{"text": message}])
        await self.db.run(lambda s: self._record_outcome(s, event_id, outcome))
        return StatusChange(event_id, outcome)

    def _record_outcome(self, session: Session, event_id: int, outcome: Outcome) -> None:
        event = session.get(CaseEvent, event_id)
        if event is None:
            return
        if outcome is Outcome.QUEUED:
            event.notified = True
            return
        session.add(CaseEvent(case_id=event.case_id, at=self.clock(), actor="system", status=None,
                              note=UNREACHABLE_NOTE[outcome], internal=True, notified=False))

    async def add_note(self, ref: str, note: str, actor: str) -> int:
        """An internal note (staff only, never sent to the citizen); counts as staff action."""
        now = self.clock()

        def apply(session: Session) -> int:
            case = find(session, ref)
            if case is None:
                raise CaseError(f"Anliegen {ref} nicht gefunden")
            event = CaseEvent(case_id=case.id, at=now, actor=actor, status=None, note=note, internal=True,
                              notified=False)
            case.last_staff_action_at = now
            session.add(event)
            session.flush()
            return event.id

        return await self.db.run(apply)

    async def list_cases(self, *, open_only: bool = True, overdue_only: bool = False,
                         units: Sequence[str] = (), kind: str | None = None,
                         limit: int = 200) -> list[CaseSummary]:
        """Cases for the console: overdue first (no staff action for CASE_OVERDUE_AFTER_H), then oldest."""
        now = self.clock()
        overdue_after = timedelta(hours=self.settings.case_overdue_after_h)

        def query(session: Session) -> list[CaseSummary]:
            stmt = select(Case)
            if open_only or overdue_only:
                stmt = stmt.where(Case.status.not_in(CLOSED))
            if units:
                stmt = stmt.where(Case.routed_id.in_(list(units)))
            if kind:
                stmt = stmt.where(Case.kind == kind)
            if overdue_only:
                cutoff = now - overdue_after
                stmt = stmt.where(func.coalesce(Case.last_staff_action_at, Case.created_at) < utc(cutoff))
            rows = [summarise(c, now, overdue_after)
                    for c in session.scalars(stmt.order_by(Case.created_at).limit(limit))]
            return sorted(rows, key=lambda row: (not row.overdue, row.created_at))

        return await self.db.run(query)

    async def cases_of_conversation(self, conversation: str) -> list[CaseSummary]:
        """Every case a conversation created (for data-access requests)."""
        now, after = self.clock(), timedelta(hours=self.settings.case_overdue_after_h)
        return await self.db.run(lambda s: [
            summarise(c, now, after) for c in s.scalars(
                select(Case).where(Case.conversation_id == conversation).order_by(Case.id))])

    # background ----------------------------------------------------------------------------

    def _in_background(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _mail_staff(self, ref: str, kind: str, routed: routing.Routing, data: dict[str, Any]) -> None:
        if not (self.settings.smtp_host and self.settings.staff_notify_email):
            return
        try:
            await asyncio.to_thread(staff_mail.send_new_case, self.settings, ref, kind, routed, data)
        except OSError as exc:  # smtplib errors are OSErrors
            log.warning("staff e-mail for ref=%s failed: %s", ref, type(exc).__name__)

    async def drain(self) -> None:
        """Wait for background work (e-mails, photo imports); used at shutdown and by tests."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
