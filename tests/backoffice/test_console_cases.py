"""Console case pages with a real gateway: overdue flags, status changes reach the citizen, notes do not.

SQLite by default; the same flow on PostgreSQL when it is reachable (skipped with the reason otherwise).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select, update

from backoffice import api, db
from backoffice.appointments import Appointments
from backoffice.models import AuditEntry, Case, CaseEvent
from channels.messages import Channel
from channels.pseudonym import conversation_id
from tests.backoffice.console_support import TOKEN, add_case, add_user
from tests.backoffice.test_api_cases import body as case_body
from tests.backoffice.test_appointments import booking
from tests.channels.case_service import png
from tests.channels.conftest import PSEUDONYM_KEY

REF_OLD, REF_NEW, REF_DONE, REF_OTHER = ("MK-2026-000001-0", "MK-2026-000002-8", "MK-2026-000003-5",
                                         "MK-2026-000004-1")
pytestmark = pytest.mark.usefixtures("staff_side_database")


def _conv(user: str) -> str:
    return conversation_id(PSEUDONYM_KEY.encode(), Channel.TEST, user)


async def test_overview_flags_overdue_cases_and_hides_closed_ones(start_console, browsers, engine,
                                                                  clock) -> None:
    add_user(engine, "anna")
    add_case(engine, REF_OLD, "c1", created=clock.now - timedelta(hours=80))
    add_case(engine, REF_NEW, "c2", created=clock.now - timedelta(hours=80),
             last_action=clock.now - timedelta(hours=2))
    add_case(engine, REF_DONE, "c3", status="done", created=clock.now - timedelta(days=9))
    server = await start_console()
    browser = browsers(server.url)
    await browser.login("anna")
    _, page = await browser.get("/console/")
    assert REF_DONE not in page
    assert page.index(REF_OLD) < page.index(REF_NEW)  # overdue first
    old_row = page[page.rindex("<tr", 0, page.index(REF_OLD)):page.index("</tr>", page.index(REF_OLD))]
    new_row = page[page.rindex("<tr", 0, page.index(REF_NEW)):page.index("</tr>", page.index(REF_NEW))]
    assert "überfällig" in old_row and "überfällig" not in new_row
    clock.advance(hours=71)  # 73 h after the last staff action: overdue too
    _, page = await browser.get("/console/")
    assert page.count("(überfällig)") == 2


async def _citizen_with_case(http, gateway, sink, engine, clock, reference: str = REF_OLD) -> str:
    await gateway.send(http, user="u1", id="m0", text="Hallo", language="de")
    await sink.wait_for(lambda: len(sink.texts("u1")) == 2)
    add_case(engine, reference, _conv("u1"), created=clock.now - timedelta(hours=1))
    return _conv("u1")


async def test_status_change_reaches_the_citizen_and_notes_stay_internal(
        make_settings, start_gateway, start_console, browsers, http, sink, engine, clock) -> None:
    gateway = await start_gateway(make_settings(case_service_token=TOKEN))
    await _citizen_with_case(http, gateway, sink, engine, clock)
    add_user(engine, "anna", name="Anna Schmidt")
    server = await start_console(notify_url=gateway.internal_url)
    browser = browsers(server.url)
    await browser.login("anna")
    status, page = await browser.get(f"/console/cases/{REF_OLD}")
    assert status == 200 and "Schlagloch vor Hausnummer 12" in page

    status, _, where = await browser.post(f"/console/cases/{REF_OLD}/status", status="in_progress",
                                          note="Wir schicken am Montag einen Trupp.")
    assert status == 303 and where.endswith("msg=status_sent")
    await sink.wait_for(lambda: len(sink.texts("u1")) == 3)
    update = sink.texts("u1")[2]
    assert REF_OLD in update and "in Bearbeitung" in update
    assert "Wir schicken am Montag einen Trupp." in update

    await browser.get(f"/console/cases/{REF_OLD}")
    status, _, where = await browser.post(f"/console/cases/{REF_OLD}/notes",
                                          note="Anwohner ist bekannt, bitte vorher anrufen.")
    assert status == 303 and where.endswith("msg=note_saved")
    await asyncio.sleep(0.5)
    assert len(sink.texts("u1")) == 3  # nothing went to the citizen
    _, page = await browser.get(f"/console/cases/{REF_OLD}")
    assert "Anwohner ist bekannt, bitte vorher anrufen." in page and "intern" in page

    database = db.Database(engine)
    events = database.call(lambda s: [(e.status, e.internal, e.notified, e.actor)
                                      for e in s.scalars(select(CaseEvent).order_by(CaseEvent.id))])
    assert events == [("in_progress", False, True, "anna"), (None, True, False, "anna")]
    assert database.call(lambda s: s.scalars(select(Case.status)).one()) == "in_progress"
    audit = database.call(lambda s: [(a.action, a.detail) for a in s.scalars(
        select(AuditEntry).where(AuditEntry.action.like("case_%")).order_by(AuditEntry.id))])
    assert audit == [("case_status", f"{REF_OLD} -> in_progress"), ("case_note", REF_OLD)]


async def test_invalid_status_and_empty_note_are_refused(start_console, browsers, engine, clock) -> None:
    add_user(engine, "anna")
    add_case(engine, REF_OLD, "c1", created=clock.now)
    server = await start_console()
    browser = browsers(server.url)
    await browser.login("anna")
    await browser.get(f"/console/cases/{REF_OLD}")
    assert (await browser.post(f"/console/cases/{REF_OLD}/status", status="erfunden"))[0] == 400
    assert (await browser.post(f"/console/cases/{REF_OLD}/notes", note="   "))[0] == 400
    assert (await browser.get("/console/cases/MK-2026-999999-9"))[0] == 404
    database = db.Database(engine)
    assert database.call(lambda s: s.scalars(select(CaseEvent)).all()) == []


async def test_units_limit_what_staff_see(start_console, browsers, engine, clock) -> None:
    add_user(engine, "abfall", units=["abfallwirtschaft"])
    add_case(engine, REF_OLD, "c1", created=clock.now, routed_id="strassen")
    add_case(engine, REF_OTHER, "c2", created=clock.now, routed_id="abfallwirtschaft")
    server = await start_console()
    browser = browsers(server.url)
    await browser.login("abfall")
    _, page = await browser.get("/console/")
    assert REF_OTHER in page and REF_OLD not in page
    assert (await browser.get(f"/console/cases/{REF_OLD}"))[0] == 404
    assert (await browser.post(f"/console/cases/{REF_OLD}/status", status="done"))[0] == 404


async def test_case_flow_on_postgresql(make_settings, start_gateway, start_console, browsers, http, sink,
                                       pg_engine, clock) -> None:
    gateway = await start_gateway(make_settings(case_service_token=TOKEN))
    await _citizen_with_case(http, gateway, sink, pg_engine, clock)
    add_case(pg_engine, REF_DONE, "c3", status="done", created=clock.now - timedelta(days=9))
    add_user(pg_engine, "anna")
    server = await start_console(notify_url=gateway.internal_url, database=pg_engine)
    browser = browsers(server.url)
    await browser.login("anna")
    _, page = await browser.get("/console/")
    assert REF_OLD in page and REF_DONE not in page
    await browser.get(f"/console/cases/{REF_OLD}")
    assert (await browser.post(f"/console/cases/{REF_OLD}/status", status="done", note=""))[0] == 303
    await browser.get(f"/console/cases/{REF_OLD}")
    assert (await browser.post(f"/console/cases/{REF_OLD}/notes", note="intern"))[0] == 303
    await sink.wait_for(lambda: len(sink.texts("u1")) == 3)
    assert REF_OLD in sink.texts("u1")[2] and "erledigt" in sink.texts("u1")[2]
    database = db.Database(pg_engine)
    assert database.call(lambda s: [(e.status, e.internal) for e in s.scalars(
        select(CaseEvent).order_by(CaseEvent.id))]) == [("done", False), (None, True)]
    assert database.call(lambda s: s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()) == [
        "login", "case_status", "case_note"]


def _with_case_api(app, console) -> None:
    """The case API beside the console, as ``python -m backoffice`` mounts both on the internal port."""
    app.router.add_routes(api.routes(console.cases, Appointments(console.cases, console.redis), TOKEN))


async def test_photos_and_appointment_on_the_case_page(start_console, browsers, engine, clock) -> None:
    add_user(engine, "anna")
    add_user(engine, "abfall", units=["abfallwirtschaft"])
    server = await start_console(extend=_with_case_api)
    photo = png(3, 2)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(headers=auth) as client:
        async with client.post(f"{server.url}/api/v1/media", data=photo) as reply:
            media_id = (await reply.json())["id"]
        async with client.post(f"{server.url}/api/v1/cases", json=case_body(
                media=[media_id, "telegram:AgAD-file_1"])) as reply:
            ref = (await reply.json())["reference"]
        async with client.post(f"{server.url}/api/v1/appointments", json=booking("conv-b:m1")) as reply:
            assert reply.status == 201
            appointment_ref = (await reply.json())["reference"]
    database = db.Database(engine)
    database.call(lambda s: s.execute(update(Case).values(routed_id="strassen")))  # anna's, not abfall's

    browser = browsers(server.url)
    await browser.login("anna")
    status, page = await browser.get(f"/console/cases/{ref}")
    url = f"/console/cases/{ref}/media/{media_id}"
    assert status == 200 and f'<img src="{url}"' in page and f'href="{url}"' in page
    # no gateway at GATEWAY_NOTIFY_URL: the Telegram photo could not be imported, not at creation, not now
    assert "Foto 2: Foto aus Telegram konnte gerade nicht geladen werden; bitte später erneut öffnen." in page
    async with browser.session.get(server.url + url) as reply:
        assert reply.status == 200 and await reply.read() == photo
        assert reply.headers["Content-Type"] == "image/png"
        assert reply.headers["Content-Disposition"].startswith("inline")
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert (await browser.get(f"/console/cases/{ref}/media/att_{'0' * 24}"))[0] == 404
    assert (await browser.get(f"/console/cases/{appointment_ref}/media/{media_id}"))[0] == 404  # not its case

    _, page = await browser.get(f"/console/cases/{appointment_ref}")
    assert "08.12.2026 08:00 bis 08:15 Uhr" in page  # Berlin time, stored as 07:00 UTC
    assert "Bürgerbüro im Kreishaus Lüdenscheid" in page and "gebucht" in page

    other = browsers(server.url)
    await other.login("abfall")
    async with other.session.get(server.url + url) as reply:
        assert reply.status == 404 and await reply.read() != photo
    anonymous = browsers(server.url)
    assert (await anonymous.get(url))[0] == 303  # to the login


async def test_overview_refreshes_itself_and_counts_waiting_and_new_in_the_title(
        start_console, browsers, http, engine, clock) -> None:
    add_user(engine, "anna")
    add_case(engine, REF_OLD, "c1", created=clock.now - timedelta(hours=1))  # nobody touched it yet
    add_case(engine, REF_NEW, "c2", created=clock.now - timedelta(hours=2), last_action=clock.now)
    server = await start_console()
    browser = browsers(server.url)
    await browser.login("anna")
    _, page = await browser.get("/console/")
    assert "<title>(0 wartend, 1 neu) Übersicht – Konsole" in page and "<h1>Übersicht</h1>" in page
    assert '<meta http-equiv="refresh" content="30; url=/console/">' in page
    new_row = page[page.rindex("<tr", 0, page.index(REF_OLD)):page.index("</tr>", page.index(REF_OLD))]
    old_row = page[page.rindex("<tr", 0, page.index(REF_NEW)):page.index("</tr>", page.index(REF_NEW))]
    assert "(neu)" in new_row and "(neu)" not in old_row

    for conversation in ("w1", "w2"):
        async with http.post(f"{server.url}/api/v1/handoff", headers={"Authorization": f"Bearer {TOKEN}"},
                             json={"conversation_id": conversation, "channel": "test", "language": "de",
                                   "topic": "wohngeld", "reason": "asked"}) as reply:
            assert (await reply.json())["status"] == "queued"
    await browser.get(f"/console/cases/{REF_OLD}")
    assert (await browser.post(f"/console/cases/{REF_OLD}/notes", note="Angesehen."))[0] == 303
    _, page = await browser.get("/console/")
    assert "<title>(2 wartend, 0 neu) Übersicht" in page
    assert "(neu)" not in page.split('id="h-anliegen"')[1]

    _, page = await browser.get("/console/?auto=0")  # staff can stop the reload (WCAG 2.2.1)
    assert 'http-equiv="refresh"' not in page and "Automatisch aktualisieren" in page
