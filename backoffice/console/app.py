"""The console under ``/console/`` and the handoff API, added to an aiohttp app on the internal port.

``setup(app, settings, redis, database, cases)`` is what
``backoffice.app.setup`` calls (the one place where the staff side is
composed with the gateway's internal app); tests call :func:`add_console`
and :func:`add_handoff_routes` with a fixed clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web

from backoffice import office_hours
from backoffice.cases import CaseService
from backoffice.console import (
    analytics_views,
    auth_views,
    case_views,
    conversation_views,
    handoff_api,
    model_views,
    pages,
    topic_views,
    user_views,
)
from backoffice.console.context import Clock, Console, ConsoleConfig, html_handler, utc_now
from backoffice.content.examples import TopicFiles
from backoffice.content.model_check import ModelCheck
from backoffice.content.store import ContentStore
from backoffice.db import Database
from backoffice.office_hours import HandoffHours
from backoffice.publish.pipeline import Publisher
from backoffice.settings import Settings
from backoffice.unanswered import views as unanswered_views
from channels.analytics import Counters
from channels.handoff import Handoffs
from channels.keys import Keys


async def _stylesheet(request: web.Request) -> web.Response:
    return web.Response(text=pages.CSS_PATH.read_text(encoding="utf-8"), content_type="text/css",
                        headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"})


def add_console(app: web.Application, config: ConsoleConfig, redis: aioredis.Redis, database: Database,
                cases: CaseService, desks: HandoffHours, clock: Clock = utc_now,
                publisher: Publisher | None = None) -> Console:
    """``publisher``: the train-and-publish pages (``/console/models``) with it."""
    console = Console(config, database, cases, redis, desks, clock)
    extra: list[web.RouteDef] = []
    if publisher is not None:
        runs = model_views.Runs()
        extra = model_views.routes(console, publisher, runs)
        app.cleanup_ctx.append(runs.lifetime)
    for route in [*auth_views.routes(console), *case_views.routes(console),
                  *conversation_views.routes(console), *user_views.routes(console),
                  *unanswered_views.routes(console, TopicFiles(config.content_dir / "topics"),
                                           config.unanswered_retention_days,
                                           ModelCheck(config.rasa_url, config.rasa_token,
                                                      config.content_conflict_confidence)),
                  *analytics_views.routes(console), *extra]:
        app.router.add_route(route.method, route.path, html_handler(route.handler))
    app.router.add_get("/console/static/console.css", _stylesheet)
    app.router.add_get("/console", _to_console)

    async def http_ctx(_: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:
            console.notify.open(session)
            yield
            console.notify.open(None)

    app.cleanup_ctx.append(http_ctx)
    return console


async def _to_console(request: web.Request) -> web.Response:
    return web.Response(status=308, headers={"Location": "/console/"})


def add_handoff_routes(app: web.Application, config: ConsoleConfig, redis: aioredis.Redis,
                       desks: office_hours.HandoffHours, clock: Clock = utc_now) -> None:
    keys = Keys(config.redis_prefix)
    handoffs = Handoffs(redis, keys, config.handoff_ttl_s)
    counters = Counters(redis, keys, config.analytics_retention_days)
    app.router.add_routes(handoff_api.handoff_routes(handoffs, desks, config.case_service_token, counters,
                                                     clock))


def setup(app: web.Application, settings: Any, redis: aioredis.Redis, database: Database, cases: CaseService,
          clock: Clock = utc_now, content: ContentStore | None = None) -> Console:
    """Console and ``POST /api/v1/handoff`` with the configured office hours (per desk); topic pages
    with ``content``."""
    config = ConsoleConfig.from_settings(settings)
    desks = office_hours.load(catalogue=config.content_dir / "catalogue.yml")
    add_handoff_routes(app, config, redis, desks, clock)
    publisher = Publisher(settings, redis) if isinstance(settings, Settings) else None
    console = add_console(app, config, redis, database, cases, desks, clock, publisher)
    if content is not None:
        add_topic_routes(app, console, content, settings)
    return console


def add_topic_routes(app: web.Application, console: Console, content: ContentStore, settings: Any) -> None:
    """The editors' pages (topics, answer editing, review), see ``topic_views``."""
    editor = topic_views.TopicEditor(console, content, topic_views.EditorConfig.from_settings(settings))
    for route in topic_views.routes(editor):
        app.router.add_route(route.method, route.path, html_handler(route.handler))
