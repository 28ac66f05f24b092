"""Booking, cancelling and rescheduling appointments; the day-before reminder.

A booking is a case of kind ``termin`` (reference number and PIN like any
case) plus an ``appointments`` row. Double booking is prevented by the
database: the partial unique index on (office, start, counter) over active
rows. A booking tries the office's counters in turn, each insert in a
savepoint; when every counter's insert violates the index the slot is taken
(409). No check-then-insert anywhere.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backoffice import calendar, pins, reference, texts
from backoffice.calendar import Office, Slot
from backoffice.cases import CaseService, Denied, allocate_sequence, find_by_key
from backoffice.inputs import Contact
from backoffice.models import Appointment, Case, CaseEvent
from backoffice.notify import Outcome
from backoffice.timeutil import BERLIN, aware, iso, utc
from channels.adapters.twilio.state import optout_key

log = logging.getLogger(__name__)
KIND = "termin"
# reminders go out on the day before, in the daytime only (Berlin)
REMINDER_FROM, REMINDER_UNTIL = time(9, 0), time(20, 0)


class SlotTaken(Exception):
    """Every counter of the slot is booked."""


class NotASlot(Exception):
    """The start is not a free slot of the office (closed, in the past, beyond the horizon, off-grid)."""


@dataclass(frozen=True)
class Booking:
    reference: str
    pin: str
    office: str
    start: str
    status: str
    replayed: bool

    def as_json(self) -> dict[str, Any]:
        return {"reference": self.reference, "pin": self.pin, "office": self.office, "start": self.start,
                "status": self.status}


@dataclass(frozen=True)
class NewBooking:
    idempotency_key: str
    office: str
    start: datetime
    conversation_id: str
    channel: str
    language: str
    name: str | None
    contact: Contact


def _booked(session: Session, office: str, start: datetime, end: datetime) -> dict[datetime, int]:
    rows = session.execute(
        select(Appointment.start, func.count()).where(
            Appointment.office == office, Appointment.active, Appointment.start >= utc(start),
            Appointment.start < utc(end)).group_by(Appointment.start))
    return {aware(at): int(n) for at, n in rows}


def _claim_counter(session: Session, office: Office, place: Callable[[int], Appointment]) -> Appointment:
    """The first counter whose row the unique index accepts; ``place(counter)`` sets the row up.

    Each try runs in a savepoint; a rolled-back savepoint expires what it
    touched, so ``place`` sets every field again on each try.
    """
    for counter in range(1, office.counters + 1):
        try:
            with session.begin_nested():
                appointment = place(counter)
                session.add(appointment)
                session.flush()
            return appointment
        except IntegrityError:
            continue
    raise SlotTaken()


class Appointments:
    """Appointments on top of the case service (same database, clock, limits and notifier)."""

    def __init__(self, cases: CaseService, redis: aioredis.Redis,
                 offices: dict[str, Office] | None = None) -> None:
        self.cases = cases
        self.redis = redis
        self.offices = offices if offices is not None else calendar.load()
        self.horizon = timedelta(days=cases.settings.booking_horizon_days)

    # reading ---------------------------------------------------------------------------------

    async def free_slots(self, office: Office, first_day: date | None = None, days: int = 7,
                         after: time | None = None, before: time | None = None,
                         limit: int = 50) -> list[Slot]:
        now = self.cases.clock()
        first_day = first_day or now.astimezone(office.tz).date()
        window_start = datetime.combine(first_day, time(0), office.tz)
        window_end = window_start + timedelta(days=days + 1)
        booked = await self.cases.db.run(lambda s: _booked(s, office.id, window_start, window_end))
        return calendar.free_slots(office, booked, now, first_day, days, self.horizon, after, before, limit)

    def check_slot(self, office: Office, start: datetime) -> Slot:
        """The slot at ``start`` if it is bookable in principle (not whether a counter is free)."""
        slot = office.slot_at(start)
        now = self.cases.clock()
        if slot is None or slot.start <= now or slot.start > now + self.horizon:
            raise NotASlot()
        return slot

    # booking ---------------------------------------------------------------------------------

    async def book(self, new: NewBooking) -> Booking:
        office = self.offices[new.office]
        pin = pins.derive(self.cases.pin_secret, new.idempotency_key)
        existing = await self.cases.db.run(lambda s: self._replay(s, new.idempotency_key, pin))
        if existing is not None:
            return existing
        slot = self.check_slot(office, new.start)
        pin_hash = await asyncio.to_thread(pins.hash_pin, pin)
        now = self.cases.clock()
        prefix = self.cases.settings.case_reference_prefix

        def insert(session: Session) -> Booking:
            year = now.astimezone(BERLIN).year
            ref = reference.make(prefix, year, allocate_sequence(session, year))
            case = Case(reference=ref, idempotency_key=new.idempotency_key, kind=KIND, status="booked",
                        conversation_id=new.conversation_id, channel=new.channel, language=new.language,
                        pin_hash=pin_hash, routed_kind="department", routed_id=office.department,
                        data={"office": office.id}, contact_name=new.name, contact_phone=new.contact.phone,
                        contact_email=new.contact.email, created_at=now, updated_at=now)
            session.add(case)
            session.flush()
            _claim_counter(session, office, lambda counter: Appointment(
                case_id=case.id, office=office.id, start=utc(slot.start), end=utc(slot.end), counter=counter,
                active=True))
            session.add(CaseEvent(case_id=case.id, at=now, actor="citizen", status="booked",
                                  note=None, internal=False, notified=True))
            return Booking(ref, pin, office.id, iso(slot.start), "booked", replayed=False)

        try:
            booking = await self.cases.db.run(insert)
        except IntegrityError:  # the same idempotency key committed concurrently
            replay = await self.cases.db.run(lambda s: self._replay(s, new.idempotency_key, pin))
            if replay is None:
                raise
            return replay
        log.info("appointment booked ref=%s office=%s", booking.reference, office.id)
        return booking

    def _replay(self, session: Session, key: str, pin: str) -> Booking | None:
        case = find_by_key(session, key)
        if case is None or case.appointment is None:
            return None
        return Booking(case.reference, pin, case.appointment.office, iso(case.appointment.start),
                       "booked" if case.appointment.active else "cancelled", replayed=True)

    async def _own_appointment(self, ref: str, conversation: str, pin: str | None) -> Case | Denied:
        found = await self.cases.authorize(ref, conversation, pin)
        if isinstance(found, Denied):
            return found
        if found.kind != KIND or found.appointment is None:
            return Denied.NOT_FOUND
        return found

    async def cancel(self, ref: str, conversation: str, pin: str | None) -> dict[str, Any] | Denied:
        found = await self._own_appointment(ref, conversation, pin)
        if isinstance(found, Denied):
            return found
        now = self.cases.clock()

        def apply(session: Session) -> dict[str, Any]:
            case = session.get(Case, found.id)
            assert case is not None and case.appointment is not None
            case.appointment.active = False
            case.status, case.updated_at = "cancelled", now
            session.add(CaseEvent(case_id=case.id, at=now, actor="citizen", status="cancelled", note=None,
                                  internal=False, notified=True))
            session.flush()
            return {"reference": case.reference, "office": case.appointment.office,
                    "start": iso(case.appointment.start), "status": "cancelled"}

        result = await self.cases.db.run(apply)
        log.info("appointment cancelled ref=%s", result["reference"])
        return result

    async def reschedule(self, ref: str, conversation: str, pin: str | None,
                         start: datetime) -> dict[str, Any] | Denied:
        found = await self._own_appointment(ref, conversation, pin)
        if isinstance(found, Denied):
            return found
        office = self.offices.get(found.appointment.office)  # type: ignore[union-attr]
        if office is None:
            raise NotASlot()
        slot = self.check_slot(office, start)
        now = self.cases.clock()

        def apply(session: Session) -> dict[str, Any]:
            case = session.get(Case, found.id)
            assert case is not None and case.appointment is not None
            appointment = case.appointment
            appointment.active = False  # release the old slot first: rescheduling to itself works
            session.flush()

            def place(counter: int) -> Appointment:
                appointment.start, appointment.end = utc(slot.start), utc(slot.end)
                appointment.counter = counter
                appointment.active, appointment.reminded_at = True, None
                return appointment

            _claim_counter(session, office, place)
            case.status, case.updated_at = "booked", now
            session.add(CaseEvent(case_id=case.id, at=now, actor="citizen", status="booked",
                                  note="Termin verlegt", internal=False, notified=True))
            return {"reference": case.reference, "office": office.id, "start": iso(slot.start),
                    "status": "booked"}

        result = await self.cases.db.run(apply)
        log.info("appointment rescheduled ref=%s", result["reference"])
        return result

    # reminders -------------------------------------------------------------------------------

    def _opted_out_key(self, conversation: str) -> str:
        return optout_key(self.cases.settings.gateway_redis_prefix, conversation)

    async def send_reminders(self) -> int:
        """Remind every active appointment of tomorrow (Berlin) once; the number sent."""
        now = self.cases.clock()
        local = now.astimezone(BERLIN)
        if not REMINDER_FROM <= local.time() < REMINDER_UNTIL:
            return 0
        tomorrow = local.date() + timedelta(days=1)
        day_start = datetime.combine(tomorrow, time(0), BERLIN)
        day_end = day_start + timedelta(days=1)
        due = await self.cases.db.run(lambda s: list(s.scalars(
            select(Appointment.id).where(Appointment.active, Appointment.reminded_at.is_(None),
                                         Appointment.start >= utc(day_start),
                                         Appointment.start < utc(day_end)))))
        sent = 0
        for appointment_id in due:
            sent += await self._remind(appointment_id, now)
        return sent

    async def _remind(self, appointment_id: int, now: datetime) -> int:
        def claim(session: Session) -> tuple[str, str, str, Appointment] | None:
            # claiming by reminded_at makes "once" hold across processes and rounds
            claimed = session.execute(
                update(Appointment).where(Appointment.id == appointment_id, Appointment.reminded_at.is_(None))
                .values(reminded_at=now).execution_options(synchronize_session=False)).rowcount
            if not claimed:
                return None
            appointment = session.get(Appointment, appointment_id)
            assert appointment is not None
            case = appointment.case
            return case.reference, case.conversation_id, case.language, appointment

        claimed = await self.cases.db.run(claim)
        if claimed is None:
            return 0
        ref, conversation, language, appointment = claimed
        if await self.redis.exists(self._opted_out_key(conversation)):
            await self._note(appointment.case_id, now, "Terminerinnerung nicht gesendet: SMS abbestellt.")
            return 0
        office = self.offices.get(appointment.office)
        local = aware(appointment.start).astimezone(BERLIN)
        message = texts.reminder_message(ref, local.strftime("%d.%m.%Y"), local.strftime("%H:%M"),
                                         office.name if office else appointment.office,
                                         office.address if office else "", language)
        outcome = await self.cases.notifier.send(
            conversation, f"appointment:{ref}:reminder:{local.isoformat()}", [{"text": message}])
        if outcome is Outcome.FAILED:  # try again next round
            await self.cases.db.run(lambda s: s.execute(
                update(Appointment).where(Appointment.id == appointment_id).values(reminded_at=None)))
            return 0
        if outcome is Outcome.NO_ADDRESS:
            await self._note(appointment.case_id, now, "Terminerinnerung nicht zustellbar: keine Adresse.")
            return 0
        return 1

    async def _note(self, case_id: int, now: datetime, note: str) -> None:
        event = CaseEvent(case_id=case_id, at=now, actor="system", status=None, note=note, internal=True,
                          notified=False)
        await self.cases.db.run(lambda s: s.add(event))
