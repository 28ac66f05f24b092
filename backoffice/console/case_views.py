"""Overview and case pages: open cases (overdue first) and live conversations; status changes and notes.

A status change is visible to the citizen: it is stored as a non-internal
event and sent through the gateway's notify route (key
``case-status:<reference>:<event id>``, so a retry is delivered once).
Internal notes are stored with ``internal=True`` and never leave the console.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from sqlalchemy.orm import Session

from backoffice.console import pages, queries
from backoffice.console.citizen_texts import status_message
from backoffice.console.context import Console, Stop, html, redirect
from backoffice.models import Case

NOTICES = {"status_sent": "Status geändert; die Bürgerin oder der Bürger wird benachrichtigt.",
           "status_unreachable": "Status geändert. Über den Chat ist die Bürgerin oder der Bürger nicht mehr "
                                 "erreichbar; bitte nutzen Sie gegebenenfalls die Kontaktdaten.",
           "note_saved": "Interne Notiz gespeichert.",
           "released": "Das Gespräch ist an den Bot zurückgegeben.",
           "taken": "Sie haben das Gespräch übernommen.", "reply_sent": "Antwort gesendet."}


def notice(request: web.Request) -> str | None:
    return NOTICES.get(request.query.get("msg", ""))


def routes(console: Console) -> list[web.RouteDef]:
    async def overview(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request, role=None)
        if "staff" not in user.roles.split(","):
            body = "<p>Anliegen und Live-Gespräche sind für Konten mit der Rolle staff.</p>"
            return html(pages.page("Übersicht", body, user, session.csrf, notice=notice(request)))
        now = console.clock()
        overdue = timedelta(hours=console.config.overdue_after_h)
        cases = await console.db(lambda s: queries.open_cases(s, list(user.units or []), now, overdue))
        waiting, held = await console.handoffs.waiting(), await console.handoffs.held()
        staff = {item.staff for item in held if item.staff}
        names = await console.db(lambda s: queries.display_names(s, staff))
        return html(pages.page("Übersicht", pages.overview(cases, waiting, held, names, now), user,
                               session.csrf, notice=notice(request)))

    async def load_case(request: web.Request, units: list[str]) -> Case:
        reference = request.match_info["reference"]
        case = await console.db(lambda s: queries.get_case(s, reference, units))
        if case is None:
            raise Stop(html(pages.page("Nicht gefunden", "<p>Dieses Anliegen gibt es nicht, oder es gehört "
                                       "nicht zu Ihren Zuständigkeiten.</p>"), 404))
        return case

    async def case_page(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request)
        case = await load_case(request, list(user.units or []))
        return html(pages.page(f"Anliegen {case.reference}", pages.case_detail(case, session.csrf), user,
                               session.csrf, notice=notice(request)))

    async def change_status(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request)
        form = await request.post()
        status, note = str(form.get("status", "")), str(form.get("note", "")).strip()[:1000]
        reference = request.match_info["reference"]
        if status not in queries.STATUSES:
            case = await load_case(request, list(user.units or []))
            return html(pages.page(f"Anliegen {reference}", pages.case_detail(case, session.csrf), user,
                                   session.csrf, error="Bitte wählen Sie einen gültigen Status."), 400)
        now = console.clock()
        units = list(user.units or [])

        def work(s: Session) -> tuple[str, str, int] | None:
            case = queries.get_case(s, reference, units)
            if case is None:
                return None
            event = queries.change_status(s, case, status, note, user.username, now)
            queries.audit(s, user.username, "case_status", f"{reference} -> {status}", now)
            return case.conversation_id, case.language, event.id

        done = await console.db(work)
        if done is None:
            await load_case(request, units)  # raises the 404 page
        conversation, language, event_id = done
        text = status_message(reference, status, note or None, language)
        key = f"case-status:{reference}:{event_id}"
        sent = await console.notify.send(conversation, key, [{"text": text}])
        if sent == 202:
            await console.db(lambda s: queries.mark_notified(s, event_id))
        outcome = "status_sent" if sent == 202 else "status_unreachable"
        return redirect(f"/console/cases/{reference}?msg={outcome}")

    async def add_note(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request)
        form = await request.post()
        note = str(form.get("note", "")).strip()[:4000]
        reference = request.match_info["reference"]
        units = list(user.units or [])
        case = await load_case(request, units)
        if not note:
            return html(pages.page(f"Anliegen {reference}", pages.case_detail(case, session.csrf), user,
                                   session.csrf, error="Die Notiz ist leer."), 400)
        now = console.clock()

        def work(s: Session) -> None:
            current = queries.get_case(s, reference, units)
            if current is not None:
                queries.add_note(s, current, note, user.username, now)
                queries.audit(s, user.username, "case_note", reference, now)

        await console.db(work)
        return redirect(f"/console/cases/{reference}?msg=note_saved")

    return [web.get("/console/", overview), web.get("/console/cases/{reference}", case_page),
            web.post("/console/cases/{reference}/status", change_status),
            web.post("/console/cases/{reference}/notes", add_note)]
