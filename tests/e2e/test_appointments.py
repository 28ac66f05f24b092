"""Booking, cancelling and moving appointments through the real Rasa server,
the real action server and the real case service (``python -m backoffice``).

Dates are computed with our own parser from the machine's clock, so the tests
hold on any day; the offices and their free slots come from the case service.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from typing import Any

import pytest

from actions.dateparse import BERLIN, parse
from tests.e2e.answers import answer

pytestmark = pytest.mark.e2e

OTHER_TIME = "Andere Zeit"
REFERENCE = re.compile(r"[A-Z]{2,4}-\d{4}-\d{6}-\d")
PIN = re.compile(r"PIN: (\d{4,8})")


def api(case_service: Any, method: str, path: str, body: dict[str, Any] | None = None,
        ) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{case_service.url}/api/v1{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {case_service.token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def offices(case_service: Any) -> list[dict[str, Any]]:
    status, listed = api(case_service, "GET", "/offices")
    assert status == 200
    return listed


def office_for(case_service: Any, topic_prefix: str) -> dict[str, Any]:
    return next(o for o in offices(case_service) if o["topic"].startswith(topic_prefix))


def take(case_service: Any, office: str, start: datetime) -> None:
    """Books ``start`` from other conversations until the case service says it is taken."""
    for _ in range(10):
        status, _ = api(case_service, "POST", "/appointments", {
            "idempotency_key": f"other:{uuid.uuid4().hex}", "office": office,
            "start": start.isoformat(), "conversation_id": f"other-{uuid.uuid4().hex}",
            "channel": "test", "language": "de", "name": "Jemand Anderes",
            "contact": {"phone": "+491712345679", "email": None}})
        if status == 409:
            return
        assert status == 201
    raise AssertionError("the slot never filled up")


def buttons(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for m in messages for b in m.get("buttons") or []]


SLOT_PAYLOAD = re.compile(r"^\d\d\.\d\d\.\d{4} \d\d:\d\d$")


def slot_buttons(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for b in buttons(messages) if SLOT_PAYLOAD.match(b["payload"])]


def text_of(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def offered_starts(messages: list[dict[str, Any]]) -> list[datetime]:
    return [datetime.strptime(b["payload"], "%d.%m.%Y %H:%M").replace(tzinfo=BERLIN)
            for b in slot_buttons(messages)]


def test_booking_with_a_typed_date_a_question_and_a_correction(talk, case_service) -> None:
    office = office_for(case_service, "kfz_zulassung")
    conversation = talk("webchat")
    # Two registration offices (Lüdenscheid, Iserlohn): the offices are offered as buttons.
    messages = conversation.send("Ich möchte einen Termin bei der Zulassungsstelle")
    assert "Bei welcher Stelle" in text_of(messages)
    assert [b["title"] for b in buttons(messages)] == [o["name"] for o in offices(case_service)]
    messages = conversation.send(office["name"])
    assert office["name"] in text_of(messages)
    assert 1 <= len(slot_buttons(messages)) <= 6
    starts = offered_starts(messages)
    assert starts == sorted(starts) and starts[0] >= datetime.now(BERLIN)

    # A question in between is answered, then the slots are offered again.
    messages = conversation.send("Was muss ich zur Zulassung mitbringen?")
    assert answer("kfz_zulassung") in text_of(messages)
    assert slot_buttons(messages)

    # A typed wish: the slots of that day and window.
    wish = "nächsten Dienstag vormittag"
    query = parse(wish, datetime.now(BERLIN))
    messages = conversation.send(wish)
    said = text_of(messages)
    if "Freie Termine am" in said:
        for start in offered_starts(messages):
            assert start.date() == query.first and 8 <= start.hour < 12
    else:  # that Tuesday is a holiday or booked out
        assert "nächstgelegenen freien Termine" in said, said
    chosen = slot_buttons(messages)[0]
    assert "Auf welchen Namen" in conversation.texts(chosen["payload"])
    assert "Telefonnummer oder E-Mail" in conversation.texts("Erika Mustermann")
    summary = text_of(conversation.send("0171 2345678"))
    assert "Erika Mustermann" in summary and "+491712345678" in summary
    assert "Dienstag" in summary and office["name"] in summary

    # "nein" -> which value -> the time again -> a new summary with the new time.
    messages = conversation.send("nein")
    assert "Was möchten Sie ändern?" in text_of(messages)
    assert "Termin" in [b["title"] for b in buttons(messages)]
    messages = conversation.send("Termin")
    other = slot_buttons(messages)[-1]
    summary = text_of(conversation.send(other["payload"]))
    assert "Bitte prüfen Sie Ihre Terminbuchung" in summary and "Erika Mustermann" in summary

    confirmation = conversation.texts("ja")
    reference = REFERENCE.search(confirmation)
    assert reference and PIN.search(confirmation), confirmation
    booked = datetime.strptime(other["payload"], "%d.%m.%Y %H:%M")
    assert f"{booked.day}. " in confirmation and f"{booked.hour}:{booked.minute:02d} Uhr" in confirmation
    assert office["address"] in confirmation
    assert "Bitte mitbringen" in confirmation and "eVB" in confirmation

    # A replayed "ja" (same message id) answers the same and books nothing new.
    conversation.count -= 1
    assert conversation.texts("ja") == confirmation
    status, case = api(case_service, "GET", f"/cases/{reference[0]}?conversation_id={conversation.sender}")
    assert status == 200 and case["status"] == "booked"
    start = datetime.fromisoformat(case["appointment"]["start"]).astimezone(BERLIN)
    assert start.strftime("%d.%m.%Y %H:%M") == other["payload"]
    assert case["appointment"]["office"] == office["id"]


def test_sms_past_date_closed_day_office_correction_and_cancel(talk, case_service) -> None:
    conversation = talk("sms")
    messages = conversation.send("Termin Führerscheinstelle")
    assert 1 <= len(slot_buttons(messages)) <= 6

    reply = conversation.texts("gestern")
    assert "liegt in der Vergangenheit" in reply

    messages = conversation.send("12.3.2028")  # beyond the booking horizon
    assert "So weit im Voraus" in text_of(messages) and slot_buttons(messages)

    messages = conversation.send("nächsten Samstag")  # offices are closed at weekends
    assert "Am Wochenende ist die Stelle geschlossen" in text_of(messages)
    assert all(s.weekday() < 5 for s in offered_starts(messages))

    # Correct the office before confirming: the slot of the old office is dropped.
    conversation.send(slot_buttons(messages)[0]["payload"])
    conversation.send("Max Muster")
    conversation.send("max@example.org")
    conversation.send("nein")
    reply = conversation.send("Stelle")
    assert "Bei welcher Stelle" in text_of(reply)
    registration = office_for(case_service, "kfz_zulassung")
    messages = conversation.send(registration["name"])
    assert slot_buttons(messages)
    chosen = slot_buttons(messages)[0]["payload"]
    summary = text_of(conversation.send(chosen))
    assert registration["name"] in summary and "max@example.org" in summary

    assert conversation.texts("abbrechen") == \
        "In Ordnung, ich habe abgebrochen. Es wurde kein Termin gebucht."
    start = datetime.strptime(chosen, "%d.%m.%Y %H:%M")
    status, free = api(case_service, "GET", f"/offices/{registration['id']}/slots?"
                       f"date={start.date().isoformat()}&days=1&limit=100")
    assert status == 200 and start.strftime("%H:%M") in [s["start"][11:16] for s in free]


def test_asking_for_a_person_while_booking_then_the_slots_again(talk, case_service) -> None:
    office = office_for(case_service, "kfz_zulassung")
    conversation = talk("webchat")
    conversation.send("Ich möchte einen Termin bei der Zulassungsstelle")
    assert slot_buttons(conversation.send(office["name"]))
    messages = conversation.send("Ich möchte mit einem Menschen sprechen")
    said = text_of(messages)
    assert "Ich verbinde Sie" in said or "Gerade ist leider niemand" in said
    assert slot_buttons(messages)  # the form goes on where it was


def test_a_slot_taken_meanwhile_offers_fresh_slots(talk, case_service) -> None:
    office = office_for(case_service, "kfz_zulassung")
    conversation = talk("webchat")
    messages = conversation.send(f"Termin {office['name']}")
    chosen = slot_buttons(messages)[0]
    conversation.send(chosen["payload"])
    conversation.send("Erika Mustermann")
    conversation.send("0171 2345678")
    start = datetime.strptime(chosen["payload"], "%d.%m.%Y %H:%M").replace(tzinfo=BERLIN)
    take(case_service, office["id"], start)
    messages = conversation.send("ja")
    assert "Dieser Termin wurde gerade vergeben" in text_of(messages)
    fresh = offered_starts(messages)
    assert fresh and start not in fresh


def book(conversation: Any) -> tuple[str, str, str]:
    """Books the first offered slot; returns reference, PIN and the button payload."""
    messages = conversation.send("Ich brauche einen Termin bei der Zulassungsstelle Lüdenscheid")
    chosen = slot_buttons(messages)[0]["payload"]
    conversation.send(chosen)
    conversation.send("Erika Mustermann")
    conversation.send("0171 2345678")
    confirmation = conversation.texts("ja")
    return REFERENCE.search(confirmation)[0], PIN.search(confirmation)[1], chosen


def test_cancel_by_reference_in_the_same_conversation(talk, case_service) -> None:
    conversation = talk("webchat")
    reference, _, _ = book(conversation)
    mistyped = reference[:-1] + str((int(reference[-1]) + 1) % 10)  # Damm catches every single digit
    reply = conversation.texts(f"Termin absagen {mistyped}")
    assert "Tippfehler" in reply and "Wie lautet die Vorgangsnummer" in reply
    reply = conversation.texts(reference)
    assert "Möchten Sie diesen Termin absagen?" in reply  # no PIN needed here
    assert "ist abgesagt" in conversation.texts("ja")
    status, case = api(case_service, "GET", f"/cases/{reference}?conversation_id={conversation.sender}")
    assert status == 200 and case["status"] == "cancelled"


def test_move_by_reference_from_another_conversation_needs_the_pin(talk, case_service) -> None:
    reference, pin, old = book(talk("webchat"))
    stranger = talk("sms")
    reply = stranger.texts(f"Termin verschieben {reference}")
    assert "PIN" in reply
    reply = stranger.texts("000000" if pin != "000000" else "111111")
    assert "finde ich keinen Termin" in reply and "Wie lautet die Vorgangsnummer" in reply
    assert "PIN" in stranger.texts(reference)
    messages = stranger.send(pin)
    new = next(b["payload"] for b in slot_buttons(messages) if b["payload"] != old)
    reply = stranger.texts(new)
    assert "Soll ich Ihren Termin verschieben?" in reply
    assert "verschoben auf" in stranger.texts("ja")
    status, case = api(case_service, "GET", f"/cases/{reference}?pin={pin}&conversation_id=x")
    assert status == 200
    moved = datetime.fromisoformat(case["appointment"]["start"]).astimezone(BERLIN)
    assert moved.strftime("%d.%m.%Y %H:%M") == new


def test_english_booking_with_other_time_and_a_typed_slot(talk, case_service) -> None:
    conversation = talk("webchat")
    messages = conversation.send(
        "I would like to book an appointment at the vehicle registration office in Lüdenscheid")
    assert "The next free appointments at" in text_of(messages)
    assert buttons(messages)[-1]["title"] == "Other time"

    reply = conversation.send("Other time")
    assert "When would suit you?" in text_of(reply) and not buttons(reply)

    query = parse("tomorrow morning", datetime.now(BERLIN))
    messages = conversation.send("tomorrow morning")
    said = text_of(messages)
    assert "Free appointments on" in said or "These are the nearest free ones" in said, said
    if "Free appointments on" in said:
        assert all(s.date() == query.first and 8 <= s.hour < 12 for s in offered_starts(messages))
    # An offered time typed in English ("Dec 1 at 9:45") is taken at once.
    wanted = offered_starts(messages)[-1]
    reply = conversation.texts(f"{wanted:%b} {wanted.day} at {wanted.hour}:{wanted.minute:02d}")
    assert "What name should I book the appointment under?" in reply
    conversation.send("John Smith")
    summary = text_of(conversation.send("0171 2345678"))
    assert "Please check your booking" in summary and "John Smith" in summary
    assert f"{wanted.day} " in summary and f"{wanted.hour}:{wanted.minute:02d}" in summary
    confirmation = conversation.texts("yes")
    assert "Your appointment is booked" in confirmation and "Please bring" in confirmation
    assert REFERENCE.search(confirmation)


def test_a_time_without_a_day_offers_that_time_on_the_coming_days(talk, case_service) -> None:
    conversation = talk("sms")
    conversation.send("Termin bei der Führerscheinstelle")
    messages = conversation.send("um 10")
    said = text_of(messages)
    assert "Freie Termine um 10:00 Uhr" in said, said
    starts = offered_starts(messages)
    assert starts and all((s.hour, s.minute) == (10, 0) for s in starts)
    assert len({s.date() for s in starts}) == len(starts)  # one per day, on several days
