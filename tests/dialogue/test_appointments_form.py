"""The appointment forms' validation, run as the action server runs it.

Only turns that need no case service are here (invalid values, interruptions,
cancel, correction, ending early); offering slots and booking are covered end
to end in tests/e2e/test_appointments.py against the real case service.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.appointment_manage import ValidateTerminAbsagenForm
from actions.appointment_offer import ActionAskApptStart
from actions.appointments import ActionCancelAppointment, ValidateTerminForm
from tests.dialogue.requests_support import ROOT, slot_sets, texts

FILLED = {"appt_office": "kfz_zulassung", "appt_start": "2026-12-08T09:30:00+01:00",
          "appt_name": "Erika Mustermann", "appt_contact": "+491712345678"}


@pytest.fixture(autouse=True)
def no_case_service(monkeypatch: pytest.MonkeyPatch) -> None:
    """These turns must not need the case service: any call to it fails (nothing listens on 9)."""
    monkeypatch.setenv("CASE_SERVICE_URL", "http://127.0.0.1:9")


@cache
def domain() -> dict[str, Any]:
    merged: dict[str, Any] = {"slots": {}, "forms": {}}
    for name in ("core.yml", "requests.yml", "appointments.yml"):
        data = yaml.safe_load((ROOT / "bot" / "domain" / name).read_text("utf-8"))
        merged["slots"].update(data.get("slots") or {})
        merged["forms"].update(data.get("forms") or {})
    return merged


def tracker(text: str, intent: str = "nlu_fallback", *, form: str = "termin_form",
            requested: str | None = None, slots: dict[str, Any] | None = None,
            response_key: str | None = None) -> Tracker:
    values = {name: None for name in domain()["slots"]}
    values.update({"language": "de", "attempts": 0, "requested_slot": requested, **(slots or {})})
    latest: dict[str, Any] = {"text": text, "intent": {"name": intent, "confidence": 0.95},
                              "entities": [], "metadata": {}}
    if response_key:
        latest["response_selector"] = {"faq": {"response": {"intent_response_key": response_key}}}
    events = [{"event": "user", "text": text, "message_id": "m-1", "parse_data": latest,
               "input_channel": "webchat", "timestamp": 1.0}]
    return Tracker(sender_id="conv-test", slots=values, latest_message=latest, events=events,
                   paused=False, followup_action=None, active_loop={"name": form},
                   latest_action_name="action_listen")


async def run_form(t: Tracker, validation: Any = None) -> tuple[dict[str, Any], str]:
    dispatcher = CollectingDispatcher()
    events = await (validation or ValidateTerminForm()).run(dispatcher, t, domain())
    return slot_sets(events), texts(dispatcher)


async def test_a_past_date_is_refused_politely_and_asked_again() -> None:
    slots, said = await run_form(tracker("am 12.03.2025 um 9", requested="appt_start",
                                         slots={"appt_office": "kfz_zulassung"}))
    assert "liegt in der Vergangenheit" in said and "2025" in said
    assert slots["appt_start"] is None and slots["attempts"] == 1
    assert slots["requested_slot"] == "appt_start"


async def test_text_without_a_date_gets_a_specific_sentence() -> None:
    slots, said = await run_form(tracker("blau", requested="appt_start",
                                         slots={"appt_office": "kfz_zulassung"}))
    assert "nicht als Tag oder Uhrzeit verstanden" in said
    assert slots["appt_start"] is None and slots["requested_slot"] == "appt_start"


async def test_second_invalid_value_offers_to_stop() -> None:
    dispatcher = CollectingDispatcher()
    t = tracker("blau", requested="appt_start", slots={"appt_office": "kfz_zulassung", "attempts": 1})
    await ValidateTerminForm().run(dispatcher, t, domain())
    assert any(b["payload"] == "/abbrechen" for m in dispatcher.messages for b in m.get("buttons") or [])


async def test_other_time_asks_for_a_typed_day_without_buttons() -> None:
    slots, said = await run_form(tracker("Andere Zeit", requested="appt_start",
                                         slots={"appt_office": "kfz_zulassung"}))
    assert slots["appt_when"] == "other" and slots["appt_start"] is None and said == ""
    dispatcher = CollectingDispatcher()
    events = await ActionAskApptStart().run(
        dispatcher, tracker("", requested="appt_start",
                            slots={"appt_office": "kfz_zulassung", "appt_when": "other"}), domain())
    assert "Wann passt es Ihnen?" in dispatcher.messages[0]["text"]
    assert not dispatcher.messages[0].get("buttons")
    assert slot_sets(events) == {"appt_when": None}


async def test_a_faq_question_is_not_taken_as_the_date() -> None:
    slots, said = await run_form(tracker("Was muss ich zur Zulassung mitbringen?", "faq",
                                         requested="appt_start", response_key="faq/kfz_zulassung",
                                         slots={"appt_office": "kfz_zulassung"}))
    assert "appt_start" not in slots and said == ""


async def test_name_and_contact_are_checked() -> None:
    slots, said = await run_form(tracker("12345", requested="appt_name", slots=FILLED | {
        "appt_name": None, "appt_contact": None}))
    assert "Vor- und Nachnamen" in said and slots["appt_name"] is None
    slots, _ = await run_form(tracker("Erika Mustermann", requested="appt_name", slots=FILLED | {
        "appt_name": None, "appt_contact": None}))
    assert slots["appt_name"] == "Erika Mustermann" and slots["requested_slot"] == "appt_contact"
    slots, said = await run_form(tracker("weiß nicht", requested="appt_contact",
                                         slots=FILLED | {"appt_contact": None}))
    assert "weder eine gültige Telefonnummer" in said and slots["appt_contact"] is None
    slots, _ = await run_form(tracker("0171 2345678", requested="appt_contact",
                                      slots=FILLED | {"appt_contact": None}))
    assert slots["appt_contact"] == "+491712345678" and slots["requested_slot"] == "confirm"


async def test_no_to_the_summary_then_the_time_asks_for_the_time_again() -> None:
    slots, _ = await run_form(tracker("nein", "deny", requested="confirm", slots=FILLED))
    assert slots["editing"] is True and slots["confirm"] is None and slots["change"] is None
    slots, _ = await run_form(tracker("Termin", requested="change",
                                      slots=FILLED | {"editing": True, "appt_when": "{}"}))
    assert slots["appt_start"] is None and slots["appt_when"] is None
    assert slots["requested_slot"] == "appt_start"


async def test_changing_the_office_also_forgets_its_slot() -> None:
    slots, _ = await run_form(tracker("Stelle", requested="change", slots=FILLED | {"editing": True}))
    assert slots["appt_office"] is None and slots["appt_start"] is None
    assert slots["requested_slot"] == "appt_office"


async def test_cancel_stops_the_form_and_says_nothing_was_booked() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionCancelAppointment().run(
        dispatcher, tracker("abbrechen", "abbrechen", requested="appt_name", slots=FILLED), domain())
    assert texts(dispatcher) == "In Ordnung, ich habe abgebrochen. Es wurde kein Termin gebucht."
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events)
    assert all(slot_sets(events)[name] is None for name in FILLED)


async def test_stop_ends_the_form() -> None:
    slots, _ = await run_form(tracker("x", requested="appt_name", slots=FILLED | {"appt_stop": True}))
    assert slots["requested_slot"] is None


async def test_cancel_form_needs_a_reference_number() -> None:
    slots, said = await run_form(
        tracker("weiß ich nicht", form="termin_absagen_form", requested="appt_reference"),
        ValidateTerminAbsagenForm())
    assert "keine Vorgangsnummer gefunden" in said and slots["appt_reference"] is None


async def test_a_wish_in_the_first_message_is_kept_for_the_offer() -> None:
    slots, said = await run_form(tracker("Ich hätte gern einen Termin für nächste Woche", "termin_buchen"))
    assert slots["appt_start"] is None and said == ""
    assert '"given": true' in slots["appt_when"] and slots["requested_slot"] == "appt_office"
