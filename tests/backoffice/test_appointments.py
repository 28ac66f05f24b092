"""Appointments over real HTTP and with real threads, on SQLite and PostgreSQL: free slots, booking,
idempotency, double booking made impossible by the unique index, cancel, reschedule."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime
from typing import Any

import pytest
import redis.asyncio as aioredis

from backoffice import db, migrate
from backoffice.appointments import Appointments, NewBooking, SlotTaken
from backoffice.cases import CaseService
from backoffice.inputs import Contact
from backoffice.models import Appointment
from backoffice.notify import GatewayNotifier
from tests.backoffice.case_support import (  # noqa: F401 - fixtures
    FixedClock,
    clock,
    database_url,
    make_settings,
    pg_url,
    prefix,
    rdb,
    serve,
    sqlite_url,
)
from tests.channels.conftest import REDIS_URL

SINGLE = "buergerbuero_kreishaus"  # one counter
SLOT = "2026-12-08T08:00:00+01:00"  # Tuesday after the test clock's Monday


def booking(key: str, start: str = SLOT, office: str = SINGLE,
            conversation: str = "conv-a") -> dict[str, Any]:
    return {"idempotency_key": key, "office": office, "start": start, "conversation_id": conversation,
            "channel": "telegram", "language": "de", "name": "Max Muster",
            "contact": {"name": None, "phone": "+49 171 1234567", "email": None}}


async def test_offices_and_slots(serve, sqlite_url, clock) -> None:  # noqa: F811
    served = await serve(sqlite_url, clock)
    status, offices, _ = await served.call("GET", "/api/v1/offices")
    assert status == 200
    assert {"id": SINGLE, "name": "Bürgerbüro im Kreishaus Lüdenscheid", "topic": "kontakt",
            "address": "Kreishaus, Heedfelder Straße 45, 58509 Lüdenscheid"} in offices
    status, slots, _ = await served.call("GET", f"/api/v1/offices/{SINGLE}/slots",
                                         params={"date": "2026-12-07", "days": "2", "limit": "3"})
    assert status == 200
    # never in the past: the clock says 10:30 in Berlin
    assert slots == [{"start": "2026-12-07T10:45:00+01:00", "end": "2026-12-07T11:00:00+01:00"},
                     {"start": "2026-12-07T11:00:00+01:00", "end": "2026-12-07T11:15:00+01:00"},
                     {"start": "2026-12-07T11:15:00+01:00", "end": "2026-12-07T11:30:00+01:00"}]
    status, slots, _ = await served.call("GET", f"/api/v1/offices/{SINGLE}/slots",
                                         params={"date": "2026-12-08", "days": "1", "after": "14:00",
                                                 "before": "15:00"})
    assert [s["start"][11:16] for s in slots] == ["14:00", "14:15", "14:30", "14:45"]
    for params, message in (({"date": "8.12.2026"}, "date must be YYYY-MM-DD"),
                            ({"days": "91"}, "days must be"),
                            ({"after": "vormittags"}, "after must be HH:MM")):
        status, reply, _ = await served.call("GET", f"/api/v1/offices/{SINGLE}/slots", params=params)
        assert status == 400 and message in reply["error"]
    unknown = await served.call("GET", "/api/v1/offices/finanzamt/slots")
    assert (unknown[0], unknown[1]) == (404, {"error": "unknown office"})


async def test_book_idempotent_and_slot_disappears(serve, database_url, clock) -> None:  # noqa: F811
    served = await serve(database_url, clock)
    status, booked, _ = await served.call("POST", "/api/v1/appointments", json=booking("conv-a:m1"))
    assert status == 201, booked
    assert booked["office"] == SINGLE and booked["start"] == SLOT and booked["status"] == "booked"
    assert len(booked["pin"]) == 6
    again = await served.call("POST", "/api/v1/appointments", json=booking("conv-a:m1"))
    assert (again[0], again[1]) == (200, booked)
    _, slots, _ = await served.call("GET", f"/api/v1/offices/{SINGLE}/slots",
                                    params={"date": "2026-12-08", "days": "1", "limit": "200"})
    assert SLOT not in [s["start"] for s in slots] and len(slots) == 31
    status, view, _ = await served.call("GET", f"/api/v1/cases/{booked['reference']}",
                                        params={"conversation_id": "conv-a"})
    assert status == 200 and view["kind"] == "termin" and view["status"] == "booked"
    assert view["appointment"] == {"office": SINGLE, "start": SLOT, "end": "2026-12-08T08:15:00+01:00",
                                   "status": "booked"}


async def test_taken_and_invalid_slots(serve, database_url, clock) -> None:  # noqa: F811
    served = await serve(database_url, clock)
    assert (await served.call("POST", "/api/v1/appointments", json=booking("a:1")))[0] == 201
    assert (await served.call("POST", "/api/v1/appointments", json=booking("b:1", conversation="b")))[0:2] \
        == (409, {"error": "slot taken"})
    for start in ("2026-12-07T08:00:00+01:00",  # in the past
                  "2026-12-08T08:05:00+01:00",  # not on the grid
                  "2026-12-25T08:00:00+01:00",  # holiday
                  "2027-01-12T08:00:00+01:00"):  # beyond 28 days
        status, reply, _ = await served.call("POST", "/api/v1/appointments",
                                             json=booking(f"c:{start[:13]}", start))
        assert (status, reply) == (422, {"error": "not a free slot of this office"}), start
    status, reply, _ = await served.call("POST", "/api/v1/appointments",
                                         json=booking("d:1", "2026-12-08T08:00:00"))
    assert status == 400 and "offset" in reply["error"]


async def test_twenty_parallel_http_bookings_of_one_slot(serve, database_url, clock) -> None:  # noqa: F811
    served = await serve(database_url, clock)
    results = await asyncio.gather(*[
        served.call("POST", "/api/v1/appointments", json=booking(f"c{n}:m1", conversation=f"c{n}"))
        for n in range(20)])
    assert sorted(status for status, _, _ in results) == [201] + [409] * 19


def _parallel_bookings(url: str, redis_prefix: str, now: FixedClock, office: str, n: int) -> list[str]:
    """``n`` threads, each with its own engine and event loop, book the same slot at the same moment."""
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        async def run() -> str:
            redis = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)
            database = db.Database.from_url(url)
            settings = make_settings(url, redis_prefix)
            service = CaseService(database, settings, redis, GatewayNotifier("http://127.0.0.1:9", None), now)
            appointments = Appointments(service, redis)
            new = NewBooking(f"t{index}:m", office, datetime.fromisoformat(SLOT), f"t{index}", "test", "de",
                             None, Contact())
            try:
                await asyncio.to_thread(barrier.wait)
                await appointments.book(new)
                return "booked"
            except SlotTaken:
                return "taken"
            finally:
                database.dispose()
                await redis.aclose()

        result = asyncio.run(run())
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.parametrize(("office", "counters"), [(SINGLE, 1), ("zulassung_iserlohn", 2)])
async def test_twenty_threads_book_one_slot(database_url, prefix, clock, office, counters) -> None:  # noqa: F811
    engine = db.create(database_url)
    migrate.upgrade(engine)
    outcomes = await asyncio.to_thread(_parallel_bookings, database_url, prefix, clock, office, 20)
    assert sorted(outcomes) == ["booked"] * counters + ["taken"] * (20 - counters)
    rows = db.Database(engine).call(lambda s: [(a.office, a.counter, a.active) for a in s.query(Appointment)])
    assert sorted(rows) == [(office, c, True) for c in range(1, counters + 1)]
    engine.dispose()


async def test_cancel_frees_the_slot_and_follows_the_privacy_rule(serve, database_url, clock) -> None:  # noqa: F811
    served = await serve(database_url, clock)
    _, booked, _ = await served.call("POST", "/api/v1/appointments", json=booking("a:1"))
    path = f"/api/v1/appointments/{booked['reference']}/cancel"
    stranger = await served.call("POST", path, json={"conversation_id": "other"})
    assert (stranger[0], stranger[1]) == (404, {"error": "not found"})
    status, reply, _ = await served.call("POST", path,
                                         json={"conversation_id": "other", "pin": booked["pin"]})
    assert status == 200 and reply["status"] == "cancelled"
    # the slot is free again for somebody else
    again = await served.call("POST", "/api/v1/appointments", json=booking("b:1", conversation="b"))
    assert again[0] == 201
    status, view, _ = await served.call("GET", f"/api/v1/cases/{booked['reference']}",
                                        params={"conversation_id": "conv-a"})
    assert view["status"] == "cancelled" and view["appointment"]["status"] == "cancelled"


async def test_reschedule(serve, database_url, clock) -> None:  # noqa: F811
    served = await serve(database_url, clock)
    _, first, _ = await served.call("POST", "/api/v1/appointments", json=booking("a:1"))
    _, other, _ = await served.call("POST", "/api/v1/appointments",
                                    json=booking("b:1", "2026-12-08T09:00:00+01:00", conversation="b"))
    path = f"/api/v1/appointments/{first['reference']}/reschedule"
    taken = await served.call("POST", path, json={"conversation_id": "conv-a", "start": other["start"]})
    assert (taken[0], taken[1]) == (409, {"error": "slot taken"})
    off_grid = await served.call("POST", path, json={"conversation_id": "conv-a",
                                                     "start": "2026-12-08T09:07:00+01:00"})
    assert off_grid[0] == 422
    status, reply, _ = await served.call("POST", path, json={"conversation_id": "conv-a",
                                                             "start": "2026-12-09T10:00:00+01:00"})
    assert status == 200 and reply["start"] == "2026-12-09T10:00:00+01:00" and reply["status"] == "booked"
    # the old slot is free again, the new one is not
    freed = await served.call("POST", "/api/v1/appointments", json=booking("c:1", conversation="c"))
    assert freed[0] == 201
    again = await served.call("POST", "/api/v1/appointments",
                              json=booking("d:1", "2026-12-09T10:00:00+01:00", conversation="d"))
    assert again[0] == 409
    # a failed reschedule leaves the booking as it was
    _, view, _ = await served.call("GET", f"/api/v1/cases/{other['reference']}",
                                   params={"conversation_id": "b"})
    assert view["appointment"]["start"] == "2026-12-08T09:00:00+01:00"


async def test_slot_list_counts_counters(serve, sqlite_url, clock) -> None:  # noqa: F811
    served = await serve(sqlite_url, clock)
    office, start = "zulassung_iserlohn", "2026-12-08T07:30:00+01:00"  # two counters
    params = {"date": "2026-12-08", "days": "1", "limit": "1"}
    for n in range(2):
        _, slots, _ = await served.call("GET", f"/api/v1/offices/{office}/slots", params=params)
        assert slots[0]["start"] == start
        status, _, _ = await served.call("POST", "/api/v1/appointments",
                                         json=booking(f"k{n}", start, office, f"c{n}"))
        assert status == 201
    _, slots, _ = await served.call("GET", f"/api/v1/offices/{office}/slots", params=params)
    assert slots[0]["start"] == "2026-12-08T07:45:00+01:00"

