"""Console routes of unanswered questions (role editor): the grouped list, assign to a topic, dismiss.

Assigning first asks the model in service where the example would go
(``model_check``): when it confidently names another topic, the editor sees
that and confirms or changes the choice. It then writes the example into the
topic file (one inserted line, ``backoffice.content.examples``) and marks the
group's questions assigned with an audit entry in one transaction; a second
submit of the same group finds no open questions and writes nothing. File
writes are serialised in this process.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy.orm import Session

from backoffice.console import pages, queries
from backoffice.console.context import Console, html, redirect
from backoffice.content.examples import FILE_LANGUAGES, ExampleError, TopicFiles
from backoffice.content.model_check import ModelCheck
from backoffice.models import User
from backoffice.unanswered import grouping, store
from backoffice.unanswered.page import Clash, GroupView, clash_box, unanswered

TITLE = "Unbeantwortete Fragen"
MAX_IDS = 2000
NOTICES = {"assigned": "Zugeordnet. Das Beispiel wirkt nach dem nächsten Training "
                       "(„Trainieren und veröffentlichen“).",
           "unchecked": "Zugeordnet, aber ohne Prüfung durch das aktuelle Modell: Der Assistent war nicht "
                        "erreichbar. Das Beispiel wirkt nach dem nächsten Training.",
           "dismissed": "Verworfen.", "done": "Diese Fragen sind schon erledigt."}


def _ids(raw: object) -> list[int] | None:
    parts = str(raw or "").split(",")
    if not 0 < len(parts) <= MAX_IDS or not all(p.isdigit() and len(p) < 12 for p in parts):
        return None
    return [int(p) for p in parts]


def routes(console: Console, files: TopicFiles, retention_days: int, check: ModelCheck) -> list[web.RouteDef]:
    lock = asyncio.Lock()

    async def render(user: User, csrf: str, error: str | None = None, notice: str | None = None,
                     status: int = 200, clash: Clash | None = None) -> web.Response:
        rows = await console.db(store.open_questions)
        groups = await asyncio.to_thread(grouping.group, rows, lambda row: row.text)
        views = [GroupView.of(g) for g in groups]
        topics = await asyncio.to_thread(files.topics)
        body = unanswered(views, topics, csrf, retention_days)
        if clash is not None:
            body = clash_box(clash, {t.id: t.title for t in topics}, csrf) + body
        return html(pages.page(TITLE, body, user, csrf, error=error, notice=notice), status)

    async def list_page(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request, role="editor")
        return await render(user, session.csrf, notice=NOTICES.get(request.query.get("msg", "")))

    async def assign(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request, role="editor")
        form = await request.post()
        ids, topic = _ids(form.get("ids")), str(form.get("topic", ""))
        language, text = str(form.get("language", "")), str(form.get("example", ""))
        if ids is None or language not in FILE_LANGUAGES or not topic:
            return await render(user, session.csrf, error="Bitte wählen Sie ein Thema und eine Sprache.",
                                status=400)
        confirmed = form.get("confirm") == "1"
        checked = confirmed
        if not confirmed and files.path(topic) is not None:
            found = await check.place(" ".join(text.split()))
            checked = found is not None
            if other := check.clash(found, topic):
                clash = Clash(str(form.get("ids")), topic, language, text, other)
                return await render(user, session.csrf, status=409, clash=clash)
        async with lock:
            if not await console.db(lambda s: store.get_open(s, ids)):
                return redirect("/console/unanswered?msg=done")
            try:
                example = await asyncio.to_thread(files.add_example, topic, language, text)
            except ExampleError as exc:
                return await render(user, session.csrf, error=str(exc), status=409)
            now = console.clock()

            how = " nach Hinweis des Modells bestätigt" if confirmed else "" if checked else \
                " ohne Modellprüfung"

            def work(s: Session) -> None:
                count = store.resolve(s, ids, store.ASSIGNED, topic, user.username, now)
                questions = f"{count} Frage{'' if count == 1 else 'n'}"
                queries.audit(s, user.username, "unanswered_assign",
                              f"{topic}/{language} +„{example}“ ({questions}){how}", now)

            await console.db(work)
        return redirect(f"/console/unanswered?msg={'assigned' if checked else 'unchecked'}")

    async def dismiss(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request, role="editor")
        form = await request.post()
        ids = _ids(form.get("ids"))
        if ids is None:
            return await render(user, session.csrf, error="Keine Fragen ausgewählt.", status=400)
        now = console.clock()

        def work(s: Session) -> int:
            count = store.resolve(s, ids, store.DISMISSED, None, user.username, now)
            if count:
                queries.audit(s, user.username, "unanswered_dismiss", f"{count} Fragen", now)
            return count

        return redirect(f"/console/unanswered?msg={'dismissed' if await console.db(work) else 'done'}")

    return [web.get("/console/unanswered", list_page), web.post("/console/unanswered/assign", assign),
            web.post("/console/unanswered/dismiss", dismiss)]
