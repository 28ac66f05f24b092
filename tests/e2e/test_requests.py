"""Request forms, status and handoff through the real Rasa server, action server and case service.

Each form on two channels (web chat and SMS: the connector names the output
channel), with pre-filling, a faq question in between, cancellation, invalid
values, correction, an idempotent replay of the confirming turn and the
privacy of status queries. Cases are checked through the case service's API.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import urllib.request
from typing import Any

import pytest
import redis

from actions.handoff import next_open_text
from backoffice.reference import make
from tests.e2e.answers import answer

pytestmark = pytest.mark.e2e

CHANNELS = ["webchat", "sms"]
REFERENCE = re.compile(r"Vorgangsnummer: ([A-Z]{2,4}-\d{4}-\d{6}-\d)")
REFERENCE_EN = re.compile(r"reference number: ([A-Z]{2,4}-\d{4}-\d{6}-\d)")
PIN = re.compile(r"PIN: (\d+)")
# A 1x1 PNG, for a real upload to the case service.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGA"
                       "WjR9awAAAABJRU5ErkJggg==")


def joined(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def buttons(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for m in messages for b in m.get("buttons") or ()]


def customs(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["custom"] for m in messages if m.get("custom")]


def case_of(service, reference: str, conversation_id: str, pin: str | None = None) -> tuple[int, Any]:
    query = f"conversation_id={conversation_id}" + (f"&pin={pin}" if pin else "")
    request = urllib.request.Request(f"{service.url}/api/v1/cases/{reference}?{query}",
                                     headers={"Authorization": f"Bearer {service.token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def post(service, path: str, body: dict[str, Any] | bytes, content_type: str = "application/json"
         ) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"{service.url}{path}", data=data, method="POST", headers={
        "Authorization": f"Bearer {service.token}", "Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


# --- Mängelmeldung ----------------------------------------------------------------------------
@pytest.mark.parametrize("channel", CHANNELS)
def test_defect_report_prefilled_from_the_first_message(talk, case_service, channel: str) -> None:
    citizen = talk(channel)
    messages = citizen.send("In der Lindenstraße in Iserlohn ist ein Schlagloch")
    reply = joined(messages)
    assert "Beschreiben Sie den Mangel" in reply  # category and place were understood
    assert "Was möchten Sie melden" not in reply and "Wo genau" not in reply
    reply = citizen.texts("Was kostet ein Führungszeugnis?")  # a question in between
    assert answer("fuehrungszeugnis", channel=channel) in reply
    assert "Beschreiben Sie den Mangel" in reply  # ... then the open question again
    messages = citizen.send("Tiefes Loch am rechten Fahrbahnrand, etwa 30 cm breit")
    assert {"request": "photo"} in customs(messages)
    assert {"title": "Ohne Foto", "payload": "Ohne Foto"} in buttons(messages)
    assert "Telefonnummer oder E-Mail-Adresse" in citizen.texts("Ohne Foto")
    summary = citizen.send("Ohne Kontakt")
    text = joined(summary)
    for line in ("Art: Schlagloch / Straßenschaden", "Ort: Lindenstraße, Iserlohn", "Foto: kein Foto",
                 "Kontakt: keine Angabe"):
        assert line in text
    assert [b["payload"] for b in buttons(summary)] == ["/affirm", "/deny"]
    done = citizen.texts("ja")
    reference = REFERENCE.search(done).group(1)
    assert PIN.search(done)
    assert "Zuständig ist Bürgerservice der Stadt Iserlohn" in done
    status, body = case_of(case_service, reference, citizen.sender)
    assert status == 200 and body["kind"] == "maengelmeldung"


def test_defect_report_with_shared_location_and_photo(talk, case_service) -> None:
    citizen = talk("webchat")
    messages = citizen.send("Ich möchte einen Schaden melden")
    assert "Was möchten Sie melden" in joined(messages)
    assert "Wilder Müll" in [b["title"] for b in buttons(messages)]
    messages = citizen.send("Wilder Müll")
    assert {"request": "location"} in customs(messages)
    reply = citizen.texts("[Standort]", location={"lat": 51.2190, "lon": 7.6310})
    assert "Beschreiben Sie den Mangel" in reply
    citizen.texts("Mehrere Säcke Hausmüll und ein alter Fernseher am Waldweg")
    status, uploaded = post(case_service, "/api/v1/media", PNG, "image/png")
    assert status == 201
    reply = citizen.texts("[Anhang]", media=[{"url": uploaded["id"], "content_type": "image/png"}])
    assert "Telefonnummer oder E-Mail-Adresse" in reply
    summary = citizen.texts("Max Muster, 0171 1234567")
    assert "Foto: 1 Foto(s)" in summary and "Kontakt: Max Muster, +491711234567" in summary
    assert "Standort 51.21900, 7.63100" in summary
    # Correction: "nein, der Ort ..." goes straight to the place, then a new summary.
    assert "Wo genau ist das" in citizen.texts("nein, der Ort stimmt nicht")
    summary = citizen.texts("Am Wanderparkplatz Homert in Lüdenscheid")
    assert "Ort: Am Wanderparkplatz Homert in Lüdenscheid" in summary
    assert "Art: Wilder Müll" in summary and "Foto: 1 Foto(s)" in summary
    reference = REFERENCE.search(citizen.texts("ja")).group(1)
    assert case_of(case_service, reference, citizen.sender)[0] == 200


def test_places_outside_the_district_are_rejected_then_cancel(talk, case_service) -> None:
    citizen = talk("sms")
    assert "Wo genau ist das" in citizen.texts("Schlagloch melden")
    reply = citizen.texts("Bahnhofstraße in Hagen")
    assert "Hagen gehört nicht zum Märkischen Kreis" in reply and "Stadtverwaltung Hagen" in reply
    assert "Wo genau ist das" in reply  # asked again
    messages = citizen.send("[Standort]", location={"lat": 51.5140, "lon": 7.4650})  # Dortmund
    assert "außerhalb des Märkischen Kreises" in joined(messages)
    assert {"title": "Abbrechen", "payload": "/abbrechen"} in buttons(messages)  # second failure
    assert "Es wurde nichts gesendet" in citizen.texts("abbrechen")
    # The form is gone: a new report starts from the beginning.
    assert "Was möchten Sie melden" in citizen.texts("Ich möchte einen Mangel melden")


def test_place_without_town_is_asked_once(talk, case_service) -> None:
    citizen = talk("webchat")
    citizen.texts("Defektes Schild melden")
    assert "In welcher Stadt oder Gemeinde im Märkischen Kreis ist das" in citizen.texts(
        "Hauptstraße Ecke Kirchweg")
    assert "Beschreiben Sie den Mangel" in citizen.texts("Plettenberg")
    citizen.texts("Das Stoppschild ist umgeknickt und liegt am Boden")
    citizen.texts("Ohne Foto")
    assert "Ort: Hauptstraße Ecke Kirchweg, Plettenberg" in citizen.texts("Ohne Kontakt")


# --- Sperrmüll ----------------------------------------------------------------------------------
@pytest.mark.parametrize("channel", CHANNELS)
def test_bulky_waste_with_faq_question_and_past_date(talk, case_service, channel: str) -> None:
    citizen = talk(channel)
    assert "An welcher Adresse" in citizen.texts("Ich möchte Sperrmüll anmelden")
    reply = citizen.texts("Wie lange ist ein Reisepass gültig?")
    assert answer("reisepass") in reply or answer("reisepass", channel="sms") in reply
    assert "An welcher Adresse" in reply  # the form asks again after the answer
    assert "Was soll abgeholt werden" in citizen.texts("Hauptstraße 5 in Hemer")
    assert "Wann wäre Ihnen die Abholung am liebsten" in citizen.texts("1 Sofa, 2 Stühle")
    reply = citizen.texts("gestern")
    assert "liegt in der Vergangenheit" in reply and "Wann wäre Ihnen" in reply
    summary = citizen.texts("nächsten Dienstag")
    assert "Adresse: Hauptstraße 5 in Hemer" in summary and "Wunschtermin: Dienstag" in summary
    done = citizen.texts("ja")
    reference = REFERENCE.search(done).group(1)
    status, body = case_of(case_service, reference, citizen.sender)
    assert status == 200 and body["kind"] == "sperrmuell_anmelden"


@pytest.mark.parametrize("channel", CHANNELS)
def test_bulky_waste_address_corrected_before_confirmation(talk, case_service, channel: str) -> None:
    citizen = talk(channel)
    citizen.texts("Ich möchte Sperrmüll anmelden")
    citizen.texts("Hauptstraße 5 in Hemer")
    citizen.texts("1 Sofa, 2 Stühle")
    assert "Adresse: Hauptstraße 5 in Hemer" in citizen.texts("nächsten Dienstag")
    messages = citizen.send("nein")
    assert "Was möchten Sie ändern" in joined(messages)
    assert [b["title"] for b in buttons(messages)] == ["Adresse", "Gegenstände", "Wunschtermin"]
    assert "An welcher Adresse" in citizen.texts("Adresse")
    summary = citizen.texts("Bahnhofstraße 12 in Menden")
    assert "Adresse: Bahnhofstraße 12 in Menden" in summary and "Hemer" not in summary
    assert "Gegenstände: 1 Sofa, 2 Stühle" in summary and "Wunschtermin: Dienstag" in summary
    reference = REFERENCE.search(citizen.texts("ja")).group(1)
    status, body = case_of(case_service, reference, citizen.sender)
    assert status == 200 and body["kind"] == "sperrmuell_anmelden"
    with sqlite3.connect(case_service.database) as conn:  # the view hides the address: read what was stored
        stored = conn.execute("SELECT address, town FROM cases WHERE reference = ?", (reference,)).fetchone()
    assert stored == ("Bahnhofstraße 12 in Menden", "menden")


@pytest.mark.parametrize("channel", CHANNELS)
def test_bulky_waste_address_outside_the_district_is_asked_again(talk, case_service, channel: str
                                                                 ) -> None:
    citizen = talk(channel)
    assert "An welcher Adresse" in citizen.texts("Ich möchte Sperrmüll anmelden")
    reply = citizen.texts("Hauptstraße 5 in Hagen")
    assert "Hagen gehört nicht zum Märkischen Kreis" in reply
    assert "Dafür ist die Stadtverwaltung Hagen zuständig" in reply  # who to contact instead
    assert "An welcher Adresse" in reply and "Was soll abgeholt werden" not in reply
    assert "Was soll abgeholt werden" in citizen.texts("Hauptstraße 5 in Hemer")


def test_data_access_question_in_the_middle_of_a_form(talk, case_service) -> None:
    citizen = talk("webchat")
    assert "An welcher Adresse" in citizen.texts("Ich möchte Sperrmüll anmelden")
    reply = citizen.texts("Welche Daten speichern Sie über mich?")
    assert answer("daten_auskunft") in reply
    assert "An welcher Adresse" in reply  # the form asks again, the question is not taken as an address
    assert "Was soll abgeholt werden" in citizen.texts("Hauptstraße 5 in Hemer")


def test_bulky_waste_cancelled_with_other_words(talk, case_service) -> None:
    citizen = talk("webchat")
    citizen.texts("Sperrmüll anmelden")
    citizen.texts("Hauptstraße 5 in Hemer")
    assert "Es wurde nichts gesendet" in citizen.texts("ich will nicht mehr")
    citizen.texts("Sperrmüll anmelden")
    assert "Es wurde nichts gesendet" in citizen.texts("stopp")


# --- Rückruf ------------------------------------------------------------------------------------
@pytest.mark.parametrize("channel", CHANNELS)
def test_callback_with_impossible_number_and_correction(talk, case_service, channel: str) -> None:
    citizen = talk(channel)
    messages = citizen.send("Können Sie mich bitte zurückrufen?")
    assert "Worum geht es" in joined(messages) and "Elterngeld" in [b["title"] for b in buttons(messages)]
    assert "Unter welcher Telefonnummer" in citizen.texts("Elterngeld")
    reply = citizen.texts("0171 12")
    assert "scheint keine gültige Telefonnummer" in reply and "Unter welcher Telefonnummer" in reply
    assert "Wann sind Sie am besten erreichbar" in citizen.texts("0171 1234567")
    summary = citizen.texts("Vormittag")
    assert "Telefonnummer: 0171 1234567" in summary and "Erreichbar: Vormittag" in summary
    messages = citizen.send("nein")
    assert "Was möchten Sie ändern" in joined(messages)
    assert [b["title"] for b in buttons(messages)] == ["Anliegen", "Telefonnummer", "Erreichbar"]
    assert "Unter welcher Telefonnummer" in citizen.texts("Telefonnummer")
    summary = citizen.texts("0172 7654321")
    assert "Telefonnummer: 0172 7654321" in summary and "Anliegen: Elterngeld" in summary
    done = citizen.texts("ja")
    assert "ruft Sie zurück" in done
    reference = REFERENCE.search(done).group(1)
    assert case_of(case_service, reference, citizen.sender)[1]["kind"] == "rueckruf"


@pytest.mark.parametrize("channel", CHANNELS)
def test_callback_interrupted_by_a_question(talk, case_service, channel: str) -> None:
    citizen = talk(channel)
    assert "Worum geht es" in citizen.texts("Können Sie mich bitte zurückrufen?")
    assert "Unter welcher Telefonnummer" in citizen.texts("Elterngeld")
    reply = citizen.texts("Was kostet ein Führungszeugnis?")
    assert answer("fuehrungszeugnis", channel=channel) in reply  # the answer first ...
    assert "Unter welcher Telefonnummer" in reply  # ... then the open question again
    assert reply.index(answer("fuehrungszeugnis", channel=channel)) < reply.index("Unter welcher")
    assert "Wann sind Sie am besten erreichbar" in citizen.texts("0171 1234567")
    summary = citizen.texts("Vormittag")
    assert "Anliegen: Elterngeld" in summary and "Telefonnummer: 0171 1234567" in summary
    reference = REFERENCE.search(citizen.texts("ja")).group(1)
    assert case_of(case_service, reference, citizen.sender)[1]["kind"] == "rueckruf"


def test_callback_cancelled_sends_nothing(talk, case_service) -> None:
    citizen = talk("sms")
    citizen.texts("Rückruf bitte")
    citizen.texts("Führerschein")
    # Asking for a person in between: the handoff answers, then the open question again.
    reply = citizen.texts("Ich möchte mit einem Menschen sprechen")
    assert "Unter welcher Telefonnummer" in reply
    assert "Ich verbinde Sie" in reply or "Gerade ist leider niemand" in reply
    assert "Es wurde nichts gesendet" in citizen.texts("abbrechen")
    assert "Gerade ist nichts offen" in citizen.texts("abbrechen")


def test_replayed_confirmation_creates_no_second_case(talk, case_service, core) -> None:
    citizen = talk("webchat")
    citizen.texts("Bitte rufen Sie mich unter 0171 1234567 vormittags zurück")
    summary = citizen.texts("Frage zu meinem Wohngeldantrag")
    assert "Telefonnummer: 0171 1234567" in summary
    citizen.count += 1
    body = {"sender": citizen.sender, "message_id": f"{citizen.sender}-{citizen.count}",
            "channel": "webchat", "text": "ja", "metadata": {}}
    status, first = core.post(body)
    status_again, again = core.post(body)
    assert status == status_again == 200 and again["replayed"] is True
    assert again["messages"] == first["messages"]
    reference = REFERENCE.search(joined(first["messages"])).group(1)
    # Through the case service: the confirming turn's key maps to this case, and the next
    # new case gets the very next number, so nothing was created in between.
    key = f"{citizen.sender}:{citizen.sender}-{citizen.count}"
    case = {"kind": "rueckruf", "conversation_id": "someone-else", "channel": "test", "language": "de",
            "data": {"topic": "x", "phone": "+491711234567", "window": "vormittags"}, "place": None,
            "contact": None, "media": []}
    status, same = post(case_service, "/api/v1/cases", {**case, "idempotency_key": key})
    assert status == 200 and same["reference"] == reference
    status, new = post(case_service, "/api/v1/cases", {**case, "idempotency_key": f"{key}-new"})
    assert status == 201
    assert int(new["reference"].split("-")[2]) == int(reference.split("-")[2]) + 1


def test_english_callback(talk, case_service) -> None:
    citizen = talk("webchat")
    assert "What is your call about" in citizen.texts("Can someone call me back please?")
    citizen.texts("Vehicle registration")
    citizen.texts("+49 2351 966-0")
    summary = citizen.texts("Afternoon")
    assert "Please check your details" in summary and "Reachable: Afternoon" in summary
    done = citizen.texts("yes")
    assert REFERENCE_EN.search(done) and "call you back" in done


# --- Status -------------------------------------------------------------------------------------
def test_status_privacy_through_the_dialogue(talk, case_service) -> None:
    owner = talk("webchat")
    owner.texts("Bitte rufen Sie mich unter 0171 1234567 nachmittags zurück")
    owner.texts("Frage zum Elterngeld")
    done = owner.texts("ja")
    reference, pin = REFERENCE.search(done).group(1), PIN.search(done).group(1)
    assert f"Stand Ihres Vorgangs {reference}: eingegangen" in owner.texts(f"Status {reference}")

    stranger, nobody = talk("sms"), talk("sms")
    missing = make("MK", 2026, 999_998)
    ask_pin = "nennen Sie bitte die PIN aus der Bestätigung"
    assert ask_pin in stranger.texts(f"Wie ist der Stand von {reference}?")
    assert ask_pin in nobody.texts(f"Wie ist der Stand von {missing}?")
    wrong = stranger.texts("111111")
    assert "keine Auskunft" in wrong
    assert wrong == nobody.texts("111111").replace(missing, reference)
    other = talk("sms")
    assert "Wie lautet Ihre Vorgangsnummer" in other.texts("Wie ist der Stand meines Antrags?")
    assert ask_pin in other.texts(reference)
    assert f"Stand Ihres Vorgangs {reference}" in other.texts(pin)
    typo = reference[:-1] + str((int(reference[-1]) + 1) % 10)
    assert "scheint einen Tippfehler zu enthalten" in talk().texts(f"Status {typo}")


# --- Handoff and fallbacks ------------------------------------------------------------------------
def test_talk_to_a_person_is_queued_or_told_when_staff_are_back(talk, case_service) -> None:
    citizen = talk("webchat")
    messages = citizen.send("Ich möchte mit einem Menschen sprechen")
    reply = joined(messages)
    if "Ich verbinde Sie" in reply:
        assert "Position" in reply
    else:
        assert "Gerade ist leider niemand im Chat erreichbar" in reply
        assert re.search(r"ab (heute|[A-Z]\w+, \d+\.\d+\.), \d+:\d\d Uhr", reply)
        assert {"title": "Rückruf anfordern", "payload": "/rueckruf"} in buttons(messages)


def test_a_person_after_a_driving_licence_answer_is_the_strassenverkehrsamt(talk, case_service, core) -> None:
    """The topic of the last answer goes with the handoff: the desk listing it answers (its hours), and
    a queued handoff records topic and desk for the console; the citizen's text is not sent."""
    citizen = talk("webchat")
    assert answer("fuehrerschein_verlust", channel="webchat") in citizen.texts(
        "Ich habe meinen Führerschein verloren, was muss ich tun?")
    status, probe = post(case_service, "/api/v1/handoff", {
        "conversation_id": f"{citizen.sender}-probe", "channel": "test", "language": "de",
        "topic": "fuehrerschein_verlust", "reason": "asked"})
    assert status == 200 and probe["office"] == "strassenverkehrsamt"
    reply = citizen.texts("Ich möchte mit einem Menschen sprechen")
    state = redis.Redis.from_url(core.redis_url, decode_responses=True).hgetall(
        f"{core.prefix}:handoff:{citizen.sender}")
    if probe["status"] == "queued":
        assert "Ich verbinde Sie" in reply
        assert (state["topic"], state["desk"], state["reason"]) == (
            "fuehrerschein_verlust", "strassenverkehrsamt", "asked")
        assert "Führerschein" not in str(state)
    else:
        assert f"wieder ab {next_open_text(probe['next_open'], 'de')} für Sie da" in reply
        assert state == {}


def test_two_fallbacks_in_a_row_offer_a_person(talk, case_service) -> None:
    citizen = talk("webchat")
    first = citizen.send("xqzv blorp fnord")
    assert "/mensch_sprechen" not in [b["payload"] for b in buttons(first)]
    second = citizen.send("wumpf klatsch zorg")
    payloads = [b["payload"] for b in buttons(second)]
    assert "/mensch_sprechen" in payloads and "/rueckruf" in payloads
