"""Open311 GeoReport v2 (``/open311/v2/``) over the case service: existing back-office and
reporting tools read defect reports (``maengelmeldung``) and can file new ones.

Public reads carry no personal data: no description, address, contact or
photos, and coordinates rounded to 3 decimals (about 100 m). Only defect
reports are listed; bulky-waste and call-back requests are not public.
Errors are Open311's ``[{"code": ..., "description": ...}]``.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice import routing, texts
from backoffice.cases import CLOSED, CaseService
from backoffice.inputs import Contact, Invalid, NewCase, Place, contact
from backoffice.models import Case
from backoffice.timeutil import iso, utc

log = logging.getLogger(__name__)

PREFIX = "/open311/v2"
KIND = "maengelmeldung"
DEFAULT_DAYS = 90
MAX_RESULTS = 1000
SERVICES = {
    "road_damage": ("Straßenschaden (Schlagloch, Riss)", "Schäden an Fahrbahn, Radweg oder Gehweg",
                    "schlagloch, straße, gehweg, radweg"),
    "illegal_dumping": ("Wilder Müll", "Illegal abgelagerter Abfall", "müll, sperrmüll, abfall"),
    "damaged_sign": ("Beschädigtes Verkehrsschild", "Umgefahrene, verdrehte oder unlesbare Schilder",
                     "schild, verkehrszeichen"),
    "other": ("Sonstiger Mangel", "Andere Mängel im öffentlichen Raum", "mangel"),
}


def _errors(status: int, description: str) -> web.Response:
    return web.json_response([{"code": status, "description": description}], status=status)


def _service(code: str) -> dict[str, Any]:
    name, description, keywords = SERVICES[code]
    return {"service_code": code, "service_name": name, "description": description, "metadata": False,
            "type": "realtime", "keywords": keywords, "group": "Mängelmeldung"}


def public_view(case: Case) -> dict[str, Any]:
    """One request as Open311 shows it, without personal fields."""
    code = str((case.data or {}).get("category", "other"))
    routed = routing.by_id(case.routed_kind, case.routed_id)
    return {
        "service_request_id": case.reference,
        "status": "closed" if case.status in CLOSED else "open",
        "status_notes": texts.status_label(case.status, "de"),
        "service_name": SERVICES.get(code, SERVICES["other"])[0],
        "service_code": code if code in SERVICES else "other",
        "agency_responsible": routed.name,
        "service_notice": None,
        "requested_datetime": iso(case.created_at),
        "updated_datetime": iso(case.updated_at),
        "expected_datetime": None,
        "lat": round(case.lat, 3) if case.lat is not None else None,
        "long": round(case.lon, 3) if case.lon is not None else None,
    }


def _when(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Invalid(f"{name} must be a W3C date and time, e.g. 2026-12-07T10:00:00+01:00") from exc
    return utc(value)


def _list(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def _float(form: Any, name: str, low: float, high: float) -> float | None:
    raw = form.get(name)
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise Invalid(f"{name} must be a number") from exc
    if not low <= value <= high:
        raise Invalid(f"{name} must be between {low} and {high}")
    return value


class Open311:
    def __init__(self, service: CaseService) -> None:
        self.service = service

    async def services(self, request: web.Request) -> web.Response:
        return web.json_response([_service(code) for code in SERVICES])

    async def service_definition(self, request: web.Request) -> web.Response:
        code = request.match_info["code"]
        if code not in SERVICES:
            return _errors(404, "service_code not found")
        return web.json_response({"service_code": code, "attributes": []})

    async def requests(self, request: web.Request) -> web.Response:
        query = request.query
        try:
            start = _when(query.get("start_date"), "start_date")
            end = _when(query.get("end_date"), "end_date")
        except Invalid as exc:
            return _errors(400, str(exc))
        status = query.get("status")
        if status not in (None, "", "open", "closed"):
            return _errors(400, "status must be open or closed")
        ids, codes = _list(query.get("service_request_id")), _list(query.get("service_code"))
        if not ids and start is None and end is None:
            start = self.service.clock() - timedelta(days=DEFAULT_DAYS)

        def search(session: Session) -> list[dict[str, Any]]:
            stmt = select(Case).where(Case.kind == KIND)
            if ids:
                stmt = stmt.where(Case.reference.in_([i.upper() for i in ids]))
            if codes:
                stmt = stmt.where(Case.data["category"].as_string().in_(codes))
            if status == "open":
                stmt = stmt.where(Case.status.not_in(CLOSED))
            elif status == "closed":
                stmt = stmt.where(Case.status.in_(CLOSED))
            if start is not None:
                stmt = stmt.where(Case.created_at >= start)
            if end is not None:
                stmt = stmt.where(Case.created_at <= end)
            stmt = stmt.order_by(Case.created_at.desc()).limit(MAX_RESULTS)
            return [public_view(case) for case in session.scalars(stmt)]

        return web.json_response(await self.service.db.run(search))

    async def one_request(self, request: web.Request) -> web.Response:
        ref = request.match_info["id"].upper()
        found = await self.service.db.run(lambda s: s.scalars(
            select(Case).where(Case.reference == ref, Case.kind == KIND)).one_or_none())
        if found is None:
            return _errors(404, "service_request_id not found")
        return web.json_response([public_view(found)])

    def _key_ok(self, supplied: str) -> bool:
        keys = self.service.settings.open311_keys
        return any(hmac.compare_digest(supplied.encode("utf-8"), key.encode("utf-8")) for key in keys) \
            if supplied else False

    async def create(self, request: web.Request) -> web.Response:
        form = await request.post()
        api_key = str(form.get("api_key") or request.query.get("api_key") or "")
        if not self._key_ok(api_key):
            return _errors(403, "api_key missing or not valid")
        try:
            new = self._new_case(form, api_key)
        except Invalid as exc:
            return _errors(400, str(exc))
        created = await self.service.create(new)
        log.info("open311 request ref=%s", created.reference)
        return web.json_response([{"service_request_id": created.reference,
                                   "service_notice": f"Zuständig: {created.routed.name}",
                                   "account_id": None}], status=201)

    def _new_case(self, form: Any, api_key: str) -> NewCase:
        code = str(form.get("service_code") or "")
        if code not in SERVICES:
            raise Invalid("service_code missing or unknown (GET services.json)")
        lat, lon = _float(form, "lat", -90, 90), _float(form, "long", -180, 180)
        address = str(form.get("address_string") or "").strip()[:300] or None
        if (lat is None or lon is None) and not address:
            raise Invalid("lat and long or address_string required")
        description = str(form.get("description") or "").strip()[:2000] or SERVICES[code][0]
        names = " ".join(str(form.get(n) or "").strip() for n in ("first_name", "last_name")).strip()
        person = contact({"name": names or None, "email": form.get("email") or None,
                          "phone": form.get("phone") or None})
        media = str(form.get("media_url") or "")
        client = hmac.new(b"open311-client", api_key.encode("utf-8"), "sha256").hexdigest()[:16]
        return NewCase(
            idempotency_key=f"open311:{secrets.token_hex(16)}", kind=KIND,
            conversation_id=f"open311:{client}", channel="open311", language="de",
            data={"category": code}, description=description,
            place=Place(routing.town_for_postcode(address or ""), address, lat, lon),
            contact=Contact(person.name, person.phone, person.email),
            media=(media,) if media.startswith(("http://", "https://")) and len(media) < 280 else ())


def routes(service: CaseService) -> list[web.RouteDef]:
    api = Open311(service)
    return [
        web.get(f"{PREFIX}/services.json", api.services),
        web.get(f"{PREFIX}/services/{{code}}.json", api.service_definition),
        web.get(f"{PREFIX}/requests.json", api.requests),
        web.post(f"{PREFIX}/requests.json", api.create),
        web.get(f"{PREFIX}/requests/{{id}}.json", api.one_request),
    ]
