"""What the console sends to citizens (status changes, staff taking and ending a chat).

German, English and Leichte Sprache (``ls``), like the dialogue core's answers.

Also the German labels staff see for statuses and kinds.
"""

from __future__ import annotations

STATUS_LABELS: dict[str, dict[str, str]] = {
    "de": {"received": "Eingegangen", "in_progress": "In Bearbeitung", "forwarded": "Weitergeleitet",
           "waiting_for_citizen": "Wartet auf Ihre Rückmeldung", "done": "Erledigt",
           "rejected": "Abgelehnt", "cancelled": "Storniert"},
    "en": {"received": "received", "in_progress": "in progress", "forwarded": "forwarded",
           "waiting_for_citizen": "waiting for your reply", "done": "done", "rejected": "rejected",
           "cancelled": "cancelled"},
    "ls": {"received": "Ist angekommen", "in_progress": "Wir arbeiten daran",
           "forwarded": "Ist weiter-geleitet",
           "waiting_for_citizen": "Wir brauchen eine Antwort von Ihnen", "done": "Ist fertig",
           "rejected": "Geht leider nicht", "cancelled": "Ist abgesagt"},
}

STAFF_STATUS_LABELS = {**STATUS_LABELS["de"], "waiting_for_citizen": "Wartet auf Bürger/in"}

KIND_LABELS = {"maengelmeldung": "Mängelmeldung", "sperrmuell_anmelden": "Sperrmüll-Anmeldung",
               "rueckruf": "Rückrufbitte", "termin": "Termin"}

STATUS_UPDATE = {
    "de": "Neuigkeiten zu Ihrem Anliegen {reference}: {status}.",
    "en": "Update on your request {reference}: {status}.",
    "ls": "Es gibt Neuigkeiten zu Ihrem Anliegen.\nNummer: {reference}\nStand: {status}",
}
STATUS_NOTE = {"de": "Nachricht der Verwaltung: {note}", "en": "Message from the administration: {note}",
               "ls": "Das schreibt das Amt: {note}"}

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


def status_message(reference: str, status: str, note: str | None, language: str | None) -> str:
    labels = STATUS_LABELS.get(language or "de", STATUS_LABELS["de"])
    text = pick(STATUS_UPDATE, language).format(reference=reference, status=labels.get(status, status))
    if note:
        text += "\n\n" + pick(STATUS_NOTE, language).format(note=note)
    return text
