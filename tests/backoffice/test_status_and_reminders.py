"""Staff actions and what reaches the citizen: status changes notified (and recorded when the citizen
cannot be reached), internal notes, overdue lists, the day-before reminder sent exactly once, SMS
opt-out respected, staff e-mail about new cases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller

from backoffice.app import housekeeping_once
from backoffice.appointments import Appointments
from backoffice.cases import CaseError
from backoffice.models import Appointment, Attachment, CaseEvent
from backoffice.notify import Outcome
from channels.adapters.twilio.state import TwilioState
from channels.settings import Settings as ChannelSettings
from tests.backoffice.case_support import (  # noqa: F401 - fixtures
    TOKEN,
    FixedClock,
    clock,
    database_url,
    pg_url,
    prefix,
    rdb,
    serve,
    sqlite_url,
)
from tests.backoffice.gateway_contract import NotifyRoute
from tests.backoffice.test_api_cases import body
from tests.backoffice.test_appointments import booking
from tests.channels.case_service import png
from tests.channels.conftest import free_port


@pytest.fixture
async def route() -> AsyncIterator[NotifyRoute]:
    fake = NotifyRoute(TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


def _events(served, ref: str) -> list[tuple[str, str | None, str | None, bool, bool]]:
    case = served.service.db.call(lambda s: s.query(CaseEvent).join(CaseEvent.case)
                                  .filter_by(reference=ref).order_by(CaseEvent.id).all())
    return [(e.actor, e.status, e.note, e.internal, e.notified) for e in case]


async def test_status_change_notifies_the_citizen(serve, database_url, route) -> None:  # noqa: F811
    served = await serve(database_url, gateway_notify_url=route.url)
    _, created, _ = await served.call("POST", "/api/v1/cases", json=body(language="en"))
    ref = created["reference"]
    change = await served.service.change_status(ref, "in_progress", "We are on our way.", "anna")
    assert change.outcome is Outcome.QUEUED
    assert route.texts("conv-a") == [f"Update on your request {ref}: in progress.\n\n"
                                     "Message from the administration: We are on our way."]
    key = route.received[0][1]["key"]
    assert key == f"case:{ref}:event:{change.event_id}"
    assert _events(served, ref)[-1] == ("anna", "in_progress", "We are on our way.", False, True)
    # the citizen sees the new status
    _, view, _ = await served.call("GET", f"/api/v1/cases/{ref}", params={"conversation_id": "conv-a"})
    assert view["status"] == "in_progress"
    # without notification: recorded, nothing sent
    quiet = await served.service.change_status(ref, "done", None, "anna", notify_citizen=False)
    assert quiet.outcome is None and len(route.received) == 1


async def test_unreachable_citizen_is_recorded(serve, sqlite_url, route) -> None:  # noqa: F811
    served = await serve(sqlite_url, gateway_notify_url=route.url)
    _, created, _ = await served.call("POST", "/api/v1/cases", json=body(conversation="gone", key="gone:1"))
    route.status_for["gone"] = 404
    change = await served.service.change_status(created["reference"], "done", None, "anna")
    assert change.outcome is Outcome.NO_ADDRESS
    events = _events(served, created["reference"])
    assert events[-2] == ("anna", "done", None, False, False)
    assert events[-1][0:2] == ("system", None) and "keine Adresse" in events[-1][2] and events[-1][3]


async def test_gateway_down_is_recorded(serve, sqlite_url) -> None:  # noqa: F811
    served = await serve(sqlite_url, gateway_notify_url=f"http://127.0.0.1:{free_port()}")
    _, created, _ = await served.call("POST", "/api/v1/cases", json=body())
    change = await served.service.change_status(created["reference"], "in_progress", None, "anna")
    assert change.outcome is Outcome.FAILED
    assert "Gateway nicht erreichbar" in _events(served, created["reference"])[-1][2]


async def test_staff_errors_and_internal_notes(serve, sqlite_url, route) -> None:  # noqa: F811
    served = await serve(sqlite_url, gateway_notify_url=route.url)
    _, created, _ = await served.call("POST", "/api/v1/cases", json=body())
    with pytest.raises(CaseError, match="Unbekannter Status"):
        await served.service.change_status(created["reference"], "archived", None, "anna")
    with pytest.raises(CaseError, match="nicht gefunden"):
        await served.service.change_status("MK-2026-999999-0", "done", None, "anna")
    await served.service.add_note(created["reference"], "Bauhof informiert", "anna")
    assert _events(served, created["reference"])[-1] == ("anna", None, "Bauhof informiert", True, False)
    assert route.received == []  # internal notes never go to the citizen
    _, view, _ = await served.call("GET", f"/api/v1/cases/{created['reference']}",
                                   params={"conversation_id": "conv-a"})
    assert "Bauhof" not in str(view)


async def test_lists_for_the_console(serve, database_url, clock, route) -> None:  # noqa: F811
    served = await serve(database_url, clock, gateway_notify_url=route.url, case_overdue_after_h=72)
    refs = {}
    for key, town in (("a:1", "iserlohn"), ("b:1", "hemer"), ("c:1", None)):
        request = body(key=key, conversation=key[0], place={"town": town, "address": "Hauptstraße 1"})
        refs[key] = (await served.call("POST", "/api/v1/cases", json=request))[1]["reference"]
    clock.advance(hours=73)
    await served.service.add_note(refs["b:1"], "in Arbeit", "anna")  # a staff action resets the clock
    await served.service.change_status(refs["c:1"], "done", None, "anna", notify_citizen=False)
    open_cases = await served.service.list_cases()
    assert [(c.reference, c.overdue) for c in open_cases] == [(refs["a:1"], True), (refs["b:1"], False)]
    overdue = await served.service.list_cases(overdue_only=True)
    assert [c.reference for c in overdue] == [refs["a:1"]]
    hemer = await served.service.list_cases(units=["hemer"])
    assert [c.reference for c in hemer] == [refs["b:1"]]
    everything = await served.service.list_cases(open_only=False)
    assert len(everything) == 3


async def test_reminder_sent_once_the_day_before(serve, database_url, clock, route, rdb) -> None:  # noqa: F811
    served = await serve(database_url, clock, gateway_notify_url=route.url)
    _, booked, _ = await served.call("POST", "/api/v1/appointments",
                                     json=booking("conv-a:m1", "2026-12-09T08:00:00+01:00"))
    appointments = Appointments(served.service, rdb)
    assert await appointments.send_reminders() == 0  # Monday: the appointment is on Wednesday
    clock.now = datetime(2026, 12, 8, 7, 30, tzinfo=UTC)  # Tuesday 08:30 in Berlin: before 09:00
    assert await appointments.send_reminders() == 0
    clock.now = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)  # Tuesday 10:00
    results = await asyncio.gather(appointments.send_reminders(), appointments.send_reminders())
    assert sorted(results) == [0, 1]
    assert await appointments.send_reminders() == 0
    assert route.texts("conv-a") == [
        "Erinnerung: Ihr Termin ist morgen, 09.12.2026, um 08:00 Uhr bei: "
        "Bürgerbüro im Kreishaus Lüdenscheid, "
        f"Kreishaus, Heedfelder Straße 45, 58509 Lüdenscheid. Vorgangsnummer {booked['reference']}. "
        "Wenn Sie nicht kommen können, sagen Sie den Termin bitte ab."]
    reminded = served.service.db.call(lambda s: s.query(Appointment).one().reminded_at)
    assert reminded is not None


async def test_reminder_skips_opted_out_and_retries_when_gateway_fails(
        serve, sqlite_url, clock, route, rdb, prefix) -> None:  # noqa: F811
    served = await serve(sqlite_url, clock, gateway_notify_url=route.url)
    await served.call("POST", "/api/v1/appointments", json=booking("sms:1", conversation="sms-user"))
    await served.call("POST", "/api/v1/appointments",
                      json=booking("flaky:1", "2026-12-08T08:15:00+01:00", conversation="flaky"))
    gateway = ChannelSettings(_env_file=None, pseudonym_key="k" * 32, rasa_token="t" * 32)
    await TwilioState(rdb, prefix, gateway).opt_out("sms-user")  # as the Twilio adapter does on STOPP
    route.status_for["flaky"] = 503
    appointments = Appointments(served.service, rdb)
    clock.now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)  # Monday 13:00, appointments on Tuesday
    assert await appointments.send_reminders() == 0
    assert route.received == []
    notes = served.service.db.call(lambda s: [e.note for e in s.query(CaseEvent).filter_by(actor="system")])
    assert notes == ["Terminerinnerung nicht gesendet: SMS abbestellt."]
    del route.status_for["flaky"]  # the gateway is back: the next round sends it
    assert await appointments.send_reminders() == 1
    assert len(route.texts("flaky")) == 1 and route.texts("sms-user") == []


async def test_housekeeping_expires_unclaimed_uploads(serve, sqlite_url, clock, rdb) -> None:  # noqa: F811
    served = await serve(sqlite_url, clock)
    _, kept, _ = await served.call("POST", "/api/v1/media", data=png())
    _, dropped, _ = await served.call("POST", "/api/v1/media", data=png())
    await served.call("POST", "/api/v1/cases", json=body(media=[kept["id"]]))
    clock.advance(hours=25)
    await housekeeping_once(served.service, Appointments(served.service, rdb))
    left = served.service.db.call(lambda s: [a.id for a in s.query(Attachment)])
    assert left == [kept["id"]] and dropped["id"] not in left


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


async def test_staff_email_on_new_case(serve, sqlite_url) -> None:  # noqa: F811
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        served = await serve(sqlite_url, smtp_host="127.0.0.1", smtp_port=port,
                             smtp_from="assistent@example.org", staff_notify_email="team@example.org")
        _, created, _ = await served.call("POST", "/api/v1/cases", json=body())
        await served.service.drain()
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    sender, recipients, content = inbox.messages[0]
    text = content.decode("utf-8", "replace")
    assert sender == "assistent@example.org" and recipients == ["team@example.org"]
    assert (created["reference"] in text and "Mängelmeldung" in text) or "M=C3=A4ngelmeldung" in text
    # no personal data in the e-mail
    assert "Erika" not in text and "erika@example.org" not in text and "Schlagloch" not in text


async def test_no_email_without_smtp_settings(serve, sqlite_url) -> None:  # noqa: F811
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        served = await serve(sqlite_url, smtp_host=None, smtp_port=port,
                             staff_notify_email="team@example.org")
        await served.call("POST", "/api/v1/cases", json=body())
        await served.service.drain()
    finally:
        controller.stop()
    assert inbox.messages == []


