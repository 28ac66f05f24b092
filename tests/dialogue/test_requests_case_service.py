"""Submit and status actions against the real case service (``python -m backoffice``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms_maengel import ActionSubmitMaengelmeldung
from actions.forms_rueckruf import ActionSubmitRueckruf
from actions.handoff import ActionHandoff, next_open_text
from actions.status import ValidateStatusForm
from backoffice.reference import make
from tests.dialogue import case_service_process as cs
from tests.dialogue.case_service_process import CaseService
from tests.dialogue.requests_support import domain, slot_sets, texts, tracker

RUN = uuid.uuid4().hex[:8]  # conversations (and their rate limits) are new in every run
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DEFECT = {
    "defect_category": "road_damage",
    "defect_place": {"town": "iserlohn", "address": "Lindenstraße, Iserlohn", "lat": None, "lon": None},
    "defect_description": "Tiefes Loch am Fahrbahnrand",
    "defect_photo": "-",
    "defect_contact": {"name": "Max Muster", "phone": "+491711234567", "email": None},
    "confirm": True,
}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseService]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.fail(f"these tests need Redis at {REDIS_URL} (TEST_REDIS_URL)")
    processes = cs.st.Stack()
    try:
        yield cs.start(processes, Path(tmp_path_factory.mktemp("cases")), REDIS_URL)
    finally:
        processes.stop()


@pytest.fixture(autouse=True)
def reach(service: CaseService, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in service.environ.items():
        monkeypatch.setenv(key, value)


async def submit(action, turn) -> tuple[list, CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    return await action.run(dispatcher, turn, domain()), dispatcher


def reference_in(text: str) -> str:
    return text.split("Vorgangsnummer: ")[1].split("\n")[0]


async def test_case_is_created_confirmed_and_forwarded_to_the_town(service: CaseService) -> None:
    turn = tracker("/affirm", "affirm", slots=DEFECT, sender=f"conv-a-{RUN}", message_id="m-7")
    events, dispatcher = await submit(ActionSubmitMaengelmeldung(), turn)
    said = texts(dispatcher)
    reference = reference_in(said)
    assert "Ihre PIN: " in said
    assert "Zuständig ist Bürgerservice der Stadt Iserlohn" in said
    assert slot_sets(events)["defect_place"] is None and slot_sets(events)["confirm"] is None
    status, body = service.call("GET", f"/api/v1/cases/{reference}?conversation_id=conv-a-{RUN}")
    assert status == 200 and body["kind"] == "maengelmeldung"


async def test_replayed_confirmation_does_not_create_a_second_case(service: CaseService) -> None:
    turn = tracker("ja", "affirm", slots=DEFECT, sender=f"conv-b-{RUN}", message_id="m-3")
    _, first = await submit(ActionSubmitMaengelmeldung(), turn)
    _, again = await submit(ActionSubmitMaengelmeldung(), turn)
    assert reference_in(texts(first)) == reference_in(texts(again))
    # The next case of another conversation gets the very next number: nothing in between.
    other = tracker("ja", "affirm", slots=DEFECT, sender=f"conv-c-{RUN}", message_id="m-1")
    _, third = await submit(ActionSubmitMaengelmeldung(), other)
    seq = int(reference_in(texts(first)).split("-")[2])
    assert int(reference_in(texts(third)).split("-")[2]) == seq + 1


async def test_nothing_is_sent_without_yes(service: CaseService) -> None:
    turn = tracker("nein", "deny", slots={**DEFECT, "confirm": None}, sender=f"conv-d-{RUN}")
    events, dispatcher = await submit(ActionSubmitMaengelmeldung(), turn)
    assert dispatcher.messages == []
    assert slot_sets(events)["defect_category"] is None


async def test_callback_case_carries_the_phone_number(service: CaseService) -> None:
    slots = {"callback_topic": "Elterngeld", "callback_phone": "+491711234567",
             "callback_window": "vormittags", "confirm": True}
    _, dispatcher = await submit(ActionSubmitRueckruf(), tracker("ja", "affirm", slots=slots,
                                                                 sender=f"conv-e-{RUN}"))
    assert "ruft Sie zurück" in texts(dispatcher)
    status, body = service.call("GET", f"/api/v1/cases/{reference_in(texts(dispatcher))}"
                                       f"?conversation_id=conv-e-{RUN}")
    assert status == 200 and body["kind"] == "rueckruf"


async def test_service_down_keeps_the_values_and_asks_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASE_SERVICE_URL", f"http://127.0.0.1:{cs.st.free_port()}")
    events, dispatcher = await submit(ActionSubmitMaengelmeldung(),
                                      tracker("ja", "affirm", slots=DEFECT, sender=f"conv-f-{RUN}"))
    assert "hat leider gerade nicht geklappt" in texts(dispatcher)
    assert events == [SlotSet("confirm", None), FollowupAction("maengelmeldung_form")]


# --- status ------------------------------------------------------------------------------------
async def status_turn(text: str, sender: str, intent: str = "status_abfragen", **slots) -> tuple[
        dict, str]:
    requested = "case_pin" if slots.get("case_need_pin") else ("case_reference" if slots else None)
    dispatcher = CollectingDispatcher()
    events = await ValidateStatusForm().run(
        dispatcher, tracker(text, intent, form="status_form", requested=requested, slots=slots,
                            sender=sender), domain())
    return slot_sets(events), texts(dispatcher)


async def created_case(sender: str) -> tuple[str, str]:
    _, dispatcher = await submit(ActionSubmitMaengelmeldung(),
                                 tracker("ja", "affirm", slots=DEFECT, sender=sender))
    said = texts(dispatcher)
    return reference_in(said), said.split("Ihre PIN: ")[1].split("\n")[0]


async def test_status_for_the_own_conversation_needs_no_pin(service: CaseService) -> None:
    reference, _ = await created_case(f"conv-g-{RUN}")
    slots, said = await status_turn(f"Wie ist der Stand von {reference}?", f"conv-g-{RUN}")
    assert f"Stand Ihres Vorgangs {reference}: an die zuständige Stelle weitergeleitet" in said
    assert slots["requested_slot"] is None  # done


async def test_other_device_needs_the_pin_and_unknown_numbers_look_the_same(
        service: CaseService) -> None:
    reference, pin = await created_case(f"conv-h-{RUN}")
    missing = make("MK", 2026, 999_999)
    answers = {}
    for number in (reference, missing):
        slots, said = await status_turn(f"Status {number}", f"conv-other-{RUN}")
        # Number and PIN are now both required (the domain's list), so Rasa asks the PIN next.
        assert said == "" and slots["case_need_pin"] is True and slots["case_pin"] is None
        assert slots["case_reference"] == number and "requested_slot" not in slots
        _, answers[number] = await status_turn("123456", f"conv-other-{RUN}", "nlu_fallback",
                                               case_reference=number, case_need_pin=True)
    assert answers[reference] == answers[missing].replace(missing, reference)
    assert "keine Auskunft" in answers[reference]
    _, said = await status_turn(pin, f"conv-other2-{RUN}", "nlu_fallback", case_reference=reference,
                                case_need_pin=True)
    assert f"Stand Ihres Vorgangs {reference}" in said


async def test_mistyped_number_is_pointed_out(service: CaseService) -> None:
    good = make("MK", 2026, 123)
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    slots, said = await status_turn(f"Status {wrong}", f"conv-i-{RUN}")
    assert "scheint einen Tippfehler zu enthalten" in said
    assert slots["case_reference"] is None


async def test_too_many_lookups_get_a_polite_later(service: CaseService) -> None:
    missing = make("MK", 2026, 999_997)
    replies = [await status_turn(f"Status {missing}", f"conv-rate-{RUN}") for _ in range(7)]
    assert all(slots.get("case_need_pin") for slots, _ in replies[:5])  # 5 per minute are fine
    slots, said = replies[6]
    assert said == "Das waren zu viele Versuche. Bitte versuchen Sie es später noch einmal."
    assert slots["case_pin"] == "-"  # the query ends, no PIN is asked


# --- handoff -------------------------------------------------------------------------------------
async def test_handoff_queues_or_says_when_staff_are_back(service: CaseService) -> None:
    status, probe = service.call("POST", "/api/v1/handoff", {
        "conversation_id": f"conv-probe-{RUN}", "channel": "test", "language": "de", "topic": None,
        "reason": "asked"})
    assert status == 200
    dispatcher = CollectingDispatcher()
    await ActionHandoff().run(dispatcher, tracker("Ich möchte mit einem Menschen sprechen",
                                                  "mensch_sprechen", sender=f"conv-j-{RUN}"), domain())
    said = texts(dispatcher)
    if probe["status"] == "queued":
        assert said.startswith("Ich verbinde Sie mit einer Mitarbeiterin") and "Position" in said
    else:
        assert f"wieder ab {next_open_text(probe['next_open'], 'de')} für Sie da" in said
        assert dispatcher.messages[0]["buttons"] == [
            {"title": "Rückruf anfordern", "payload": "/rueckruf"}]


async def test_handoff_during_a_booking_uses_the_hours_of_the_office_s_desk(service: CaseService) -> None:
    """The action sends the appointment office; the case service answers with that desk's hours."""
    status, probe = service.call("POST", "/api/v1/handoff", {
        "conversation_id": f"conv-probe-k-{RUN}", "channel": "test", "language": "de", "topic": None,
        "office": "zulassung_iserlohn", "reason": "asked"})
    assert status == 200 and probe["office"] == "strassenverkehrsamt"
    dispatcher = CollectingDispatcher()
    turn = tracker("Ich möchte mit einem Menschen sprechen", "mensch_sprechen", form="termin_form",
                   slots={"appt_office": "zulassung_iserlohn"}, sender=f"conv-k-{RUN}")
    await ActionHandoff().run(dispatcher, turn, domain())
    said = texts(dispatcher)
    if probe["status"] == "queued":
        assert said.startswith("Ich verbinde Sie mit einer Mitarbeiterin")
    else:
        assert f"wieder ab {next_open_text(probe['next_open'], 'de')} für Sie da" in said


