"""Language detection and the sticky per-conversation language."""

from __future__ import annotations

import pytest

from actions import language

DETECT = [
    ("Wie beantrage ich einen neuen Personalausweis bei der Stadt?", "de"),
    ("perso abgelaufen, was muss ich machen?", "de"),
    ("How do I register my car in this district?", "en"),
    ("Yeni bir kimlik kartına nasıl başvurabilirim?", "tr"),
    ("كيف أسجل عنواني الجديد في المدينة؟", "ar"),
    ("Как мне получить новое удостоверение личности?", "ru"),
    ("Як отримати нове посвідчення особи?", "uk"),
    ("Jak mogę zarejestrować samochód w tym powiecie?", "pl"),
    ("ok", None),
    ("ja", None),
    ("Danke!", None),
]


@pytest.mark.parametrize(("text", "expected"), DETECT)
def test_detect(text: str, expected: str | None) -> None:
    assert language.detect(text) == expected


def test_ukrainian_without_distinct_letters_is_not_called_russian() -> None:
    # "так" and "дякую" share no Ukrainian-only letter with Russian but are
    # not Russian; a tie must never turn a Ukrainian speaker into a Russian one.
    assert language.detect("дякую, все зрозуміло") == "uk"


def test_hint_wins_for_first_message() -> None:
    state = language.decide("Personalausweis beantragen", current=None, choice=None, hint="uk-UA")
    assert state == language.LanguageState("uk", "en")


def test_short_message_does_not_flip_language() -> None:
    state = language.decide("ok", current="en", choice=None, hint="de")
    assert state.user_language == "en"
    assert state.answer_language == "en"


def test_confident_other_language_switches() -> None:
    state = language.decide(
        "Wie melde ich meinen Hund bei der Gemeinde an?", current="en", choice=None, hint=None
    )
    assert state == language.LanguageState("de", "de")


def test_explicit_leichte_sprache_kept_while_writing_german() -> None:
    state = language.decide(
        "Wie bekomme ich einen neuen Ausweis?", current="de", choice="ls", hint=None
    )
    assert state.answer_language == "ls"


def test_explicit_english_kept_even_for_german_messages() -> None:
    state = language.decide(
        "Wie bekomme ich einen neuen Ausweis?", current="en", choice="en", hint=None
    )
    assert state.answer_language == "en"


@pytest.mark.parametrize(("hint", "code"), [("de-DE", "de"), ("en_GB", "en"), ("uk", "uk"),
                                            ("xx", None), ("", None), (None, None)])
def test_from_hint(hint: str | None, code: str | None) -> None:
    assert language.from_hint(hint) == code


def test_every_supported_language_has_a_notice_or_an_answer_variant() -> None:
    for code in language.LANGUAGES:
        assert code in language.ANSWER_LANGUAGES or code in language.NO_ANSWER_NOTICE


def test_an_email_address_or_link_does_not_change_the_language() -> None:
    from actions.language import detect

    assert detect("max.mustermann@example.org") is None
    assert detect("https://www.maerkischer-kreis.de/service") is None
    assert detect("Meine Adresse ist max@example.org, bitte melden Sie sich") == "de"
