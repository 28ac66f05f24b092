"""Overview and case pages: open cases (overdue first) and live conversations; status changes and notes.

Cases are read and changed through the case service (``backoffice/cases.py``):
a status change is stored as a citizen-visible event and sent to the
citizen through the gateway's notify route (the service records whether it
could be delivered); an internal note is stored with ``internal=True`` and
never leaves the console. The console adds the audit entry (reference and
status only, never the note).
"""

from __future__ import annotations

from aiohttp import web

from backoffice import calendar, media_import
from backoffice.cases import STATUSES, CaseError
from backoffice.console import pages, queries
from backoffice.console.context import Console, Stop, html, redirect
from backoffice.models import Case, User
from backoffice.notify import Outcome

NOTICES = {"status_sent": "Status geändert; die Bürgerin oder der Bürger wird benachrichtigt.",
           "status_unreachable": "Status geändert. Über den Chat ist die Bürgerin oder der Bürger nicht mehr "
                                 "erreichbar; bitte nutzen Sie gegebenenfalls die Kontaktdaten.",
           "note_saved": "Interne Notiz gespeichert.",
           "released": "Das Gespräch ist an den Bot zurückgegeben.",
           "taken": "Sie haben das Gespräch übernommen.", "reply_sent": "Antwort gesendet."}


def notice(request: web.Request) -> str | None:
    return NOTICES.get(request.query.get("msg", ""))


def routes(console: Console) -> list[web.RouteDef]:
    office_names = {office.id: office.name for office in calendar.load().values()}

    def detail(case: Case, csrf: str) -> str:
        return pages.case_detail(case, csrf, office_names)

    async def overview(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request, role=None)
        if "staff" not in user.roles.split(","):
            body = "<p>Anliegen und Live-Gespräche sind für Konten mit der Rolle staff.</p>"
            return html(pages.page("Übersicht", body, user, session.csrf, notice=notice(request)))
        cases = await console.cases.list_cases(units=list(user.units or []))
        waiting, held = await console.handoffs.waiting(), await console.handoffs.held()
        staff = {item.staff for item in held if item.staff}
        names = await console.db(lambda s: queries.display_names(s, staff))
        auto = request.query.get("auto") != "0"
        body = pages.overview(cases, waiting, held, names, console.clock(), console.handoff_labels(), auto)
        tab = pages.overview_title(len(waiting), sum(row.untouched for row in cases))
        refresh = (pages.OVERVIEW_REFRESH_S, "/console/") if auto else None
        return html(pages.page("Übersicht", body, user, session.csrf, notice=notice(request), tab_title=tab,
                               refresh=refresh))

    async def load_case(request: web.Request, user: User) -> Case:
        """The case, if the user's units (none = all) include it; else the 404 page."""
        case = await console.cases.get(request.match_info["reference"])
        if case is None or (user.units and case.routed_id not in user.units):
            raise Stop(html(pages.page("Nicht gefunden", "<p>Dieses Anliegen gibt es nicht, oder es gehört "
                                       "nicht zu Ihren Zuständigkeiten.</p>", user), 404))
        return case

    async def case_page(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request)
        case = await console.cases.with_media(await load_case(request, user))
        return html(pages.page(f"Anliegen {case.reference}", detail(case, session.csrf), user,
                               session.csrf, notice=notice(request)))

    async def case_media(request: web.Request) -> web.StreamResponse:
        """A stored photo of the case, only for staff who may see the case (same 404 otherwise).

        Served inline with the type sniffed at upload or import and ``nosniff``, so
        the browser never reinterprets citizen bytes as a page or script. A channel's
        photo not imported yet is fetched now; 503 while that still fails.
        """
        user, _ = await console.require(request)
        case = await console.cases.with_media(await load_case(request, user))
        found = next((item for item in case.attachments if item.id == request.match_info["id"]), None)
        if found is not None and media_import.is_pending(found):  # the gateway is still unreachable
            later = f"<p>{pages.e(pages.not_loaded(case, found))}</p>"
            raise Stop(html(pages.page("Foto nicht geladen", later, user), 503))
        if found is None or found.data is None:
            missing = "<p>Dieses Foto gibt es zu diesem Anliegen nicht.</p>"
            raise Stop(html(pages.page("Nicht gefunden", missing, user), 404))
        return web.Response(body=found.data, content_type=found.content_type,
                            headers={"Content-Disposition": f'inline; filename="{found.id}"',
                                     "X-Content-Type-Options": "nosniff"})

    async def change_status(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request)
        case = await load_case(request, user)
        form = await request.post()
        status, note = str(form.get("status", "")), str(form.get("note", "")).strip()[:1000]
        if status not in STATUSES:
            return html(pages.page(f"Anliegen {case.reference}", detail(case, session.csrf), user,
                                   session.csrf, error="Bitte wählen Sie einen gültigen Status."), 400)
        try:
            change = await console.cases.change_status(case.reference, status, note or None, user.username)
        except CaseError as exc:
            raise Stop(html(pages.page("Nicht gefunden", f"<p>{pages.e(exc)}</p>", user), 404)) from exc
        await console.audit(user.username, "case_status", f"{case.reference} -> {status}")
        outcome = "status_sent" if change.outcome is Outcome.QUEUED else "status_unreachable"
        return redirect(f"/console/cases/{case.reference}?msg={outcome}")

    async def add_note(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request)
        case = await load_case(request, user)
        form = await request.post()
        note = str(form.get("note", "")).strip()[:4000]
        if not note:
            return html(pages.page(f"Anliegen {case.reference}", detail(case, session.csrf), user,
                                   session.csrf, error="Die Notiz ist leer."), 400)
        await console.cases.add_note(case.reference, note, user.username)
        await console.audit(user.username, "case_note", case.reference)
        return redirect(f"/console/cases/{case.reference}?msg=note_saved")

    return [web.get("/console/", overview), web.get("/console/cases/{reference}", case_page),
            web.get("/console/cases/{reference}/media/{id}", case_media),
            web.post("/console/cases/{reference}/status", change_status),
            web.post("/console/cases/{reference}/notes", add_note)]
