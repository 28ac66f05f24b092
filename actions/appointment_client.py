"""The case service's appointment routes, over HTTP (backoffice/CONTRACT.md).

The action server never touches the database: offices, free slots, bookings,
cancellations and rescheduling go through ``/api/v1`` with the bearer token,
over the one transport of ``actions/case_service.py``. HTTP statuses become
results (``SlotGone``, ``NotFound``, ``Mistyped``, ``TooMany``) or a
``CaseServiceError`` here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from urllib.parse import quote

from actions.case_service import CaseServiceError, Mistyped, NotFound, TooMany
from actions.case_service import _request as request

__all__ = ["Booking", "CaseServiceError", "Mistyped", "NotFound", "Office", "SlotGone", "TooMany"]


@dataclass(frozen=True)
class SlotGone:
    """409 (someone else booked it first) or 422 (not a free slot of that office any more)."""

    taken: bool


@dataclass(frozen=True)
class Office:
    id: str
    name: str
    topic: str
    address: str


@dataclass(frozen=True)
class Booking:
    reference: str
    pin: str | None
    office: str
    start: datetime


def _ref(reference: str) -> str:
    return quote(reference, safe="")


def _lookup_result(status: int, path: str) -> NotFound | Mistyped | TooMany:
    if status == 404:
        return NotFound()
    if status == 422:
        return Mistyped()
    if status == 429:
        return TooMany()
    raise CaseServiceError(f"{path}: HTTP {status}")


async def offices() -> list[Office]:
    status, data = await request("GET", "/api/v1/offices")
    if status != 200 or not isinstance(data, list):
        raise CaseServiceError(f"GET /api/v1/offices: HTTP {status}")
    return [Office(str(o["id"]), str(o["name"]), str(o.get("topic") or ""), str(o.get("address") or ""))
            for o in data]


async def free_slots(office: str, first: date, days: int = 1, after: time | None = None,
                     before: time | None = None, limit: int = 50) -> list[datetime]:
    """Free slot starts of ``office`` from ``first`` for ``days`` days, earliest first."""
    params = {"date": first.isoformat(), "days": str(max(1, days)), "limit": str(limit)}
    if after is not None:
        params["after"] = after.strftime("%H:%M")
    if before is not None:
        params["before"] = before.strftime("%H:%M")
    status, data = await request("GET", f"/api/v1/offices/{_ref(office)}/slots", params=params)
    if status != 200 or not isinstance(data, list):
        raise CaseServiceError(f"GET slots: HTTP {status}")
    return sorted(datetime.fromisoformat(s["start"]) for s in data)


async def book(*, idempotency_key: str, office: str, start: datetime, conversation_id: str,
               channel: str, language: str, name: str,
               contact: dict[str, str | None]) -> Booking | SlotGone:
    """POST /api/v1/appointments; the same idempotency key again returns the first booking."""
    status, data = await request("POST", "/api/v1/appointments", json={
        "idempotency_key": idempotency_key, "office": office, "start": start.isoformat(),
        "conversation_id": conversation_id, "channel": channel, "language": language,
        "name": name, "contact": contact,
    })
    if status in (409, 422):
        return SlotGone(taken=status == 409)
    if status not in (200, 201) or not isinstance(data, dict):
        raise CaseServiceError(f"POST /api/v1/appointments: HTTP {status}")
    return Booking(str(data["reference"]), data.get("pin"), str(data.get("office") or office),
                   datetime.fromisoformat(data.get("start") or start.isoformat()))


async def appointment_of(reference: str, conversation_id: str,
                         pin: str | None) -> dict[str, Any] | NotFound | Mistyped | TooMany:
    """The case's status with its ``appointment`` (same privacy rule as the status query)."""
    params = {"conversation_id": conversation_id, **({"pin": pin} if pin else {})}
    status, data = await request("GET", f"/api/v1/cases/{_ref(reference)}", params=params)
    if status == 200 and isinstance(data, dict):
        return data
    return _lookup_result(status, "GET /api/v1/cases/{reference}")


async def cancel(reference: str, conversation_id: str,
                 pin: str | None) -> dict[str, Any] | NotFound | Mistyped | TooMany:
    status, data = await request("POST", f"/api/v1/appointments/{_ref(reference)}/cancel",
                                 json={"conversation_id": conversation_id, "pin": pin})
    if status == 200 and isinstance(data, dict):
        return data
    return _lookup_result(status, "POST cancel")


async def reschedule(reference: str, start: datetime, conversation_id: str,
                     pin: str | None) -> dict[str, Any] | SlotGone | NotFound | Mistyped | TooMany:
    status, data = await request("POST", f"/api/v1/appointments/{_ref(reference)}/reschedule",
                                 json={"conversation_id": conversation_id, "pin": pin,
                                       "start": start.isoformat()})
    if status == 200 and isinstance(data, dict):
        return data
    if status == 409 or (status == 422 and "check digit" not in str((data or {}).get("error"))):
        return SlotGone(taken=status == 409)
    return _lookup_result(status, "POST reschedule")
