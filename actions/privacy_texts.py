"""Sentences of the data-protection actions (``privacy.py``), per answer variant (de, en, ls).

The general part of each answer is the editors' (``nlu_data/topics/daten_*.yml``);
these sentences carry what only the action knows: counts, dates, reference numbers.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "conversation": {
        "de": "Unsere Unterhaltung: {messages} von Ihnen seit dem {since}. Sie wird {period} "
        "nach Ihrer letzten Nachricht automatisch gelöscht.",
        "en": "Our conversation: {messages} from you since {since}. It is deleted automatically "
        "{period} after your last message.",
        "ls": "Unser Gespräch:\nSie haben {messages} geschrieben.\nDie erste Nachricht war am "
        "{since}.\nNach {period_dative} ohne Nachricht löscht der Chat das Gespräch.",
    },
    "cases": {
        "de": "Ihre Anliegen: {cases}. Persönliche Angaben darin (Name, Kontaktdaten, Beschreibung, "
        "Fotos) werden {period} nach Abschluss anonymisiert.",
        "en": "Your requests: {cases}. Personal details in them (name, contact details, description, "
        "photos) are anonymised {period} after the request is closed.",
        "ls": "Ihre Anträge:\n{cases}\nIhr Name und Ihre Angaben werden {period} nach dem Ende "
        "gelöscht.",
    },
    "no_cases": {
        "de": "Anliegen (Meldungen, Termine, Rückrufe) haben Sie über diesen Chat keine gestellt.",
        "en": "You have not made any requests (reports, appointments, call-backs) through this chat.",
        "ls": "Sie haben in diesem Chat keinen Antrag gestellt.",
    },
    "cases_unavailable": {
        "de": "Ihre Anliegen kann ich gerade nicht abrufen. Bitte fragen Sie später noch einmal.",
        "en": "I cannot look up your requests right now. Please ask again later.",
        "ls": "Ihre Anträge kann ich gerade nicht sehen.\nBitte fragen Sie später noch einmal.",
    },
    "erase_question": {
        "de": "Soll ich jetzt alles löschen?",
        "en": "Shall I delete everything now?",
        "ls": "Soll ich jetzt alles löschen?",
    },
    "erase_yes": {"de": "Ja, alles löschen", "en": "Yes, delete everything", "ls": "Ja, alles löschen"},
    "erase_no": {"de": "Nein, behalten", "en": "No, keep it", "ls": "Nein"},
    "erase_done": {
        "de": "Ihre Daten werden jetzt gelöscht. Wenn Sie wieder schreiben, beginnt eine neue "
        "Unterhaltung.",
        "en": "Your data is being deleted now. If you write again, a new conversation starts.",
        "ls": "Ich lösche jetzt alles.\nSie können danach wieder schreiben.\n"
        "Dann beginnt ein neues Gespräch.",
    },
    "erase_kept": {
        "de": "In Ordnung, ich lösche nichts. Ihre Unterhaltung wird wie beschrieben nach Ablauf der "
        "Frist automatisch gelöscht.",
        "en": "All right, I will not delete anything. Your conversation is deleted automatically "
        "when the period ends, as described.",
        "ls": "Gut. Ich lösche nichts.\nDer Chat löscht Ihr Gespräch später von selbst.",
    },
}

KINDS: dict[str, dict[str, str]] = {
    "maengelmeldung": {"de": "Mängelmeldung", "en": "defect report", "ls": "Meldung"},
    "sperrmuell_anmelden": {"de": "Sperrmüll", "en": "bulky waste", "ls": "Sperr-Müll"},
    "rueckruf": {"de": "Rückruf", "en": "call-back", "ls": "Rückruf"},
    "termin": {"de": "Termin", "en": "appointment", "ls": "Termin"},
}


UNITS: dict[str, dict[str, tuple[str, str]]] = {  # (one, many); ls as de
    "day": {"de": ("Tag", "Tage"), "en": ("day", "days")},
    "day_dative": {"de": ("Tag", "Tagen"), "en": ("day", "days")},
    "message": {"de": ("Nachricht", "Nachrichten"), "en": ("message", "messages")},
}


def count(n: int, unit: str, variant: str) -> str:
    """``1 Tag``, ``30 Tage``: the number with the unit in the right number."""
    one, many = UNITS[unit]["en" if variant == "en" else "de"]
    return f"{n} {one if n == 1 else many}"


def say(key: str, variant: str, **values: object) -> str:
    table = TEXTS[key]
    return table.get(variant, table["de"]).format(**values)


def kind_name(kind: str, variant: str) -> str:
    names = KINDS.get(kind) or {"de": kind}
    return names.get(variant, names["de"])
