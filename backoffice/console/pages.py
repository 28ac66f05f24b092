"""Server-rendered HTML of the console: German, accessible, no JavaScript.

Every value is escaped here (``e``); page functions return complete
documents built on one layout (skip link, landmarks, labelled controls,
tables with header cells, messages with ``role="alert"``/``status``).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from string import Template
from zoneinfo import ZoneInfo

from backoffice.cases import STATUSES, CaseSummary
from backoffice.console.citizen_texts import KIND_LABELS, STAFF_STATUS_LABELS
from backoffice.console.handoff_labels import HandoffLabels
from backoffice.models import Appointment, Attachment, Case, User
from backoffice.timeutil import aware
from channels.handoff import Handoff, Line, State

BERLIN = ZoneInfo("Europe/Berlin")
OVERVIEW_REFRESH_S = 30  # a <meta> refresh: the console has no JavaScript, and CSP does not govern it
CHANNEL_MEDIA = {"telegram": "Telegram", "whatsapp": "WhatsApp"}

LAYOUT = Template("""<!doctype html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$tab_title – Konsole Bürgerassistent</title>
$refresh<link rel="stylesheet" href="/console/static/console.css">
</head>
<body>
<a class="skip" href="#inhalt">Zum Inhalt springen</a>
<header><p class="brand">Bürgerassistent · Konsole</p>$nav</header>
<main id="inhalt" tabindex="-1">
<h1>$title</h1>
$message
$body
</main>
</body>
</html>
""")

CSS_PATH = Path(__file__).with_name("static") / "console.css"


def e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def when(at: datetime | None) -> str:
    """Berlin time; a naive value is UTC (SQLite hands stored times back without offset)."""
    if at is None:
        return ""
    return aware(at).astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")


def csrf_field(csrf: str) -> str:
    return f'<input type="hidden" name="csrf" value="{e(csrf)}">'


def button_form(action: str, label: str, csrf: str, extra: str = "") -> str:
    return (f'<form class="inline" method="post" action="{e(action)}">{csrf_field(csrf)}{extra}'
            f'<button type="submit">{e(label)}</button></form>')


def nav(user: User | None, csrf: str | None) -> str:
    if user is None or csrf is None:
        return ""
    links = ['<li><a href="/console/">Übersicht</a></li>']
    roles = user.roles.split(",")
    if "editor" in roles or "reviewer" in roles:
        links.append('<li><a href="/console/topics">Themen</a></li>')
    if "reviewer" in roles:
        links.append('<li><a href="/console/reviews">Prüfungen</a></li>')
    if "editor" in roles:
        links.append('<li><a href="/console/unanswered">Unbeantwortete Fragen</a></li>')
    if "editor" in roles or "admin" in roles:
        links.append('<li><a href="/console/analytics">Auswertung</a></li>')
    if "admin" in roles:
        links.append('<li><a href="/console/users">Konten</a></li>')
    if "editor" in user.roles.split(","):
        links.append('<li><a href="/console/models">Modell</a></li>')
    return (f'<nav aria-label="Hauptnavigation"><ul>{"".join(links)}</ul></nav>'
            f'<p>Angemeldet als {e(user.display_name)}</p>'
            + button_form("/console/logout", "Abmelden", csrf))


def page(title: str, body: str, user: User | None = None, csrf: str | None = None,
         error: str | None = None, notice: str | None = None, tab_title: str | None = None,
         refresh: tuple[int, str] | None = None) -> str:
    """``tab_title``: the browser tab's title when it differs from the heading (counts);
    ``refresh``: (seconds, URL) for a page that reloads itself (no JavaScript in the console)."""
    message = ""
    if error:
        message = f'<p class="alert" role="alert">{e(error)}</p>'
    elif notice:
        message = f'<p class="ok" role="status">{e(notice)}</p>'
    reload = f'<meta http-equiv="refresh" content="{refresh[0]}; url={e(refresh[1])}">\n' if refresh else ""
    return LAYOUT.substitute(title=e(title), tab_title=e(tab_title or title), refresh=reload,
                             nav=nav(user, csrf), message=message, body=body)


def login(login_csrf: str, username: str = "", next_url: str = "/console/") -> str:
    return f"""<form method="post" action="/console/login">
