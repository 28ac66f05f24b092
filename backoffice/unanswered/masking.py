"""Personal data out of a citizen's message before it is stored: one pure function, ``mask``.

Each kind of data becomes a bracketed placeholder an editor can read
("[Telefon]", "[E-Mail]", ...). The order matters: e-mail addresses and IBANs
first (their digits would otherwise look like phone numbers), then reference
numbers, phone numbers, other long digit runs, street addresses, names.
Recall wins over precision only where data is certain to be personal; words
that merely look like a trigger ("Ich heiße Sie willkommen",
"Straßenlaterne kaputt", "Termin am 12.3.") stay.
"""

from __future__ import annotations

import re

import phonenumbers

EMAIL = "[E-Mail]"
IBAN = "[IBAN]"
REFERENCE = "[Aktenzeichen]"
PHONE = "[Telefon]"
NUMBER = "[Nummer]"
ADDRESS = "[Adresse]"
NAME = "[Name]"

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)
# country code, check digits, then 11..30 letters/digits, optionally in groups of four
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b", re.IGNORECASE)
# backoffice/reference.py: <PREFIX>-<YYYY>-<NNNNNN>-<C>, any separators, any case, check digit or not
_REFERENCE = re.compile(r"\b[A-Z]{2,4}[\s\-./]*20\d{2}[\s\-./]*\d{6}[\s\-./]*\d\b", re.IGNORECASE)
# customer, tax, insurance numbers: nine or more digits (dates are broken up by dots and stay)
_LONG_NUMBER = re.compile(r"(?<!\w)\d(?:[ \-/]?\d){8,}(?!\w)")
_STREET_SUFFIX = (r"(?:stra(?:ß|ss)e|str\b\.?|weg|platz|allee|ring|gasse|damm|ufer|pfad|markt|chaussee"
                  r"|steig|wall)")
_HOUSE_NUMBER = r"\s*\d{1,4}(?:\s?[a-zA-Z])?\b(?!\s*[.:]\d)"
_ROAD_NUMBER = r"(?!(?:kreis|land|bundes|staats)stra(?:ß|ss)e)"  # "Kreisstraße 12" is a road, not a home
_STREET = re.compile(
    # "Hauptstraße 12", "Lindenweg 3a", "hauptstr. 5"
    rf"\b{_ROAD_NUMBER}[A-Za-zÄÖÜäöüß\-]{{2,}}{_STREET_SUFFIX}{_HOUSE_NUMBER}"
    # "Kölner Straße 12", "Am Markt 4", "An der Mühle 7" (a leading word, then a street word of any length)
    rf"|\b(?-i:[A-ZÄÖÜ][a-zäöüß]+\s+(?:der\s+|den\s+|dem\s+|die\s+)?)"
    rf"(?=(?-i:[A-ZÄÖÜ])){_ROAD_NUMBER}[A-Za-zÄÖÜäöüß\-]*{_STREET_SUFFIX}{_HOUSE_NUMBER}",
    re.IGNORECASE,
)
_NAME_TRIGGER = re.compile(r"\b(?:ich\s+hei(?:ß|ss)e|mein\s+name\s+ist|my\s+name\s+is|i\s+am\s+called)\s+",
                           re.IGNORECASE)
_TITLE = re.compile(r"(?:Dr\.|Prof\.|Frau|Herr|Mr\.?|Mrs\.?|Ms\.?)\s+")
_WORD = re.compile(r"[A-Za-zÄÖÜäöüßÀ-ÿ][A-Za-zÄÖÜäöüßÀ-ÿ'\-]*")
# words after "ich heiße" that are not a name ("Ich heiße Sie herzlich willkommen")
_NOT_A_NAME = frozenset({
    "sie", "ihnen", "euch", "dich", "du", "ihr", "alle", "jeden", "jede", "jeder", "es", "das", "nicht",
    "gut", "willkommen", "herzlich", "so", "auch", "wie", "hier", "und", "aber", "oder", "ist", "nur",
    "not", "you", "welcome", "a", "the", "ich", "bin", "wohne", "komme", "habe", "brauche", "möchte",
    "will", "aus", "in", "bitte", "mit", "von", "and", "i", "from", "live",
})


def _iban_valid(candidate: str) -> bool:
    """ISO 13616 mod-97 check: the rearranged number as an integer leaves 1."""
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    digits = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


def _mask_ibans(text: str) -> str:
    return _IBAN.sub(lambda m: IBAN if _iban_valid(m[0]) else m[0], text)


def _mask_phones(text: str) -> str:
    matches = list(phonenumbers.PhoneNumberMatcher(text, "DE"))
    for match in reversed(matches):
        text = text[:match.start] + PHONE + text[match.end:]
    return text


def _name_end(text: str, pos: int) -> int | None:
    """End of the name starting at ``pos``: one to three words, further words only if capitalised."""
    if title := _TITLE.match(text, pos):
        pos = title.end()
    start = pos
    end = None
    for count in range(3):
        word = _WORD.match(text, pos)
        if word is None or word[0].lower() in _NOT_A_NAME:
            break
        if count and not word[0][0].isupper() and (count > 1 or text[start].isupper()):
            break
        end = word.end()
        gap = re.match(r"[ \t]+", text[end:])
        if gap is None:
            break
        pos = end + gap.end()
    return end


def _mask_names(text: str) -> str:
    out, pos = [], 0
    for trigger in _NAME_TRIGGER.finditer(text):
        if trigger.start() < pos or (end := _name_end(text, trigger.end())) is None:
            continue
        out.append(text[pos:trigger.end()] + NAME)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def mask(text: str) -> str:
    """``text`` with e-mail addresses, IBANs, reference numbers, phone numbers, long numbers,
    street addresses and introduced names replaced by placeholders."""
    text = _EMAIL.sub(EMAIL, text)
    text = _mask_ibans(text)
    text = _REFERENCE.sub(REFERENCE, text)
    text = _mask_phones(text)
    text = _LONG_NUMBER.sub(NUMBER, text)
    text = _STREET.sub(ADDRESS, text)
    return _mask_names(text)
