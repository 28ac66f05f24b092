"""Composition of the staff side: ``setup(app, settings, redis)`` adds its routes and lifetimes.

Called once by ``channels/app.py:create_internal_app`` (the gateway's
internal port) and by ``python -m backoffice`` (standalone). Start-up runs
``alembic upgrade head``; the housekeeping task expires unclaimed uploads
and old unanswered questions, sends appointment reminders and anonymises
cases past retention (``privacy.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import redis.asyncio as aioredis
from aiohttp import web

from backoffice import api, media, migrate, open311
from backoffice.appointments import Appointments
from backoffice.cases import CaseService
from backoffice.content import nlg
from backoffice.content.store import ContentStore
from backoffice.db import Database
from backoffice.notify import GatewayNotifier
from backoffice.privacy import Retention
from backoffice.settings import Settings, load
from backoffice.timeutil import BERLIN, Clock, utc_now
from backoffice.unanswered import api as unanswered_api
from backoffice.unanswered import store as unanswered_store

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("backoffice_settings", Settings)
DATABASE = web.AppKey("backoffice_db", Database)
CASES = web.AppKey("backoffice_cases", CaseService)
CONTENT = web.AppKey("backoffice_content", ContentStore)


APPOINTMENTS = web.AppKey("backoffice_appointments", Appointments)


async def housekeeping_once(service: CaseService, appointments: Appointments,
                            retention: Retention | None = None) -> None:
    """Expire unclaimed uploads and old unanswered questions, send due appointment reminders,
    import channel photos left pending, anonymise cases past retention."""
    sent = await appointments.send_reminders()
    if sent:
        log.info("sent %d appointment reminders", sent)
    imported = await service.media.import_pending()
    if imported:
        log.info("imported the pending photos of %d cases", imported)
    now = service.clock()
    ttl = timedelta(hours=service.settings.media_ttl_h)
    expired = await service.db.run(lambda s: media.expire_unattached(s, now, ttl))
    if expired:
        log.info("expired %d unattached uploads", expired)
    today, keep = now.astimezone(BERLIN).date(), service.settings.unanswered_retention_days
    deleted = await service.db.run(lambda s: unanswered_store.expire(s, today, keep))
    if deleted:
        log.info("deleted %d unanswered questions older than %d days", deleted, keep)
    if retention is not None:
        await retention.run_once()


async def _housekeeping(service: CaseService, appointments: Appointments, retention: Retention) -> None:
    while True:
        try:
            await housekeeping_once(service, appointments, retention)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # keep running; the next round retries
            log.error("housekeeping failed: %s", type(exc).__name__)
        await asyncio.sleep(service.settings.reminder_interval_s)


# Settings the gateway and the staff side share: the gateway's values win when it composes both.
SHARED = ("case_service_token", "database_url", "gateway_redis_prefix", "redis_url", "handoff_max_wait_s",
          "sms_segment_budget",
          "analytics_retention_days",
          "rasa_token")


def own_settings(given: object | None) -> Settings:
    """The staff side's settings; from the environment, overlaid with a gateway settings object's values."""
    if isinstance(given, Settings):
        return given
    settings = load()
    if given is None:
        return settings
    update = {name: getattr(given, name) for name in SHARED if getattr(given, name, None) is not None}
    if getattr(given, "rasa_instances", None):
        update["rasa_urls"] = ",".join(str(u) for u in given.rasa_instances)
    host, port = getattr(given, "internal_host", None), getattr(given, "internal_port", None)
    if "gateway_notify_url" not in settings.model_fields_set and host and port:
        update["gateway_notify_url"] = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}"
    return settings.model_copy(update=update)


def setup(app: web.Application, settings: object | None, redis: aioredis.Redis,
          clock: Clock = utc_now, with_console: bool = True) -> CaseService:
    """Add the case service (API, Open311) and the console to ``app``.

    ``settings``: the staff side's own, or the gateway's (its shared values are
    taken over), or None for the environment.
    """
    settings = own_settings(settings)
    db = Database.from_url(settings.database_url)
    notifier = GatewayNotifier(settings.gateway_notify_url, settings.token)
    service = CaseService(db, settings, redis, notifier, clock)
    appointments = Appointments(service, redis)
    app[SETTINGS], app[DATABASE], app[CASES], app[APPOINTMENTS] = settings, db, service, appointments
    app.router.add_routes(api.routes(service, appointments, settings.token))
    app.router.add_routes(open311.routes(service))
    app.router.add_routes(unanswered_api.routes(service, settings.token))
    content = ContentStore.from_settings(settings, redis)
    app[CONTENT] = content
    nlg.setup(app, content, settings.content_poll_s, settings.token, clock)
    if with_console:
        from backoffice.console import app as console_app  # the console is built on this service

        console_app.setup(app, settings, redis, db, service, clock, content)

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        await asyncio.to_thread(migrate.upgrade, db.engine)
        log.info("case service: schema up to date on %s", db.engine.url.get_backend_name())
        task = asyncio.create_task(_housekeeping(service, appointments, Retention(service, redis)),
                                   name="backoffice housekeeping")
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await service.drain()
        await notifier.close()
        db.dispose()

    app.cleanup_ctx.append(lifetime)
    return service