<input type="hidden" name="csrf" value="{e(login_csrf)}">
<input type="hidden" name="next" value="{e(next_url)}">
<label for="username">Benutzername</label>
<input id="username" name="username" autocomplete="username" required value="{e(username)}">
<label for="password">Passwort</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Anmelden</button>
</form>"""


def _conversation_rows(items: Iterable[Handoff], names: Mapping[str, str], now: datetime,
                       labels: HandoffLabels) -> str:
    rows = []
    for item in items:
        minutes = int((now - item.since).total_seconds() // 60)
        holder = e(names.get(item.staff or "", item.staff or "")) if item.state is State.HELD else "–"
        rows.append(f'<tr><td><a href="/console/conversations/{e(item.conversation)}">Gespräch '
                    f'{e(item.conversation[:8])}</a></td><td>{e(item.channel)}</td><td>{e(labels.topic(item))}'
                    f"</td><td>{e(labels.desk(item))}</td><td>{minutes} min</td><td>{holder}</td></tr>")
    return "".join(rows)


def overview_title(waiting: int, new: int) -> str:
    """The tab title with the counts, so staff see waiting citizens and new cases from another tab."""
    return f"({waiting} wartend, {new} neu) Übersicht" if waiting or new else "Übersicht"


def overview(cases: Sequence[CaseSummary], waiting: Sequence[Handoff], held: Sequence[Handoff],
             names: Mapping[str, str], now: datetime, labels: HandoffLabels,
             auto_refresh: bool = True) -> str:
    """``auto_refresh``: whether the page reloads itself (staff can stop it: WCAG 2.2.1)."""
    head = ('<tr><th scope="col">Gespräch</th><th scope="col">Kanal</th><th scope="col">Thema</th>'
            '<th scope="col">Schalter</th><th scope="col">Seit</th><th scope="col">Bei</th></tr>')
    conversations = (f'<table><caption>Wartende und übernommene Gespräche</caption>{head}'
                     f"{_conversation_rows([*waiting, *held], names, now, labels)}</table>"
                     if waiting or held else "<p>Niemand wartet gerade auf ein Gespräch.</p>")
    case_rows = "".join(
        f'<tr{" class=overdue" if row.overdue else ""}><td><a href="/console/cases/{e(row.reference)}">'
        f"{e(row.reference)}</a>{' <strong class=new>(neu)</strong>' if row.untouched else ''}"
        f"{' <strong>(überfällig)</strong>' if row.overdue else ''}</td>"
        f"<td>{e(KIND_LABELS.get(row.kind, row.kind))}</td><td>{e(STAFF_STATUS_LABELS.get(row.status))}</td>"
        f"<td>{e(row.routed_id)}</td><td>{when(row.created_at)}</td></tr>" for row in cases)
    new = sum(row.untouched for row in cases)
    cases_html = (f'<table><caption>Offene Anliegen ({len(cases)}, davon {new} neu)</caption><tr>'
                  '<th scope="col">Nummer</th><th scope="col">Art</th><th scope="col">Status</th>'
                  '<th scope="col">Zuständig</th>'
                  f'<th scope="col">Eingegangen</th></tr>{case_rows}</table>'
                  if cases else "<p>Keine offenen Anliegen.</p>")
    if auto_refresh:
        refresh = (f"<p>Diese Seite aktualisiert sich alle {OVERVIEW_REFRESH_S} Sekunden. "
                   '<a href="/console/?auto=0">Automatische Aktualisierung anhalten</a> · '
                   '<a href="/console/">Jetzt aktualisieren</a></p>')
    else:
        refresh = ('<p>Automatische Aktualisierung angehalten. <a href="/console/?auto=0">Jetzt aktualisieren'
                   '</a> · <a href="/console/">Automatisch aktualisieren</a></p>')
    return (f'<section aria-labelledby="h-gespraeche"><h2 id="h-gespraeche">Live-Gespräche '
            f'({len(waiting)} wartend)</h2>{conversations}{refresh}</section>'
            f'<section aria-labelledby="h-anliegen"><h2 id="h-anliegen">Anliegen</h2>'
            "<p>„neu“: noch von niemandem bearbeitet (kein Statuswechsel, keine Notiz).</p>"
            f"{cases_html}</section>")


def _attachments(case: Case) -> str:
    """Stored photos as linked thumbnails; a channel's photo not (yet) imported as a sentence why."""
    items = []
    for number, item in enumerate(sorted(case.attachments, key=lambda a: (aware(a.created_at), a.id)), 1):
        items.append(_attachment(case, number, item))
    if not items:
        return ""
    return f'<h2>Fotos</h2><ul class="media">{"".join(items)}</ul>'


