"""Train and publish, roll back (role editor): the console front end of ``backoffice/publish``.

The run goes on in the background of this process (a task kept by
:class:`Runs` and cancelled at shutdown); its progress is read from Redis,
so a run started elsewhere (the CLI, another console process) shows too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from backoffice.console import model_pages, pages
from backoffice.console.context import Console, html, redirect
from backoffice.publish.pipeline import Publisher
from backoffice.publish.progress import Busy

ROLE = "editor"
REFRESH_S = 3  # while a run is going on, the page reloads itself (no JavaScript in the console)
BUSY = "Es läuft bereits ein Training oder eine Rücksetzung. Bitte warten Sie, bis es beendet ist."
NO_PREVIOUS = "Es gibt kein vorheriges Modell, zu dem zurückgekehrt werden kann."


class Runs:
    """The runs started from this process; cancelled when the app stops."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[object]] = set()

    def keep(self, task: asyncio.Task[object]) -> None:
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def lifetime(self, _: web.Application) -> AsyncIterator[None]:
        yield
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def routes(console: Console, publisher: Publisher, runs: Runs) -> list[web.RouteDef]:
    async def show(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
        user, session = await console.require(request, role=ROLE)
        progress = await publisher.state.read()
        body = model_pages.models_page(progress, publisher.registry(), session.csrf)
        response = html(pages.page("Modell trainieren und veröffentlichen", body, user, session.csrf,
                                   error=error), status)
        if progress.running:
            response.headers["Refresh"] = str(REFRESH_S)
        return response

    async def start(request: web.Request, action: str) -> web.StreamResponse:
        user, _ = await console.require(request, role=ROLE)
        try:
            runs.keep(await publisher.start(action, user.username))
        except Busy:
            return await show(request, BUSY, 409)
        await console.audit(user.username, f"model_{action}", None)
        return redirect("/console/models")

    async def publish(request: web.Request) -> web.StreamResponse:
        return await start(request, "publish")

    async def rollback(request: web.Request) -> web.StreamResponse:
        if publisher.registry().previous is None:
            return await show(request, NO_PREVIOUS, 409)
        return await start(request, "rollback")

    return [web.get("/console/models", show), web.post("/console/models/publish", publish),
            web.post("/console/models/rollback", rollback)]
