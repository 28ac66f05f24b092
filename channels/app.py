"""The two aiohttp applications of the gateway.

* :func:`create_app` - the public app (GATEWAY_PORT, all interfaces): the
  channels' webhooks and routes. It owns the long-lived resources, each in
  its own ``cleanup_ctx``: the Redis client, the HTTP client session (and
  the dialogue client on it), the adapters, and the workers/senders.
* :func:`create_internal_app` - the internal app (INTERNAL_PORT, loopback):
  ``/healthz``, ``/readyz``, ``/metrics``, the routes of the case service
  (notify, channel media: bearer CASE_SERVICE_TOKEN); the staff side mounts here.
  It reads the public app's resources, so it runs beside it.

Every error leaves a public route as one line of JSON, ``{"error": ...}``,
through :func:`error_middleware` - never a traceback, never request data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from prometheus_client import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError

from channels import handoff_watch, media_fetch, notify, redis_client, retention, security
from channels.adapter import AdapterDeps, ChannelAdapter, WebhookRequest
from channels.adapters import enabled_adapters
from channels.dialogue import DialogueClient, Offers
from channels.errors import GatewayError, PayloadTooLarge, describe
from channels.intake import Intake
from channels.keys import Keys
from channels.leases import Job, LeaseKeeper
from channels.messages import Channel
from channels.metrics import Metrics
from channels.outbox import OutboxSender, RateLimiter
from channels.scripts import Scripts
from channels.settings import Settings
from channels.tasks import cancel_until_done
from channels.worker import Worker

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
KEYS = web.AppKey("keys", Keys)
REDIS = web.AppKey("redis", aioredis.Redis)
SCRIPTS = web.AppKey("scripts", Scripts)
METRICS = web.AppKey("metrics", Metrics)
DEPS = web.AppKey("deps", AdapterDeps)
ADAPTERS = web.AppKey("adapters", dict[Channel, ChannelAdapter])
INTAKE = web.AppKey("intake", Intake)
DIALOGUE = web.AppKey("dialogue", DialogueClient)
KEEPER = web.AppKey("keeper", LeaseKeeper)
PUBLIC = web.AppKey("public", web.Application)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# --- errors and logging ----------------------------------------------------------------------


def _json_error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except GatewayError as exc:
        return _json_error(exc.status, exc.reason)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return _json_error(exc.status, exc.reason.lower(), allow)
    except RedisError as exc:
        log.error("redis unavailable on %s %s: %s", request.method, request.path, type(exc).__name__)
        return _json_error(503, "temporarily unavailable, please retry")
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.error("unhandled %s on %s %s", describe(exc), request.method, request.path)
        return _json_error(500, "internal error")


class AccessLogger(AbstractAccessLogger):
    """Method, path (no query string: it could hold a token), status, time. No client IP."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %d %.1f ms", request.method, request.path, response.status, time * 1000)


# --- webhooks --------------------------------------------------------------------------------


def webhook_handler(adapter: ChannelAdapter, intake: Intake, settings: Settings) -> Handler:
    """verify -> parse -> accept (dedupe, persist) -> 2xx; anything failing answers 4xx/5xx first."""

    async def handle(request: web.Request) -> web.StreamResponse:
        limit = settings.gateway_max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise PayloadTooLarge(f"body over {limit} bytes")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge as exc:
            raise PayloadTooLarge(f"body over {limit} bytes") from exc
        webhook = WebhookRequest(
            method=request.method,
            path=request.path,
            public_url=f"{settings.public_base_url}{request.rel_url}",
            headers=request.headers,
            body=body,
            content_type=request.content_type,
            query=dict(request.query),
        )
        await adapter.verify(webhook)
        messages = adapter.parse(webhook)
        for message in messages:
            await intake.accept(message)
        return adapter.acknowledge(messages)

    return handle


# --- resources -------------------------------------------------------------------------------