# why a channel's photo is not shown (media_import.FINAL); "refused": not a channel's reference
NOT_IMPORTED = {"gone": "ist beim Kanal nicht mehr abrufbar (gelöscht oder abgelaufen).",
                "not_image": "ist kein Foto im Format JPEG, PNG oder WebP und wird hier nicht angezeigt.",
                "too_large": "ist größer als 5 MB und wird hier nicht angezeigt."}


def _channel_name(case: Case, item: Attachment) -> str:
    channel = "telegram" if (item.external_ref or "").startswith("telegram:") else case.channel
    return CHANNEL_MEDIA.get(channel, channel or "unbekannt")


def not_loaded(case: Case, item: Attachment) -> str:
    """The sentence for a channel's photo the gateway could not deliver just now."""
    return (f"Foto aus {_channel_name(case, item)} konnte gerade nicht geladen werden; "
            "bitte später erneut öffnen.")


def _attachment(case: Case, number: int, item: Attachment) -> str:
    if item.data is None:
        if item.import_error is None and item.external_ref:  # opening the page just tried once more
            return f'<li role="status">Foto {number}: {e(not_loaded(case, item))}</li>'
        reason = NOT_IMPORTED.get(item.import_error or "")
        if reason:
            return f"<li>Foto {number} aus {e(_channel_name(case, item))} {reason}</li>"
        return (f"<li>Foto {number}: im Kanal {e(_channel_name(case, item))} gesendet, "
                "hier nicht gespeichert</li>")
    url = f"/console/cases/{e(case.reference)}/media/{e(item.id)}"
    return (f'<li><a href="{url}"><img src="{url}" alt="Foto {number} der Meldung" width="160"></a><br>'
            f'<a href="{url}">Foto {number} öffnen</a> ({e(item.content_type)}, '
            f"{max(1, item.size // 1024)} KB)</li>")


def _appointment(appointment: Appointment | None, office_names: Mapping[str, str]) -> str:
    if appointment is None:
        return ""
    state = "gebucht" if appointment.active else "storniert"
    office = office_names.get(appointment.office, appointment.office)
    end = aware(appointment.end).astimezone(BERLIN).strftime("%H:%M")
    return (f'<h2>Termin</h2><dl class="appointment"><dt>Beginn</dt><dd>{when(appointment.start)} bis '
            f"{end} Uhr</dd><dt>Dienststelle</dt><dd>{e(office)}</dd><dt>Zustand</dt><dd>{state}</dd></dl>")


def case_detail(case: Case, csrf: str, office_names: Mapping[str, str] | None = None) -> str:
    """``office_names``: office id -> name (offices.yml), for the appointment."""
    facts = [("Art", KIND_LABELS.get(case.kind, case.kind)), ("Status", STAFF_STATUS_LABELS.get(case.status)),
             ("Kanal", case.channel), ("Sprache", case.language), ("Zuständig", case.routed_id),
             ("Eingegangen", when(case.created_at)), ("Ort", case.address or case.town),
             ("Beschreibung", case.description), ("Name", case.contact_name),
             ("Telefon", case.contact_phone), ("E-Mail", case.contact_email)]
    dl = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts if v)
    data = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in (case.data or {}).items())
    history = "".join(
        f'<tr{" class=internal" if event.internal else ""}><td>{when(event.at)}</td><td>{e(event.actor)}</td>'
        f"<td>{e(STAFF_STATUS_LABELS.get(event.status or '', ''))}</td><td>{e(event.note)}</td>"
        f"<td>{'intern' if event.internal else 'für Bürger/in sichtbar'}</td></tr>" for event in case.events)
    options = "".join(f'<option value="{s}"{" selected" if s == case.status else ""}>'
                      f"{e(STAFF_STATUS_LABELS[s])}</option>" for s in STATUSES)
    base = f"/console/cases/{e(case.reference)}"
    return f"""<dl>{dl}{data}</dl>
{_appointment(case.appointment, office_names or {})}{_attachments(case)}
<h2>Verlauf</h2>
<table><tr><th scope="col">Zeit</th><th scope="col">Wer</th><th scope="col">Status</th>
<th scope="col">Notiz</th><th scope="col">Sichtbarkeit</th></tr>{history}</table>
<h2>Status ändern</h2>
<p>Die Bürgerin oder der Bürger erhält den neuen Status und die Nachricht über den Kanal der Meldung.</p>
<form method="post" action="{base}/status">{csrf_field(csrf)}
<label for="status">Neuer Status</label><select id="status" name="status">{options}</select>
<label for="note">Nachricht an die Bürgerin oder den Bürger (optional)</label>
<textarea id="note" name="note" rows="3" maxlength="1000"></textarea>
<button type="submit">Status ändern und benachrichtigen</button></form>
<h2>Interne Notiz</h2>
<p>Interne Notizen sieht nur das Personal, nie die Bürgerin oder der Bürger.</p>
<form method="post" action="{base}/notes">{csrf_field(csrf)}
<label for="internal-note">Notiz</label>
<textarea id="internal-note" name="note" rows="3" maxlength="4000" required></textarea>
<button type="submit">Notiz speichern</button></form>"""


