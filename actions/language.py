"""Which language the citizen writes, and which answer variant they get.

Answers exist in German (``de``), English (``en``) and Leichte Sprache
(``ls``). A citizen writing another language gets the English answer after
one sentence in their own language saying so. Detection is per message but
sticky: a short "ok" or a message the detector is unsure about never flips
the conversation's language, and an explicit choice (sprache_wechseln) wins
over detection until the citizen chooses again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

ANSWER_LANGUAGES = ("de", "en", "ls")

LANGUAGES = {
    "de": Language.GERMAN,
    "en": Language.ENGLISH,
    "tr": Language.TURKISH,
    "ar": Language.ARABIC,
    "ru": Language.RUSSIAN,
    "uk": Language.UKRAINIAN,
    "pl": Language.POLISH,
    "fr": Language.FRENCH,
    "es": Language.SPANISH,
    "it": Language.ITALIAN,
    "ro": Language.ROMANIAN,
}

# "No answer in your language yet; here is the English one." in each language.
NO_ANSWER_NOTICE = {
    "tr": "Bu konuda henüz Türkçe bir yanıtım yok; İngilizce yanıtı aşağıda bulabilirsiniz.",
    "ar": "للأسف لا تتوفر الإجابة باللغة العربية بعد، وإليك الإجابة باللغة الإنجليزية.",
    "ru": "К сожалению, ответа на русском языке пока нет. Ниже ответ на английском.",
    "uk": "На жаль, відповіді українською поки що немає. Нижче відповідь англійською.",
    "pl": "Niestety nie mam jeszcze odpowiedzi po polsku. Poniżej odpowiedź po angielsku.",
    "fr": "Désolé, je n'ai pas encore de réponse en français. Voici la réponse en anglais.",
    "es": "Lo siento, todavía no tengo una respuesta en español. Aquí está la respuesta en inglés.",
    "it": "Mi dispiace, non ho ancora una risposta in italiano. Ecco la risposta in inglese.",
    "ro": "Din păcate nu am încă un răspuns în limba română. Mai jos găsiți răspunsul în engleză.",
}

LANGUAGE_NAMES = {
    "de": "Deutsch",
    "en": "English",
    "ls": "Leichte Sprache",
    "tr": "Türkçe",
    "ar": "العربية",
    "ru": "Русский",
    "uk": "Українська",
    "pl": "Polski",
    "fr": "Français",
    "es": "Español",
    "it": "Italiano",
    "ro": "Română",
}

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_UKRAINIAN_ONLY = re.compile(r"[іїєґІЇЄҐ]")
_RUSSIAN_ONLY = re.compile(r"[ыэъёЫЭЪЁ]")
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
# E-mail addresses and links carry no language ("max@example.org" is not English).
_NO_LANGUAGE = re.compile(r"\S+@\S+|https?://\S+|www\.\S+", re.IGNORECASE)

MIN_CONFIDENCE = 0.5
MIN_MARGIN = 0.3  # over the runner-up: English spreads its probability widely
MIN_LETTERS = 12


@cache
def _detector():
    return (
        LanguageDetectorBuilder.from_languages(*LANGUAGES.values())
        .with_preloaded_language_models()
        .build()
    )


def detect(text: str) -> str | None:
    """ISO 639-1 code of the message's language, or None when unsure."""
    text = _NO_LANGUAGE.sub(" ", text)
    if _ARABIC.search(text):
        return "ar"
    if _CYRILLIC.search(text):
        # Never tell a Ukrainian speaker they wrote Russian: letters that only
        # one of the two alphabets has decide; otherwise the detector does,
        # and Ukrainian wins a tie.
        if _UKRAINIAN_ONLY.search(text):
            return "uk"
        if _RUSSIAN_ONLY.search(text):
            return "ru"
        values = {
            c.language.iso_code_639_1.name.lower(): c.value
            for c in _detector().compute_language_confidence_values(text)
        }
        return "ru" if values.get("ru", 0) > values.get("uk", 0) + 0.2 else "uk"
    if len(_LETTERS.findall(text)) < MIN_LETTERS:
        return None
    confidences = _detector().compute_language_confidence_values(text)
    if not confidences:
        return None
    best = confidences[0]
    runner_up = confidences[1].value if len(confidences) > 1 else 0.0
    if best.value < MIN_CONFIDENCE or best.value - runner_up < MIN_MARGIN:
        return None
    return best.language.iso_code_639_1.name.lower()


def from_hint(hint: str | None) -> str | None:
    """'de-DE', 'uk', 'en_GB' -> supported ISO 639-1 code or None."""
    if not hint:
        return None
    code = re.split(r"[-_]", hint.strip().lower())[0]
    return code if code in LANGUAGES else None


@dataclass(frozen=True)
class LanguageState:
    user_language: str
    answer_language: str


def notice(user_language: str | None) -> str | None:
    """One sentence in the citizen's language saying the answer follows in English, if needed."""
    if not user_language or user_language in ANSWER_LANGUAGES:
        return None
    return NO_ANSWER_NOTICE.get(user_language)


def answer_variant(user_language: str, choice: str | None) -> str:
    """The answer variant for a citizen writing ``user_language``."""
    if choice in ANSWER_LANGUAGES:
        return choice
    if user_language in ("de", "en"):
        return user_language
    return "en"


def decide(
    text: str,
    current: str | None,
    choice: str | None,
    hint: str | None,
) -> LanguageState:
    """Language state after this message.

    The channel's hint wins for the first message; later a confident detection
    of another language switches; an explicit choice is kept.
    """
    if current is None:
        user_language = from_hint(hint) or detect(text) or "de"
    else:
        detected = detect(text)
        user_language = detected if detected else current
    if choice == "ls" and user_language != "de":
        choice = None
    return LanguageState(user_language, answer_variant(user_language, choice))


def iso_codes() -> list[str]:
    return [IsoCode639_1.from_str(code).name.lower() for code in LANGUAGES]