async def test_handoff_after_a_driving_licence_answer_reaches_the_strassenverkehrsamt(
        service: CaseService) -> None:
    """The action sends the topic of the last answer; the desk listing it answers, and a queued
    handoff records topic and desk for the console."""
    status, probe = service.call("POST", "/api/v1/handoff", {
        "conversation_id": f"conv-probe-l-{RUN}", "channel": "test", "language": "de",
        "topic": "fuehrerschein_verlust", "reason": "asked"})
    assert status == 200 and probe["office"] == "strassenverkehrsamt"
    turn = tracker("Ich möchte mit einem Menschen sprechen", "mensch_sprechen", sender=f"conv-l-{RUN}")
    answer = "utter_faq/fuehrerschein_verlust"
    turn.events = [{"event": "user", "text": "Führerschein verloren"},
                   {"event": "bot", "text": "…", "metadata": {"utter_action": answer}},
                   {"event": "bot", "data": {"custom": {"feedback": {"topic": "fuehrerschein_verlust"}}}},
                   *turn.events]
    dispatcher = CollectingDispatcher()
    await ActionHandoff().run(dispatcher, turn, domain())
    state = redis.Redis.from_url(REDIS_URL, decode_responses=True).hgetall(
        f"{service.prefix}:handoff:conv-l-{RUN}")
    if probe["status"] == "queued":
        assert texts(dispatcher).startswith("Ich verbinde Sie mit einer Mitarbeiterin")
        assert (state["topic"], state["desk"]) == ("fuehrerschein_verlust", "strassenverkehrsamt")
    else:
        assert f"wieder ab {next_open_text(probe['next_open'], 'de')} für Sie da" in texts(dispatcher)
        assert state == {}


async def test_handoff_without_the_service_gives_the_phone_number(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASE_SERVICE_URL", f"http://127.0.0.1:{cs.st.free_port()}")
    dispatcher = CollectingDispatcher()
    await ActionHandoff().run(dispatcher, tracker("/mensch_sprechen", "mensch_sprechen"), domain())
    assert "02351 966-60" in texts(dispatcher)
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/rueckruf"
