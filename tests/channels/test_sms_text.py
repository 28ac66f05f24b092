"""GSM-7 / UCS-2 detection, exact segment counts, GSM-7 preparation and cutting into parts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.adapters.twilio.sms_text import (
    GSM_BASIC,
    GSM_EXTENSION,
    MORE_SUFFIX,
    Encoding,
    measure,
    paginate,
    segments,
    sentence_ends,
    split_long,
    to_gsm,
)

GSM, UCS = Encoding.GSM7, Encoding.UCS2


def test_the_gsm_tables_have_the_standard_sizes() -> None:
    assert len(GSM_BASIC) == 127  # 128 code points, the escape (0x1B) is not a character
    assert len(GSM_EXTENSION) == 10  # form feed ^ { } \ [ ~ ] | €
    assert not GSM_BASIC & GSM_EXTENSION


@pytest.mark.parametrize(
    ("text", "encoding", "units", "count"),
    [
        ("Hallo", GSM, 5, 1),
        ("a" * 160, GSM, 160, 1),
        ("a" * 161, GSM, 161, 2),
        ("a" * 306, GSM, 306, 2),
        ("a" * 307, GSM, 307, 3),
        ("a" * 459, GSM, 459, 3),
        ("a" * 460, GSM, 460, 4),
        ("Straße, Öffnungszeiten, Ärger, Übung, é, à, Ñ, §, ¿, ¡", GSM, 54, 1),
        # extension characters cost two septets
        ("€", GSM, 2, 1),
        ("€" * 80, GSM, 160, 1),
        ("€" * 81, GSM, 162, 2),
        ("a" * 159 + "€", GSM, 161, 2),
        ("[]{}|~^\\\f", GSM, 18, 1),
        # an escape pair is never split: 152 + the pair cannot share the first 153-septet segment
        ("a" * 152 + "€" + "a" * 152, GSM, 306, 3),
        # one character outside GSM-7 makes the whole message UCS-2
        ("Hallo Ç", GSM, 7, 1),
        ("Hallo ç", UCS, 7, 1),  # only the capital C cedilla is in the basic table
        ("Привет", UCS, 6, 1),
        ("ж" * 70, UCS, 70, 1),
        ("ж" * 71, UCS, 71, 2),
        ("ж" * 134, UCS, 134, 2),
        ("ж" * 135, UCS, 135, 3),
        ("a" * 69 + "„", UCS, 70, 1),
        ("a" * 70 + "„", UCS, 71, 2),
        ("İstanbul'da ş ğ", UCS, 15, 1),
        ("مرحبا", UCS, 5, 1),
        # characters outside the BMP are surrogate pairs: two units each
        ("😀", UCS, 2, 1),
        ("😀" * 35, UCS, 70, 1),
        ("😀" * 36, UCS, 72, 2),
        ("ж" * 66 + "😀" + "ж" * 66, UCS, 134, 3),  # the pair does not fit the 67th unit
        ("ж" * 65 + "😀" + "ж" * 67, UCS, 134, 2),
    ],
)
def test_encoding_units_and_segments(text: str, encoding: Encoding, units: int, count: int) -> None:
    info = measure(text)
    assert (info.encoding, info.units, info.segments) == (encoding, units, count)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("„Personalausweis“", '"Personalausweis"'),
        ("‚so‘ – und — so…", "'so' - und - so..."),
        ("»Hinweis«", '"Hinweis"'),
        ("30\u00a0€ bis 40\u202f€", "30 € bis 40 €"),
        ("Kfz\u00adZulassung\u200b", "KfzZulassung"),
        ("Zeile 1\r\nZeile 2", "Zeile 1\nZeile 2"),
        ("• Ausweis\n• Foto", "- Ausweis\n- Foto"),
        ("Zoë, İlkay, Łukasz", "Zoë, İlkay, Łukasz"),  # names are never changed
    ],
)
def test_to_gsm_replaces_typography_only(text: str, expected: str) -> None:
    assert to_gsm(text) == expected


def test_to_gsm_turns_a_typical_answer_into_gsm7() -> None:
    answer = "Den Ort „Hogwarts“ kann ich nicht zuordnen – bitte schreiben Sie Ihre Stadt…"
    assert measure(answer).encoding is UCS
    assert measure(to_gsm(answer)).encoding is GSM


@pytest.mark.parametrize(
    ("text", "ends_after"),
    [
        ("Gebühr 30 €. Danach kommt mehr.", ["Gebühr 30 €."]),
        ("Termin am 3. Mai bitte.", []),
        ("Mitbringen z. B. Ausweis. Fertig.", ["Mitbringen z. B. Ausweis."]),
        ("Dauer ca. 5 Wochen bzw. länger. Ja.", ["Dauer ca. 5 Wochen bzw. länger."]),
        ("Geht das? Ja! Gut.", ["Geht das?", "Geht das? Ja!"]),
        ('Er sagte "Nein." Dann ging er.', ['Er sagte "Nein."']),
        ("Zeile eins\nZeile zwei", ["Zeile eins\n"]),
        ("Version 2.0 ist da.", []),
    ],
)
def test_sentence_ends(text: str, ends_after: list[str]) -> None:
    assert [text[:cut] for cut in sentence_ends(text)] == ends_after


def test_a_text_within_the_budget_is_one_part() -> None:
    assert paginate("Kurze Antwort.", 3) == ["Kurze Antwort."]


def test_long_text_is_cut_at_a_sentence_end_with_the_more_keyword() -> None:
    sentences = [f"Satz Nummer {i} erklärt ca. 30 € Gebühr, z. B. für den Ausweis." for i in range(20)]
    parts = paginate(" ".join(sentences), 2)
    assert len(parts) > 2
    for part in parts[:-1]:
        assert part.endswith(MORE_SUFFIX) and segments(part) <= 2
        assert part.removesuffix(MORE_SUFFIX).endswith("Ausweis.")  # never after "ca." or "z. B."
    assert segments(parts[-1]) <= 2 and not parts[-1].endswith(MORE_SUFFIX)
    rejoined = " ".join(part.removesuffix(MORE_SUFFIX) for part in parts)
    assert rejoined == " ".join(sentences)


def test_menu_lines_are_cut_between_lines() -> None:
    text = "Wählen Sie ein Thema:\n" + "\n".join(f"{i} Thema Nummer {i}" for i in range(1, 40))
    parts = paginate(text, 1)
    lines = [line for part in parts for line in part.removesuffix(MORE_SUFFIX).split("\n")]
    assert lines == text.split("\n")  # every line whole, none cut in the middle


def test_a_sentence_longer_than_the_budget_is_cut_between_words() -> None:
    text = " ".join(["Verwaltungsvorgang"] * 40)
    parts = paginate(text, 1)
    assert all(segments(p) == 1 for p in parts)
    assert all(w == "Verwaltungsvorgang" for p in parts for w in p.removesuffix(MORE_SUFFIX).split())


def test_split_long_keeps_bodies_under_twilios_limit() -> None:
    text = "Ein Satz. " * 400
    parts = split_long(text, 1600)
    assert len(parts) == 3 and all(len(p) <= 1600 for p in parts)
    assert " ".join(parts) == text.strip()


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc xyzÄß.!?\n€„ж😀")), min_size=0, max_size=1200),
       st.integers(min_value=1, max_value=4))
def test_paginate_parts_fit_and_lose_nothing(text: str, budget: int) -> None:
    parts = paginate(text, budget)
    assert all(segments(p) <= budget for p in parts)
    assert all(p.endswith(MORE_SUFFIX) for p in parts[:-1])
    kept = "".join(p.removesuffix(MORE_SUFFIX) for p in parts)
    assert "".join(kept.split()) == "".join(text.split())
