"""Rendering for the widget: plain data, safe URLs only, writing direction by script."""

from __future__ import annotations

import pytest

from channels.adapter import RenderContext
from channels.adapters.webchat.render import direction_and_language, render
from channels.messages import Button, Buttons, Custom, Image, Link, Text

ARABIC = "للأسف لا تتوفر الإجابة باللغة العربية بعد، وإليك الإجابة باللغة الإنجليزية."


@pytest.mark.parametrize(
    ("responses", "language", "bodies"),
    [
        ([Text("Guten Tag")], "de",
         [{"kind": "text", "text": "Guten Tag", "dir": "ltr", "lang": "de"}]),
        ([Buttons("Geholfen?", (Button("Ja", "/affirm"), Button("Nein", "/deny")))], "de",
         [{"kind": "buttons", "text": "Geholfen?", "dir": "ltr", "lang": "de",
           "buttons": [{"title": "Ja", "payload": "/affirm"}, {"title": "Nein", "payload": "/deny"}]}]),
        ([Link("https://www.maerkischer-kreis.de", "Website")], "en",
         [{"kind": "link", "text": "Website", "url": "https://www.maerkischer-kreis.de", "dir": "ltr",
           "lang": "en"}]),
        ([Image("https://example.org/a.png", "Karte")], "de",
         [{"kind": "image", "url": "https://example.org/a.png", "alt": "Karte"}]),
        # Only http(s) ever reaches an href or src.
        ([Link("javascript:alert(1)", "x"), Image("data:text/html,<b>x</b>"), Link("https://a b", "x")],
         "de", []),
        ([Custom({"anything": 1}), Text("danach")], None,
         [{"kind": "text", "text": "danach", "dir": "ltr", "lang": None}]),
        # Leichte Sprache is German for the screen reader.
        ([Text("Sie wollen ein Auto an-melden?")], "ls",
         [{"kind": "text", "text": "Sie wollen ein Auto an-melden?", "dir": "ltr", "lang": "de"}]),
        # Bot text stays text: the widget shows it with textContent.
        ([Text("<img src=x onerror=alert(1)>")], "de",
         [{"kind": "text", "text": "<img src=x onerror=alert(1)>", "dir": "ltr", "lang": "de"}]),
    ],
)
def test_render_table(responses, language, bodies) -> None:
    assert render(responses, RenderContext("c1", language)) == bodies


def test_an_arabic_conversation_gets_rtl_only_for_arabic_text() -> None:
    """The Arabic notice is right to left; the English answer variant after it is not."""
    bodies = render([Text(ARABIC), Text("You register a vehicle at the Straßenverkehrsamt.")],
                    RenderContext("c1", "ar"))
    assert [(b["dir"], b["lang"]) for b in bodies] == [("rtl", "ar"), ("ltr", None)]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (ARABIC, None, ("rtl", "ar")),  # the core did not say: the script decides
        (ARABIC, "de", ("rtl", "ar")),
        ("Termin: www.maerkischer-kreis.de " + ARABIC, "ar", ("rtl", "ar")),  # mostly Arabic
        ("Ihr Termin ist am Montag " + "ب", "de", ("ltr", "de")),  # one Arabic letter does not flip it
        ("Як зареєструвати автомобіль?", "uk", ("ltr", "uk")),
        ("Як зареєструвати автомобіль?", "de", ("ltr", None)),
        ("112", "de", ("ltr", None)),
        ("", "de", ("ltr", None)),
    ],
)
def test_direction_and_language(text, language, expected) -> None:
    assert direction_and_language(text, language) == expected


def test_render_is_deterministic() -> None:
    responses = [Text("a"), Buttons("b", (Button("Ja", "/affirm"),)), Text(ARABIC)]
    assert render(responses, RenderContext("c", "ar")) == render(responses, RenderContext("c", "ar"))


def test_requests_become_request_bodies_and_other_custom_data_is_left_out() -> None:
    responses = [Text("Wo genau ist der Schaden?"), Custom({"request": "location"}),
                 Custom({"request": "photo"}), Custom({"request": "video"}), Custom({"handoff": True})]
    bodies = render(responses, RenderContext("conv", "de"))
    assert bodies[1:] == [{"kind": "request", "request": "location"}, {"kind": "request", "request": "photo"}]