def worker_id() -> str:
    """Unique per process: the consumer name in the streams and the name in the worker registry."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


async def _redis_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[REDIS].aclose()


async def _http_ctx(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession() as session:
        app[DEPS].set_http(session)
        app[DIALOGUE] = DialogueClient(session, app[SETTINGS], app[METRICS])
        yield
        app[DEPS].set_http(None)


async def _adapters_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    for adapter in app[ADAPTERS].values():
        await adapter.close()


async def _adapter_lifespans_ctx(app: web.Application) -> AsyncIterator[None]:
    """Background work an adapter owns while the app runs (e.g. Telegram's long polling)."""
    async with contextlib.AsyncExitStack() as stack:
        for adapter in app[ADAPTERS].values():
            lifespan = getattr(adapter, "lifespan", None)
            if lifespan is not None:
                await stack.enter_async_context(lifespan(app[INTAKE]))
        yield


async def _workers_ctx(app: web.Application) -> AsyncIterator[None]:
    """Partition workers and outbox senders under one lease keeper (if GATEWAY_RUN_WORKERS)."""
    settings = app[SETTINGS]
    if not settings.gateway_run_workers:
        yield
        return
    consumer = worker_id()
    redis, keys, metrics = app[REDIS], app[KEYS], app[METRICS]
    offers = Offers(redis, keys, settings.gateway_offer_ttl_s, settings.sms_menu_ttl_s)
    worker = Worker(settings, redis, app[SCRIPTS], keys, app[ADAPTERS], app[DIALOGUE], offers, metrics,
                    consumer, app[DEPS].http)
    jobs = worker.jobs()
    jobs.append(retention.job(settings, redis, keys))
    for channel, adapter in app[ADAPTERS].items():
        sender = OutboxSender(adapter, redis, keys, settings, metrics, consumer)
        jobs.append(Job(f"sender {channel.value}", keys.sender_lease(channel), sender.run, balanced=False))
    jobs.append(handoff_watch.job(settings, redis, app[SCRIPTS], keys, app[ADAPTERS]))
    keeper = LeaseKeeper(redis, app[SCRIPTS], keys, consumer, jobs, settings.gateway_lease_ttl_ms, metrics)
    app[KEEPER] = keeper
    task = asyncio.create_task(keeper.run(), name="lease keeper")
    log.info("worker %s: %d partitions, senders for %s", consumer, settings.gateway_partitions,
             ", ".join(c.value for c in app[ADAPTERS]) or "no channel")
    yield
    await cancel_until_done(task)


def create_app(settings: Settings) -> web.Application:
    """The public app; its cleanup contexts own the gateway's resources."""
    app = web.Application(client_max_size=settings.gateway_max_body_bytes, middlewares=[error_middleware])
    redis = redis_client.connect(settings.redis_url)
    keys = Keys(settings.gateway_redis_prefix)
    scripts = Scripts.register(redis)
    metrics = Metrics()
    deps = AdapterDeps(settings, redis, keys, RateLimiter(scripts, keys))
    adapters = enabled_adapters(deps)
    intake = Intake(settings, redis, scripts, keys, adapters, metrics)
    app[SETTINGS], app[KEYS], app[REDIS], app[SCRIPTS] = settings, keys, redis, scripts
    app[METRICS], app[DEPS], app[ADAPTERS], app[INTAKE] = metrics, deps, adapters, intake
    for adapter in adapters.values():
        if adapter.webhook_path:
            app.router.add_post(adapter.webhook_path, webhook_handler(adapter, intake, settings))
        app.router.add_routes(adapter.routes(intake))
    app.cleanup_ctx.extend([_redis_ctx, _http_ctx, _adapters_ctx, _adapter_lifespans_ctx,
                            _workers_ctx])
    security.install(app, https=str(settings.public_base_url).startswith("https://"))
    return app


# --- the internal app ------------------------------------------------------------------------


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _probe(session: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=3)) as reply:
            return reply.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def readyz(request: web.Request) -> web.Response:
    """Ready when Redis answers PING, the Rasa connector its GET route and the action server /health."""
    public = request.app[PUBLIC]
    settings = public[SETTINGS]

    async def redis_ok() -> bool:
        try:
            return bool(await asyncio.wait_for(public[REDIS].ping(), 3))
        except (RedisError, TimeoutError, OSError):
            return False

    redis_ready, rasa_ready, actions_ready = await asyncio.gather(
        redis_ok(), public[DIALOGUE].ready(),
        _probe(public[DEPS].http, f"{settings.action_server_url}/health"))
    checks = {"redis": redis_ready, "rasa": rasa_ready, "action_server": actions_ready}
    body = {name: "ok" if ok else "unavailable" for name, ok in checks.items()}
    return web.json_response(body, status=200 if all(checks.values()) else 503)


async def metrics(request: web.Request) -> web.Response:
    public = request.app[PUBLIC]
    settings, keys, redis, registry = public[SETTINGS], public[KEYS], public[REDIS], public[METRICS]
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for partition in range(settings.gateway_partitions):
                pipe.xlen(keys.inbound(partition))
            for channel in public[ADAPTERS]:
                pipe.xlen(keys.outbox(channel))
            pipe.xlen(keys.dead)
            lengths = await pipe.execute()
        inbound = lengths[: settings.gateway_partitions]
        outbox = dict(zip(public[ADAPTERS], lengths[settings.gateway_partitions:-1], strict=True))
        registry.set_depths(inbound, outbox, lengths[-1])
    except RedisError:
        pass  # the counters are still worth serving; the depths keep their last values
    return web.Response(body=registry.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def create_internal_app(settings: Settings, public: web.Application) -> web.Application:
    """The internal app (loopback): health, readiness, metrics of the gateway ``public``."""
    app = web.Application(middlewares=[error_middleware])
    app[PUBLIC] = public
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    notifier = notify.Notifier(settings, public[REDIS], public[SCRIPTS], public[KEYS], public[ADAPTERS])
    app.router.add_routes(notify.routes(notifier, settings))
    app.router.add_routes(media_fetch.routes(public[ADAPTERS], settings))
    if settings.case_service_token:  # the staff side (backoffice/): case API, console, Open311
        from backoffice.app import setup as setup_staff_side

        setup_staff_side(app, settings, public[REDIS])
    security.install(app)
    return app
