"""Rendering for Telegram, as a table of cases: escaping, links, splitting, keyboards, location requests.

The HTML is checked with the fake Bot API's parser (Telegram's rules), so
"escaped" means: Telegram would show the citizen exactly the original text.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.adapters.telegram.render import (
    MAX_TEXT,
    callback_data,
    is_stored_key,
    render,
    split_text,
    stored_key,
    to_html,
    utf16_len,
)
from channels.messages import Button, Buttons, Custom, Image, Link, Text
from tests.channels.fake_telegram import parse_html


@pytest.mark.parametrize("text", [
    "Gebühr < 30 € & Bearbeitung > 2 Tage",
    "<b>nicht fett</b> <a href=\"https://evil.example\">klick</a> <script>",
    "&amp; &lt; schon escaped? &#x27; &",
    "Tom & Jerry's \"Haus\" <3",
])
def test_text_from_the_core_is_shown_exactly_as_written(text: str) -> None:
    [body] = render([Text(text)])
    plain, links = parse_html(body["text"])
    assert plain == text
    assert all(href in (shown, f"https://{shown}") for href, shown in links)  # no link hides its target


@pytest.mark.parametrize(("text", "links"), [
    ("Termin: https://www.maerkischer-kreis.de/termin?amt=kfz&ort=Iserlohn.",
     [("https://www.maerkischer-kreis.de/termin?amt=kfz&ort=Iserlohn",
       "https://www.maerkischer-kreis.de/termin?amt=kfz&ort=Iserlohn")]),
    ("Online auf www.maerkischer-kreis.de, oder telefonisch.",
     [("https://www.maerkischer-kreis.de", "www.maerkischer-kreis.de")]),
    ("(siehe https://de.wikipedia.org/wiki/Kfz_(Begriff)) und https://a.de/x\"onmouseover=\"y",
     [("https://de.wikipedia.org/wiki/Kfz_(Begriff)", "https://de.wikipedia.org/wiki/Kfz_(Begriff)"),
      ("https://a.de/x", "https://a.de/x")]),
    ("Kein Link: http:// und mailto:datenschutz@maerkischer-kreis.de", []),
])
def test_urls_become_escaped_clickable_links(text: str, links: list[tuple[str, str]]) -> None:
    plain, found = parse_html(to_html(text))
    assert plain == text
    assert found == links


def test_links_are_one_message_and_only_http_links_are_clickable() -> None:
    bodies = render([Link("https://www.maerkischer-kreis.de/a?b=1&c=2", "Formular <PDF>"),
                     Link("javascript:alert(1)", "Böse")])
    [body] = bodies
    plain, links = parse_html(body["text"])
    assert links == [("https://www.maerkischer-kreis.de/a?b=1&c=2", "Formular <PDF>")]
    assert plain == "Formular <PDF>\nBöse: javascript:alert(1)"


@pytest.mark.parametrize(("text", "expected"), [
    ("kurz", ["kurz"]),
    ("  \n ", []),
    ("A" * 30 + "\n\n" + "B" * 30, ["A" * 30, "B" * 30]),  # paragraphs first
    ("Satz eins hier. Satz zwei hier! Satz drei hier? Satz vier.",  # sentences, packed greedily
     ["Satz eins hier. Satz zwei hier! Satz drei hier?", "Satz vier."]),
    ("Zeile eins\nZeile zwei ist etwas länger als die erste", ["Zeile eins",
                                                               "Zeile zwei ist etwas länger als die erste"]),
    ("W" * 100, ["W" * 50, "W" * 50]),  # a "word" longer than a message: cut hard
])
def test_split_prefers_paragraphs_then_lines_then_sentences(text: str, expected: list[str]) -> None:
    assert split_text(text, limit=50) == expected


def test_split_counts_like_telegram_in_utf16_and_never_cuts_an_emoji() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units
    chunks = split_text(text)
    assert [utf16_len(c) for c in chunks] == [4096, 6000 - 4096]
    assert "".join(chunks) == text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab .!?\n😀ä"), max_size=400), st.integers(min_value=4, max_value=60))
def test_split_loses_nothing_and_every_chunk_fits(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(0 < utf16_len(chunk) <= limit for chunk in chunks)
    assert re.sub(r"\s", "", "".join(chunks)) == re.sub(r"\s", "", text)


def test_a_long_text_is_several_messages_with_the_keyboard_under_the_last() -> None:
    text = "\n\n".join(["Ein Absatz mit Inhalt. " * 100] * 3)
    bodies = render([Buttons(text, (Button("Ja", "/affirm"),))])
    assert len(bodies) == 3
    assert all(utf16_len(parse_html(b["text"])[0]) <= MAX_TEXT for b in bodies)
    assert ["inline_keyboard" in b for b in bodies] == [False, False, True]


def test_buttons_with_short_and_long_payloads() -> None:
    long_payload = '/faq{"topic":"fuehrerschein_umtausch","town":"Lüdenscheid"}' + "x" * 20
    tricky = "~looks like one of our keys"
    [body] = render([Buttons("Womit kann ich helfen?", (
        Button("Personalausweis", '/faq{"topic":"personalausweis"}'),
        Button("Führerschein", long_payload),
        Button("Tilde", tricky)))])
    rows = body["inline_keyboard"]
    assert rows == [[{"text": "Personalausweis", "callback_data": '/faq{"topic":"personalausweis"}'}],
                    [{"text": "Führerschein", "callback_data": stored_key(long_payload)}],
                    [{"text": "Tilde", "callback_data": stored_key(tricky)}]]
    assert all(len(row[0]["callback_data"].encode()) <= 64 for row in rows)
    assert body["stored_callbacks"] == {stored_key(long_payload): long_payload, stored_key(tricky): tricky}


def test_callback_keys_are_deterministic_short_and_recognisable() -> None:
    payload = "/" + "ü" * 40  # 81 bytes
    assert callback_data(payload) == callback_data(payload) == (stored_key(payload), True)
    assert callback_data("/affirm") == ("/affirm", False)
    assert is_stored_key(stored_key(payload)) and not is_stored_key("/affirm") and not is_stored_key("~x")
    assert stored_key(payload) != stored_key(payload + "!")
    assert render([Buttons("a", (Button("b", payload),))]) == render([Buttons("a", (Button("b", payload),))])


@pytest.mark.parametrize(("language", "prompt"), [(None, "Bitte wählen Sie:"), ("en", "Please choose:"),
                                                  ("de-AT", "Bitte wählen Sie:")])
def test_buttons_without_text_get_a_prompt_in_the_citizens_language(language, prompt) -> None:
    [body] = render([Buttons("", (Button("Ja", "/affirm"),))], language)
    assert body["text"] == prompt


def test_a_location_request_puts_a_one_time_location_button_on_the_question() -> None:
    question = Text("Wo ist der Schaden? <genau>")
    [ask] = render([question, Custom({"request": "location"})])
    assert parse_html(ask["text"])[0] == "Wo ist der Schaden? <genau>"
    assert ask["request_location"] == "📍 Standort senden"
    # A question with inline buttons keeps them; the location button comes with its own prompt.
    skip = Buttons("Wo ist der Schaden?", (Button("Ohne Ort weiter", "/skip"),))
    with_buttons, own = render([skip, Custom({"request": "location"})], "en")
    assert "request_location" not in with_buttons and with_buttons["inline_keyboard"]
    assert own["request_location"] == "📍 Send location" and "location" in own["text"]
    # Alone, the request brings its default prompt.
    [alone] = render([Custom({"request": "location"})])
    assert alone["request_location"] == "📍 Standort senden" and "Standort senden" in alone["text"]


def test_a_photo_request_says_where_the_paperclip_is() -> None:
    question, hint = render([Text("Haben Sie ein Foto?"), Custom({"request": "photo"})])
    assert "request_location" not in question and "inline_keyboard" not in question
    assert "Büroklammer" in hint["text"] and "request_location" not in hint
    [english] = render([Custom({"request": "photo"})], "en")
    assert "paperclip" in english["text"]


def test_images_are_photos_and_unknown_custom_data_is_left_out() -> None:
    bodies = render([Image("https://www.maerkischer-kreis.de/karte.png", "Karte < Lüdenscheid >"),
                     Image("data:image/png;base64,xxx"), Custom({"something": "else"}),
                     Custom({"request": "video"}), Custom({"request_location": True})])
    assert bodies == [{"method": "sendPhoto", "photo": "https://www.maerkischer-kreis.de/karte.png",
                       "caption": "Karte &lt; Lüdenscheid &gt;"}]


def test_order_is_kept_across_kinds() -> None:
    bodies = render([Text("eins"), Link("https://a.de", "A"), Link("https://b.de", "B"), Text("zwei"),
                     Buttons("drei", (Button("x", "/x"),))])
    assert [parse_html(b["text"])[0] for b in bodies] == ["eins", "A\nB", "zwei", "drei"]
