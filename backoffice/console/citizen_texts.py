"""What the console tells citizens when staff take or end a live chat, and the labels staff see.

German, English and Leichte Sprache (``ls``), like the dialogue core's answers.
Status change messages come from the case service (``backoffice/texts.py``).
"""

from __future__ import annotations

STAFF_STATUS_LABELS = {"received": "Eingegangen", "in_progress": "In Bearbeitung",
                       "forwarded": "Weitergeleitet", "waiting_for_citizen": "Wartet auf Bürger/in",
                       "done": "Erledigt",
                       "rejected": "Abgelehnt", "cancelled": "Storniert"}

KIND_LABELS = {"maengelmeldung": "Mängelmeldung", "sperrmuell_anmelden": "Sperrmüll-Anmeldung",
               "rueckruf": "Rückrufbitte", "termin": "Termin"}

TAKEN = {
    "de": "Sie schreiben jetzt mit einer Mitarbeiterin oder einem Mitarbeiter des Märkischen Kreises.",
    "en": "You are now chatting with a member of staff of the Märkischer Kreis.",
    "ls": "Jetzt schreibt Ihnen ein Mensch vom Märkischen Kreis.",
}
ENDED_BY_STAFF = {
    "de": "Die Mitarbeiterin oder der Mitarbeiter hat das Gespräch beendet. Sie schreiben jetzt wieder "
          "mit dem digitalen Assistenten.",
    "en": "The member of staff has ended the chat. You are now back with the digital assistant.",
    "ls": "Das Gespräch mit dem Menschen vom Amt ist zu Ende.\nJetzt antwortet wieder der Computer.",
}


def pick(texts: dict[str, str], language: str | None) -> str:
    return texts.get(language or "de", texts["de"])

