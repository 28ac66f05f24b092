"""The case service's HTTP API under ``/api/v1`` (CONTRACT.md): cases, status, media, appointments."""

from __future__ import annotations

from datetime import date, datetime, time

from aiohttp import web

from backoffice import inputs, media, privacy
from backoffice.appointments import Appointments, NewBooking, NotASlot, SlotTaken
from backoffice.calendar import Office
from backoffice.cases import CaseService, Denied
from backoffice.http_util import error, guarded, json_body, read_limited
from backoffice.inputs import Invalid

DENIED_STATUS = {Denied.NOT_FOUND: 404, Denied.MISTYPED: 422, Denied.LIMITED: 429}


def denied(reason: Denied) -> web.Response:
    return error(DENIED_STATUS[reason], reason.value)


def _conversation(request: web.Request) -> str:
    return inputs.ident(dict(request.query), "conversation_id")


def _pin(raw: object) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not raw.isdigit() or len(raw) != 6:
        raise Invalid("pin must be 6 digits")
    return raw


class CaseHandlers:
    def __init__(self, service: CaseService) -> None:
        self.service = service

    async def create(self, request: web.Request) -> web.Response:
        new = inputs.new_case(await json_body(request))
        created = await self.service.create(new)
        return web.json_response(created.as_json(), status=200 if created.replayed else 201)

    async def status(self, request: web.Request) -> web.Response:
        conversation = _conversation(request)
        pin = _pin(request.query.get("pin"))
        result = await self.service.lookup(request.match_info["reference"], conversation, pin)
        return denied(result) if isinstance(result, Denied) else web.json_response(result)

    async def upload(self, request: web.Request) -> web.Response:
        data = await read_limited(request, media.MAX_BYTES)
        if data is None:
            return error(413, "image larger than 5 MB")
        content_type = media.sniff(data)
        if content_type is None:
            return error(415, "only JPEG, PNG or WebP images")
        now = self.service.clock()
        attachment_id = await self.service.db.run(lambda s: media.store(s, data, content_type, now))
        return web.json_response({"id": attachment_id}, status=201)


class PrivacyHandlers:
    """A conversation's cases for the citizen's data-access request, and their erasure."""

    def __init__(self, service: CaseService) -> None:
        self.service = service

    async def describe(self, request: web.Request) -> web.Response:
        conversation = inputs.ident(dict(request.match_info), "conversation_id")
        cases = await self.service.db.run(lambda s: privacy.describe(s, conversation))
        return web.json_response({"cases": cases,
                                  "retention_days": self.service.settings.case_retention_days})

    async def erase(self, request: web.Request) -> web.Response:
        conversation = inputs.ident(dict(request.match_info), "conversation_id")
        now = self.service.clock()
        count = await self.service.db.run(lambda s: privacy.erase_conversation(s, conversation, now))
        return web.json_response({"anonymised": count})


def _int(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise Invalid(f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def _clock_time(query: dict[str, str], name: str) -> time | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        return time.fromisoformat(raw)
    except ValueError as exc:
        raise Invalid(f"{name} must be HH:MM") from exc


def _start(body: dict[str, object]) -> datetime:
    raw = body.get("start")
    try:
        start = datetime.fromisoformat(str(raw)) if isinstance(raw, str) else None
    except ValueError:
        start = None
    if start is None or start.tzinfo is None:
        raise Invalid("start must be an ISO 8601 date and time with offset")
    return start


class AppointmentHandlers:
    def __init__(self, appointments: Appointments) -> None:
        self.appointments = appointments

    def _office(self, office_id: object) -> Office | None:
        return self.appointments.offices.get(office_id) if isinstance(office_id, str) else None

    async def offices(self, request: web.Request) -> web.Response:
        return web.json_response([office.as_json() for office in self.appointments.offices.values()])

    async def slots(self, request: web.Request) -> web.Response:
        office = self._office(request.match_info["office"])
        if office is None:
            return error(404, "unknown office")
        query = dict(request.query)
        first_day = None
        if "date" in query:
            try:
                first_day = date.fromisoformat(query["date"])
            except ValueError as exc:
                raise Invalid("date must be YYYY-MM-DD") from exc
        slots = await self.appointments.free_slots(
            office, first_day, _int(query, "days", 7, 1, 90), _clock_time(query, "after"),
            _clock_time(query, "before"), _int(query, "limit", 20, 1, 200))
        return web.json_response([slot.as_json() for slot in slots])

    async def book(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        if not isinstance(body, dict):
            raise Invalid("body must be a JSON object")
        office = self._office(body.get("office"))
        if office is None:
            raise Invalid("office must be the id of an office (GET /api/v1/offices)")
        contact = inputs.contact(body.get("contact"))
        new = NewBooking(
            idempotency_key=inputs.ident(body, "idempotency_key", inputs.KEY), office=office.id,
            start=_start(body), conversation_id=inputs.ident(body, "conversation_id"),
            channel=inputs.choice(body, "channel", inputs.CHANNELS),
            language=inputs.choice(body, "language", inputs.LANGUAGES, "de"),
            name=inputs.text(body, "name", 200, required=False), contact=contact)
        try:
            booking = await self.appointments.book(new)
        except NotASlot:
            return error(422, "not a free slot of this office")
        except SlotTaken:
            return error(409, "slot taken")
        return web.json_response(booking.as_json(), status=200 if booking.replayed else 201)

    async def cancel(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        if not isinstance(body, dict):
            raise Invalid("body must be a JSON object")
        result = await self.appointments.cancel(request.match_info["reference"],
                                                inputs.ident(body, "conversation_id"), _pin(body.get("pin")))
        return denied(result) if isinstance(result, Denied) else web.json_response(result)

    async def reschedule(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        if not isinstance(body, dict):
            raise Invalid("body must be a JSON object")
        conversation, pin, start = inputs.ident(body, "conversation_id"), _pin(body.get("pin")), _start(body)
        try:
            result = await self.appointments.reschedule(request.match_info["reference"], conversation, pin,
                                                        start)
        except NotASlot:
            return error(422, "not a free slot of this office")
        except SlotTaken:
            return error(409, "slot taken")
        return denied(result) if isinstance(result, Denied) else web.json_response(result)


def routes(service: CaseService, appointments: Appointments, token: str | None) -> list[web.RouteDef]:
    h = CaseHandlers(service)
    a = AppointmentHandlers(appointments)
    p = PrivacyHandlers(service)
    return [
        web.post("/api/v1/cases", guarded(token, h.create)),
        web.get("/api/v1/cases/{reference}", guarded(token, h.status)),
        web.post("/api/v1/media", guarded(token, h.upload)),
        web.get("/api/v1/privacy/{conversation_id}", guarded(token, p.describe)),
        web.post("/api/v1/privacy/{conversation_id}/erase", guarded(token, p.erase)),
        web.get("/api/v1/offices", guarded(token, a.offices)),
        web.get("/api/v1/offices/{office}/slots", guarded(token, a.slots)),
        web.post("/api/v1/appointments", guarded(token, a.book)),
        web.post("/api/v1/appointments/{reference}/cancel", guarded(token, a.cancel)),
        web.post("/api/v1/appointments/{reference}/reschedule", guarded(token, a.reschedule)),
    ]
