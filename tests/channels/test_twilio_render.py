"""Rendering for SMS and WhatsApp: a pure function of the turn's responses, tested by table."""

from __future__ import annotations

from typing import Any

import pytest

from channels.adapters.twilio.render import render_sms, render_whatsapp
from channels.adapters.twilio.sms_text import MORE_SUFFIX, segments
from channels.emergency import ANSWERS
from channels.messages import Button, Buttons, Custom, Image, Link, Response, Text

MENU = Buttons("Wählen Sie:", (Button("Termin vereinbaren", "/termin_buchen"),
                               Button("Mangel melden", "/maengelmeldung")))


@pytest.mark.parametrize(
    ("responses", "text"),
    [
        ([Text("Hallo")], "Hallo"),
        ([Text("Eins"), Text("Zwei")], "Eins\nZwei"),
        ([MENU], "Wählen Sie:\n1 Termin vereinbaren\n2 Mangel melden"),
        ([MENU, Buttons("", (Button("Ausweis", "/a"),))],
         "Wählen Sie:\n1 Termin vereinbaren\n2 Mangel melden\n3 Ausweis"),
        ([Text("Infos:"), Link("https://www.maerkischer-kreis.de/kfz", "Kfz-Seite")],
         "Infos:\nKfz-Seite: https://www.maerkischer-kreis.de/kfz"),
        ([Link("https://a.de/x", "https://a.de/x")], "https://a.de/x"),
        ([Image("https://a.de/plan.png", "Lageplan")], "Lageplan: https://a.de/plan.png"),
        ([Text("Text"), Custom({"handoff": True}), Custom({"text": "Wir melden uns."})],
         "Text\nWir melden uns."),
        ([Text("Den Ort „Hogwarts“ kenne ich nicht – bitte…")],
         'Den Ort "Hogwarts" kenne ich nicht - bitte...'),
    ],
)
def test_sms_turn_is_one_body(responses: list[Response], text: str) -> None:
    [body] = render_sms(responses, 3)
    assert body["text"] == text
    assert body["kind"] == "reply" and body["encoding"] == "GSM-7" and body["segments"] == 1
    assert "more" not in body


def test_nothing_to_show_renders_nothing() -> None:
    assert render_sms([Custom({"x": 1})], 3) == []
    assert render_whatsapp([Custom({"x": 1})]) == []


def test_sms_over_budget_carries_the_rest() -> None:
    text = " ".join(f"Dies ist Satz {i} einer langen Antwort über die Kfz-Zulassung." for i in range(30))
    [body] = render_sms([Text(text), MENU], 2)
    assert body["segments"] <= 2 and body["text"].endswith(MORE_SUFFIX)
    assert all(segments(part) <= 2 for part in body["more"])
    assert body["more"][-1].endswith("2 Mangel melden")
    assert not body["more"][-1].endswith(MORE_SUFFIX)


@pytest.mark.parametrize("language", sorted(ANSWERS))
def test_emergency_answers_are_never_cut(language: str) -> None:
    bodies = render_sms([Text(ANSWERS[language])], 1)
    assert [b["text"] for b in bodies] == [ANSWERS[language]]
    assert "more" not in bodies[0]


def test_render_is_deterministic() -> None:
    responses = [Text("„A“ " * 200), MENU]
    assert render_sms(responses, 3) == render_sms(responses, 3)


@pytest.mark.parametrize(
    ("responses", "bodies"),
    [
        ([Text("Eins"), Text("Zwei")],
         [{"kind": "reply", "text": "Eins"}, {"kind": "reply", "text": "Zwei"}]),
        ([MENU, Buttons("Oder:", (Button("Ausweis", "/a"),))],
         [{"kind": "reply", "text": "Wählen Sie:\n1 Termin vereinbaren\n2 Mangel melden"},
          {"kind": "reply", "text": "Oder:\n3 Ausweis"}]),
        ([Image("https://a.de/p.png", "Plan")], [{"kind": "reply", "text": "Plan", "media": ["https://a.de/p.png"]}]),
        ([Text("„Zitat“ – so")], [{"kind": "reply", "text": "„Zitat“ – so"}]),
    ],
)
def test_whatsapp_bodies(responses: list[Response], bodies: list[dict[str, Any]]) -> None:
    assert render_whatsapp(responses) == bodies


def test_whatsapp_long_text_is_split_at_twilios_limit_not_shortened() -> None:
    text = "Ein ganzer Satz mit Inhalt. " * 120
    bodies = render_whatsapp([Text(text)])
    assert len(bodies) == 3 and all(len(b["text"]) <= 1600 for b in bodies)
    assert " ".join(b["text"] for b in bodies) == text.strip()
    assert not any(MORE_SUFFIX in b["text"] for b in bodies)


def test_a_location_request_asks_for_the_address_by_sms_and_for_the_location_on_whatsapp() -> None:
    question = Text("Wo ist der Schaden?")
    [sms] = render_sms([question, Custom({"request": "location"})], 3)
    assert sms["text"] == ("Wo ist der Schaden?\n"
                           "Schreiben Sie uns bitte die Adresse oder eine Ortsbeschreibung.")
    assert sms["encoding"] == "GSM-7" and sms["segments"] == 1
    asked, hint = render_whatsapp([question, Custom({"request": "location"})])
    assert asked["text"] == "Wo ist der Schaden?"
    assert "Standort" in hint["text"] and "Büroklammer" in hint["text"]
    [english] = render_whatsapp([Custom({"request": "location"})], "en")
    assert "share your location" in english["text"]


def test_a_photo_request_says_sms_cannot_carry_photos_and_whatsapp_can() -> None:
    [sms] = render_sms([Text("Haben Sie ein Foto?"), Custom({"request": "photo"})], 3)
    assert sms["text"].endswith("Fotos können Sie per SMS leider nicht senden.")
    assert sms["encoding"] == "GSM-7"
    [whatsapp] = render_whatsapp([Custom({"request": "photo", "text": "Haben Sie ein Foto?"})])
    assert whatsapp["text"].startswith("Haben Sie ein Foto? Ein Foto senden Sie einfach hier im Chat")


def test_unknown_requests_render_nothing() -> None:
    assert render_sms([Custom({"request": "video"})], 3) == []
    assert render_whatsapp([Custom({"request": None})]) == []
