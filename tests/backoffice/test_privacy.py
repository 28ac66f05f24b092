"""Data protection on the staff side, on SQLite and PostgreSQL: a conversation's cases for the
citizen's data-access request, erasure on request, and anonymisation after CASE_RETENTION_DAYS."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import inspect, select, text

from backoffice.models import Attachment, Case, CaseEvent
from backoffice.privacy import Retention
from tests.backoffice.case_support import (  # noqa: F401 - fixtures
    TOKEN,
    clock,
    database_url,
    pg_url,
    prefix,
    rdb,
    serve,
    sqlite_url,
)
from tests.backoffice.test_api_cases import body
from tests.channels.case_service import jpeg

CITIZEN = ("Tiefes Schlagloch", "Hauptstraße 12", "Erika Mustermann", "erika@example.org", "2351123456",
           "conv-a")


async def _cases_of_a(served: Any) -> list[str]:
    status, uploaded, _ = await served.call("POST", "/api/v1/media", data=jpeg(),
                                            headers={"Content-Type": "image/jpeg"})
    assert status == 201
    refs = []
    for key, kind, media in (("conv-a:m1", "maengelmeldung", [uploaded["id"], "telegram:AgADfile"]),
                             ("conv-a:m2", "rueckruf", [])):
        status, created, _ = await served.call("POST", "/api/v1/cases",
                                               json=body(key, kind, "conv-a", media=media))
        assert status == 201, created
        refs.append(created["reference"])
    return refs


def _all_rows(served: Any) -> str:
    """Every row of every table as text: where the citizen's data could still be."""
    def dump(session: Any) -> str:
        tables = inspect(session.get_bind()).get_table_names()
        return "\n".join(str(row) for table in tables
                         for row in session.execute(text(f'SELECT * FROM "{table}"')))
    return served.service.db.call(dump)


async def test_describe_and_erase_a_conversations_cases(serve, database_url) -> None:  # noqa: F811
    served = await serve(database_url)
    refs = await _cases_of_a(served)
    status, other, _ = await served.call("POST", "/api/v1/cases", json=body(
        "conv-b:m1", "sperrmuell_anmelden", "conv-b", place=None, contact={"name": "Max Muster"}))
    assert status == 201
    await served.service.add_note(refs[0], "Frau Mustermann rief an", "anna")

    status, described, _ = await served.call("GET", "/api/v1/privacy/conv-a")
    assert status == 200
    assert described["retention_days"] == 90
    assert [c["reference"] for c in described["cases"]] == refs
    assert {c["kind"] for c in described["cases"]} == {"maengelmeldung", "rueckruf"}
    assert "Erika" not in str(described)  # references and statuses only
    assert (await served.call("GET", "/api/v1/privacy/conv-a", token="wrong"))[0] == 401
    assert (await served.call("POST", "/api/v1/privacy/conv-a/erase", token=None))[0] == 401
    status, reply, _ = await served.call("GET", "/api/v1/privacy/conv%20a%3B")
    assert status == 400 and "conversation_id" in reply["error"]

    status, erased, _ = await served.call("POST", "/api/v1/privacy/conv-a/erase")
    assert (status, erased) == (200, {"anonymised": 2})
    assert (await served.call("GET", "/api/v1/privacy/conv-a"))[1]["cases"] == []

    rows = _all_rows(served)
    for value in CITIZEN:
        assert value not in rows, value
    assert "Frau Mustermann" not in rows
    cases = served.service.db.call(lambda s: {c.reference: c for c in s.scalars(select(Case))})
    for ref in refs:  # the record stays: reference, kind, status, routing
        case = cases[ref]
        assert case.anonymised_at is not None and case.status in ("forwarded", "received")
        assert (case.description, case.address, case.contact_name, case.contact_phone,
                case.contact_email) == (None, None, None, None, None)
    assert served.service.db.call(lambda s: s.scalars(select(Attachment)).all()) == []
    kept = cases[other["reference"]]  # another citizen's case is untouched
    assert kept.conversation_id == "conv-b" and kept.contact_name == "Max Muster"
    # erasing again is harmless
    assert (await served.call("POST", "/api/v1/privacy/conv-a/erase"))[1] == {"anonymised": 0}


async def test_closed_cases_are_anonymised_after_the_retention_period(
        serve, database_url, clock, rdb) -> None:  # noqa: F811
    served = await serve(database_url, clock=clock, case_retention_days=30)
    refs = await _cases_of_a(served)
    await served.service.change_status(refs[0], "done", "Repariert.", "anna", notify_citizen=False)
    retention = Retention(served.service, rdb)
    lease = f"{served.service.settings.gateway_redis_prefix}:bo:lease:retention"
    await rdb.delete(lease)  # taken by the housekeeping round at start-up

    clock.advance(days=29)
    assert await retention.run_once() == 0
    assert await retention.run_once() is None  # this round is done: the lease holds until the next
    await rdb.delete(lease)

    clock.advance(days=2)
    # two processes in the same round: exactly one runs it (the lease)
    results = await asyncio.gather(retention.run_once(), Retention(served.service, rdb).run_once())
    assert sorted(results, key=str) == [1, None]

    cases = served.service.db.call(lambda s: {c.reference: c for c in s.scalars(select(Case))})
    done, still_open = cases[refs[0]], cases[refs[1]]
    assert done.anonymised_at is not None and done.contact_name is None and done.description is None
    assert done.conversation_id != "conv-a" and "conv-a" not in done.idempotency_key
    assert done.status == "done" and done.reference == refs[0]
    notes = served.service.db.call(lambda s: [e.note for e in s.scalars(
        select(CaseEvent).where(CaseEvent.case_id == done.id))])
    assert notes and all(note is None for note in notes)
    # an open case keeps its data however old it is: staff still need it
    assert still_open.anonymised_at is None and still_open.contact_phone == "+492351123456"