def conversation(item: Handoff | None, lines: Sequence[Line], names: Mapping[str, str], me: str,
                 csrf: str, reply_key: str, labels: HandoffLabels) -> str:
    transcript = "".join(
        f'<li><span class="who">{e(_speaker(line, names))}</span> <time datetime="{e(line.at.isoformat())}">'
        f"{when(line.at)}</time><br>{e(line.text)}</li>" for line in lines)
    transcript = transcript or "<li>Noch keine Nachrichten.</li>"
    base = f"/console/conversations/{e(item.conversation if item else '')}"
    if item is None:
        actions = "<p>Dieses Gespräch ist beendet; der digitale Assistent antwortet wieder.</p>"
    elif item.state is State.WAITING:
        actions = button_form(f"{base}/take", "Gespräch übernehmen", csrf)
    elif item.staff == me:
        actions = f"""<form method="post" action="{base}/reply">{csrf_field(csrf)}
<input type="hidden" name="key" value="{e(reply_key)}">
<label for="reply">Antwort</label>
<textarea id="reply" name="text" rows="3" maxlength="2000" required></textarea>
<button type="submit">Senden</button></form>"""
        actions += button_form(f"{base}/release", "An den Bot zurückgeben", csrf)
    else:
        actions = f"<p>Übernommen von {e(names.get(item.staff or '', item.staff))}.</p>"
    state = ("wartet seit " + when(item.since)) if item and item.state is State.WAITING else (
        "übernommen" if item else "beendet")
    channel = f"Kanal {e(item.channel)}, " if item else ""
    about = (f"<p>Thema: {e(labels.topic(item))} · Schalter: {e(labels.desk(item))}</p>" if item else "")
    return (f"<p>{channel}Status: {e(state)}</p>{about}"
            f'<h2>Verlauf</h2><ol class="transcript" aria-live="polite">{transcript}</ol>{actions}'
            f'<p><a href="{base}">Verlauf aktualisieren</a></p>')


def _speaker(line: Line, names: Mapping[str, str]) -> str:
    if line.who == "citizen":
        return "Bürger/in"
    if line.who == "staff":
        return names.get(line.staff or "", line.staff or "Mitarbeiter/in")
    return "System"


def users(accounts: Sequence[User], csrf: str) -> str:
    rows = "".join(
        f"<tr><td>{e(u.username)}</td><td>{e(u.display_name)}</td><td>{e(u.roles)}</td>"
        f"<td>{'aktiv' if u.active else 'gesperrt'}</td><td>"
        + button_form(f"/console/users/{e(u.username)}/active", "Sperren" if u.active else "Entsperren", csrf,
                      f'<input type="hidden" name="active" value="{"0" if u.active else "1"}">')
        + "</td></tr>" for u in accounts)
    return f"""<table><tr><th scope="col">Benutzername</th><th scope="col">Name</th>
<th scope="col">Rollen</th><th scope="col">Zustand</th><th scope="col">Aktion</th></tr>{rows}</table>
<h2>Konto anlegen</h2>
<form method="post" action="/console/users">{csrf_field(csrf)}
<label for="new-username">Benutzername</label><input id="new-username" name="username" required
 pattern="[a-z0-9._-]{{2,80}}" autocomplete="off">
<label for="display">Name</label><input id="display" name="display_name" required maxlength="200">
<label for="roles">Rollen (staff, editor, reviewer, admin; mit Komma getrennt)</label>
<input id="roles" name="roles" required value="staff">
<label for="new-password">Passwort (mindestens 12 Zeichen)</label>
<input id="new-password" name="password" type="password" required minlength="12" autocomplete="new-password">
<button type="submit">Konto anlegen</button></form>"""
