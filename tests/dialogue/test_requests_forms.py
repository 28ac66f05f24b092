"""Form validation actions as the action server runs them: pre-fill, invalid values,
interruptions, the confirmation and the correction (exact slot events)."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms_common import (
    ActionAskChange,
    ActionAskConfirm,
    ActionCancelRequest,
    ActionStartRequest,
)
from actions.forms_maengel import ValidateMaengelmeldungForm
from actions.forms_rueckruf import ValidateRueckrufForm
from actions.forms_sperrmuell import ValidateSperrmuellForm
from actions.handoff import ActionFallback
from tests.dialogue.requests_support import domain, slot_sets, texts, tracker

FORM = "maengelmeldung_form"
FILLED = {
    "defect_category": "road_damage",
    "defect_place": {"town": "iserlohn", "address": "Lindenstraße, Iserlohn", "lat": None, "lon": None},
    "defect_description": "Tiefes Loch am Fahrbahnrand",
    "defect_photo": "-",
    "defect_contact": "-",
}


async def run(action, turn) -> tuple[dict, CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, turn, domain())
    return slot_sets(events), dispatcher


async def test_first_message_prefills_category_and_place() -> None:
    turn = tracker("In der Lindenstraße in Iserlohn ist ein Schlagloch", "maengelmeldung")
    slots, dispatcher = await run(ValidateMaengelmeldungForm(), turn)
    assert slots["defect_category"] == "road_damage"
    assert slots["defect_place"]["town"] == "iserlohn"
    assert slots["requested_slot"] == "defect_description"
    assert dispatcher.messages == []


async def test_nothing_said_yet_asks_for_the_category() -> None:
    slots, _ = await run(ValidateMaengelmeldungForm(), tracker("Mangel melden", "maengelmeldung"))
    assert slots == {"requested_slot": "defect_category"}


async def test_place_outside_names_who_to_contact_then_offers_to_stop() -> None:
    turn = tracker("Bahnhofstraße in Hagen", form=FORM, requested="defect_place",
                   slots={"defect_category": "road_damage"})
    slots, dispatcher = await run(ValidateMaengelmeldungForm(), turn)
    assert slots["defect_place"] is None and slots["attempts"] == 1
    assert "Hagen gehört nicht zum Märkischen Kreis" in texts(dispatcher)
    assert "Stadtverwaltung Hagen" in texts(dispatcher)
    assert slots["requested_slot"] == "defect_place"
    turn = tracker("10115", form=FORM, requested="defect_place",
                   slots={"defect_category": "road_damage", "attempts": 1})
    slots, dispatcher = await run(ValidateMaengelmeldungForm(), turn)
    assert slots["attempts"] == 2
    assert "10115" in texts(dispatcher) and "abbrechen" in texts(dispatcher)
    assert dispatcher.messages[0]["buttons"] == [{"title": "Abbrechen", "payload": "/abbrechen"}]


async def test_an_answered_place_is_kept_whole() -> None:
    turn = tracker("Am Wanderparkplatz Homert in Lüdenscheid", form=FORM, requested="defect_place",
                   slots={"defect_category": "illegal_dumping"})
    slots, _ = await run(ValidateMaengelmeldungForm(), turn)
    assert slots["defect_place"] == {"town": "luedenscheid", "lat": None, "lon": None,
                                     "address": "Am Wanderparkplatz Homert in Lüdenscheid"}


async def test_shared_location_outside_the_boundary_is_rejected() -> None:
    turn = tracker("[Standort]", form=FORM, requested="defect_place",
                   metadata={"location": {"lat": 51.36, "lon": 7.47}},
                   slots={"defect_category": "road_damage"})
    slots, dispatcher = await run(ValidateMaengelmeldungForm(), turn)
    assert slots["defect_place"] is None
    assert "außerhalb des Märkischen Kreises" in texts(dispatcher)


async def test_shared_location_inside_is_taken() -> None:
    turn = tracker("[Standort]", form=FORM, requested="defect_place",
                   metadata={"location": {"lat": 51.3755, "lon": 7.695}},
                   slots={"defect_category": "road_damage"})
    slots, _ = await run(ValidateMaengelmeldungForm(), turn)
    assert slots["defect_place"] == {"town": None, "address": None, "lat": 51.3755, "lon": 7.695}
    assert slots["requested_slot"] == "defect_description"


async def test_description_without_town_asks_for_the_town_once() -> None:
    base = {"defect_category": "road_damage"}
    slots, dispatcher = await run(ValidateMaengelmeldungForm(), tracker(
        "Hauptstraße 12", form=FORM, requested="defect_place", slots=base))
    assert slots["place_pending"] == "Hauptstraße 12" and slots["defect_place"] is None
    assert dispatcher.messages == []  # the ask action asks for the town next
    slots, _ = await run(ValidateMaengelmeldungForm(), tracker(
        "Altena", form=FORM, requested="defect_place", slots={**base, "place_pending": "Hauptstraße 12"}))
    assert slots["defect_place"]["town"] == "altena"
    assert slots["defect_place"]["address"] == "Hauptstraße 12, Altena"
    slots, _ = await run(ValidateMaengelmeldungForm(), tracker(
        "weiß nicht", "deny", form=FORM, requested="defect_place",
        slots={**base, "place_pending": "Hauptstraße 12"}))
    assert slots["defect_place"] == {"town": None, "address": "Hauptstraße 12", "lat": None,
                                     "lon": None}


async def test_faq_question_is_an_interruption_not_a_value() -> None:
    turn = tracker("Wie beantrage ich einen Personalausweis?", "faq", form=FORM,
                   requested="defect_description", slots={k: FILLED[k] for k in list(FILLED)[:2]})
    slots, dispatcher = await run(ValidateMaengelmeldungForm(), turn)
    # Only requested_slot: the form rejects and the interruption rule answers.
    assert set(slots) == {"requested_slot"} and dispatcher.messages == []


async def test_cancel_intent_is_not_taken_as_a_description() -> None:
    turn = tracker("ich will nicht mehr", "abbrechen", form=FORM, requested="defect_description")
    slots, _ = await run(ValidateMaengelmeldungForm(), turn)
    assert set(slots) == {"requested_slot"}


async def test_photo_from_metadata_or_skipped() -> None:
    partial = {k: FILLED[k] for k in list(FILLED)[:3]}
    slots, _ = await run(ValidateMaengelmeldungForm(), tracker(
        "[Anhang]", form=FORM, requested="defect_photo", slots=partial,
        metadata={"media": [{"url": "att_0123abcd", "content_type": "image/jpeg"}]}))
    assert slots["defect_photo"] == ["att_0123abcd"]
    slots, _ = await run(ValidateMaengelmeldungForm(), tracker(
        "Ohne Foto", form=FORM, requested="defect_photo", slots=partial))
    assert slots["defect_photo"] == "-" and slots["requested_slot"] == "defect_contact"
    slots, dispatcher = await run(ValidateMaengelmeldungForm(), tracker(
        "hab ich gleich", form=FORM, requested="defect_photo", slots=partial))
    assert slots["defect_photo"] is None and "kein Foto erhalten" in texts(dispatcher)


async def test_summary_lists_every_value_with_yes_no_buttons() -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskConfirm().run(dispatcher, tracker("", form=FORM, slots=FILLED), domain())
    message = dispatcher.messages[0]
    for line in ("Art: Schlagloch / Straßenschaden", "Ort: Lindenstraße, Iserlohn",
                 "Beschreibung: Tiefes Loch am Fahrbahnrand", "Foto: kein Foto", "Kontakt: keine Angabe"):
        assert line in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny"]


async def test_yes_confirms_and_ends_the_form() -> None:
    slots, _ = await run(ValidateMaengelmeldungForm(), tracker(
        "/affirm", "affirm", form=FORM, requested="confirm", slots=FILLED))
    assert slots["confirm"] is True and slots["requested_slot"] is None


async def test_no_then_choose_the_value_then_ask_it_again() -> None:
    slots, _ = await run(ValidateMaengelmeldungForm(), tracker(
        "nein", "deny", form=FORM, requested="confirm", slots=FILLED))
    assert slots["editing"] is True and slots["change"] is None and slots["confirm"] is None
    # All domain slots are required now, so the SDK leaves the choice to Rasa, which asks
    # the first empty one in the domain's order: change (before confirm).
    assert "requested_slot" not in slots
    order = domain()["forms"][FORM]["required_slots"]
    assert next(s for s in order if {**FILLED, **slots}.get(s) is None) == "change"
    dispatcher = CollectingDispatcher()
    await ActionAskChange().run(dispatcher, tracker("", form=FORM, slots=FILLED), domain())
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == [
        "Art", "Ort", "Beschreibung", "Foto", "Kontakt"]
    slots, _ = await run(ValidateMaengelmeldungForm(), tracker(
        "Ort", form=FORM, requested="change", slots={**FILLED, "editing": True}))
    assert slots["defect_place"] is None and slots["editing"] is None
    assert slots["requested_slot"] == "defect_place"


async def test_no_naming_the_value_goes_straight_to_it() -> None:
    slots, _ = await run(ValidateMaengelmeldungForm(), tracker(
        "nein, die Beschreibung stimmt nicht", "deny", form=FORM, requested="confirm", slots=FILLED))
    assert slots["defect_description"] is None
    assert slots["requested_slot"] == "defect_description"


async def test_cancel_clears_the_form_and_says_nothing_was_sent() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionCancelRequest().run(dispatcher, tracker(
        "abbrechen", "abbrechen", form=FORM, requested="defect_photo", slots=FILLED), domain())
    assert ActiveLoop(None) in events
    assert SlotSet("defect_place", None) in events and SlotSet("defect_category", None) in events
    assert texts(dispatcher) == "In Ordnung, ich habe abgebrochen. Es wurde nichts gesendet."


async def test_impossible_phone_number_is_rejected_politely() -> None:
    turn = tracker("0171 12", form="rueckruf_form", requested="callback_phone",
                   slots={"callback_topic": "Elterngeld"})
    slots, dispatcher = await run(ValidateRueckrufForm(), turn)
    assert slots["callback_phone"] is None
    assert "„0171 12“ scheint keine gültige Telefonnummer" in texts(dispatcher)


async def test_callback_first_message_prefills_phone_and_window() -> None:
    turn = tracker("Bitte rufen Sie mich unter 0171 1234567 nachmittags zurück", "rueckruf")
    slots, _ = await run(ValidateRueckrufForm(), turn)
    assert slots["callback_phone"] == "+491711234567"
    assert slots["callback_window"] == "nachmittags"
    assert slots["requested_slot"] == "callback_topic"


async def test_bulky_waste_date_in_the_past_and_on_a_weekend() -> None:
    base = {"bulky_address": {"town": "hemer", "address": "Hauptstraße 1, Hemer", "lat": None,
                              "lon": None}, "bulky_items": "1 Sofa"}
    slots, dispatcher = await run(ValidateSperrmuellForm(), tracker(
        "gestern", form="sperrmuell_form", requested="bulky_date", slots=base))
    assert slots["bulky_date"] is None and "in der Vergangenheit" in texts(dispatcher)
    slots, dispatcher = await run(ValidateSperrmuellForm(), tracker(
        "nächsten Samstag", form="sperrmuell_form", requested="bulky_date", slots=base))
    assert slots["bulky_date"] is None and "Wochenende" in texts(dispatcher)
    slots, _ = await run(ValidateSperrmuellForm(), tracker(
        "nächsten Dienstag", form="sperrmuell_form", requested="bulky_date", slots=base))
    assert slots["bulky_date"] is not None and slots["requested_slot"] == "confirm"


async def test_bulky_waste_address_needs_a_town() -> None:
    slots, _ = await run(ValidateSperrmuellForm(), tracker(
        "Hauptstraße 1", form="sperrmuell_form", requested="bulky_address"))
    assert slots["place_pending"] == "Hauptstraße 1"
    slots, dispatcher = await run(ValidateSperrmuellForm(), tracker(
        "keine Ahnung", form="sperrmuell_form", requested="bulky_address",
        slots={"place_pending": "Hauptstraße 1"}))
    assert slots["bulky_address"] is None
    assert "Adresse mit Stadt oder Postleitzahl" in texts(dispatcher)


def _fallback_turns(*intents: str) -> Tracker:
    events = [{"event": "user", "text": f"msg {i}", "parse_data": {"intent": {"name": intent},
                                                                    "entities": []}}
              for i, intent in enumerate(intents)]
    turn = tracker("msg", intents[-1])
    return Tracker(turn.sender_id, turn.slots, turn.latest_message, events, False, None, {},
                   "utter_default")


async def test_second_fallback_in_a_row_offers_a_person_or_a_callback() -> None:
    dispatcher = CollectingDispatcher()
    await ActionFallback().run(dispatcher, _fallback_turns("greet", "nlu_fallback"), domain())
    assert dispatcher.messages == []
    await ActionFallback().run(dispatcher, _fallback_turns("out_of_scope", "nlu_fallback"), domain())
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/mensch_sprechen", "/rueckruf"]


async def test_a_new_start_forgets_an_abandoned_run() -> None:
    dispatcher = CollectingDispatcher()
    stale = {**FILLED, "place_pending": "Hauptstraße", "attempts": 1}
    events = await ActionStartRequest().run(dispatcher, tracker("Schlagloch melden", "maengelmeldung",
                                                                slots=stale), domain())
    assert slot_sets(events) == {
        **dict.fromkeys([*FILLED, "place_pending", "change", "confirm", "editing"]), "attempts": 0}
    other = await ActionStartRequest().run(dispatcher, tracker("Rückruf", "rueckruf", slots=stale),
                                           domain())
    assert "defect_category" not in slot_sets(other)  # another form's values are left alone


async def test_asking_for_a_person_interrupts_only_when_sure() -> None:
    sure = tracker("Ich möchte mit einem Menschen sprechen", "mensch_sprechen", form=FORM,
                   requested="defect_description")
    slots, _ = await run(ValidateMaengelmeldungForm(), sure)
    assert set(slots) == {"requested_slot"}  # rejected: the handoff rule answers
    unsure = tracker("Ein Mitarbeiter soll sich das Loch bitte ansehen", "mensch_sprechen", form=FORM,
                     requested="defect_description")
    unsure.latest_message["intent"]["confidence"] = 0.5
    slots, _ = await run(ValidateMaengelmeldungForm(), unsure)
    assert slots["defect_description"] == "Ein Mitarbeiter soll sich das Loch bitte ansehen"


async def test_asking_what_is_stored_interrupts_every_field() -> None:
    question = tracker("Welche Daten speichern Sie über mich?", "daten_auskunft", form=FORM,
                       requested="defect_description")
    question.latest_message["intent"]["confidence"] = 0.5  # phrased as a question: enough
    slots, _ = await run(ValidateMaengelmeldungForm(), question)
    assert set(slots) == {"requested_slot"}  # rejected: the data-access rule answers, the form asks again
    statement = tracker("Daten von der Straße sind wichtig", "daten_auskunft", form=FORM,
                        requested="defect_description")
    statement.latest_message["intent"]["confidence"] = 0.5
    slots, _ = await run(ValidateMaengelmeldungForm(), statement)
    assert slots["defect_description"] == "Daten von der Straße sind wichtig"
