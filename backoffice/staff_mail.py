"""E-mail to staff about a new case (when SMTP_HOST and STAFF_NOTIFY_EMAIL are set).

Deliberately without the citizen's data: reference, kind, category and
routing only; the details are in the console. Plain ``smtplib``, called in a
thread by the case service.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from backoffice.routing import Routing
from backoffice.settings import Settings

KIND_LABELS = {"maengelmeldung": "Mängelmeldung", "sperrmuell_anmelden": "Sperrmüll-Anmeldung",
               "rueckruf": "Rückrufbitte", "termin": "Termin"}


def new_case_message(settings: Settings, ref: str, kind: str, routed: Routing,
                     data: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = settings.staff_notify_email or ""
    message["Subject"] = f"Neues Anliegen {ref}: {KIND_LABELS.get(kind, kind)}"
    lines = [f"Vorgangsnummer: {ref}", f"Art: {KIND_LABELS.get(kind, kind)}",
             f"Zuständig: {routed.name}" + (" (weitergeleitet)" if routed.forwarded else "")]
    if data.get("category"):
        lines.append(f"Kategorie: {data['category']}")
    if data.get("topic"):
        lines.append(f"Thema: {data['topic']}")
    lines.append("\nDie Einzelheiten stehen in der Konsole (/console/).")
    message.set_content("\n".join(lines))
    return message


def send_new_case(settings: Settings, ref: str, kind: str, routed: Routing, data: dict[str, Any]) -> None:
    message = new_case_message(settings, ref, kind, routed, data)
    with smtplib.SMTP(settings.smtp_host or "localhost", settings.smtp_port, timeout=15) as smtp:
        smtp.send_message(message)
