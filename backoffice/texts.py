"""What the case service itself sends to citizens: status changes and appointment reminders.

German ("Sie"), English and Leichte Sprache, like ``actions/texts.py``.
"""

from __future__ import annotations

STATUS_LABELS: dict[str, dict[str, str]] = {
    "de": {"received": "eingegangen", "in_progress": "in Bearbeitung",
           "forwarded": "an die zuständige Stelle weitergeleitet",
           "waiting_for_citizen": "wartet auf Ihre Rückmeldung", "done": "erledigt",
           "rejected": "abgelehnt", "cancelled": "storniert", "booked": "gebucht"},
    "en": {"received": "received", "in_progress": "in progress",
           "forwarded": "passed on to the office in charge",
           "waiting_for_citizen": "waiting for your reply", "done": "done", "rejected": "rejected",
           "cancelled": "cancelled", "booked": "booked"},
    "ls": {"received": "ist angekommen", "in_progress": "wir arbeiten daran",
           "forwarded": "ist bei einem anderen Amt. Das Amt ist dafür zuständig",
           "waiting_for_citizen": "wir brauchen eine Antwort von Ihnen", "done": "ist fertig",
           "rejected": "geht leider nicht", "cancelled": "ist abgesagt", "booked": "ist gebucht"},
}

_STATUS = {
    "de": "Neuigkeiten zu Ihrem Anliegen {reference}: {status}.",
    "en": "Update on your request {reference}: {status}.",
    "ls": "Es gibt Neuigkeiten zu Ihrem Anliegen.\nNummer: {reference}\nStand: {status}.",
}
_NOTE = {
    "de": "Nachricht der Verwaltung: {note}",
    "en": "Message from the administration: {note}",
    "ls": "Das schreibt das Amt: {note}",
}
_REMINDER = {
    "de": "Erinnerung: Ihr Termin ist morgen, {day}, um {time} Uhr bei: {office}, {address}. "
          "Vorgangsnummer {reference}. Wenn Sie nicht kommen können, sagen Sie den Termin bitte ab.",
    "en": "Reminder: your appointment is tomorrow, {day}, at {time} at: {office}, {address}. "
          "Reference {reference}. If you cannot come, please cancel the appointment.",
    "ls": "Sie haben morgen einen Termin.\nTag: {day}\nUhrzeit: {time} Uhr\nOrt: {office}, {address}\n"
          "Nummer: {reference}\nSie können nicht kommen? Dann sagen Sie den Termin bitte ab.",
}


def _pick(texts: dict[str, str], language: str | None) -> str:
    return texts.get(language or "de", texts["de"])


def status_label(status: str, language: str | None) -> str:
    labels = STATUS_LABELS.get(language or "de", STATUS_LABELS["de"])
    return labels.get(status, status)


def status_message(reference: str, status: str, note: str | None, language: str | None) -> str:
    text = _pick(_STATUS, language).format(reference=reference, status=status_label(status, language))
    if note:
        text += "\n\n" + _pick(_NOTE, language).format(note=note)
    return text


def reminder_message(reference: str, day: str, time: str, office: str, address: str,
                     language: str | None) -> str:
    return _pick(_REMINDER, language).format(reference=reference, day=day, time=time, office=office,
                                             address=address)
