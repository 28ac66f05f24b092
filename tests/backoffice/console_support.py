"""Shared pieces of the console tests: databases (SQLite, PostgreSQL), a fixed clock, a console server,
and a browser-like client that logs in and submits forms with their CSRF token.

The gateway fixtures (real Redis, fake dialogue core, the test channel's fake device) come from
``tests/channels/conftest.py``; ``tests/backoffice/conftest.py`` makes all of them available.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import psycopg
import pytest
from aiohttp import web
from sqlalchemy import Engine

from backoffice import db, migrate
from backoffice.cases import CaseService
from backoffice.console.app import add_console, add_handoff_routes
from backoffice.console.context import Console, ConsoleConfig
from backoffice.console.security import hash_password
from backoffice.db import Database
from backoffice.models import Case, User
from backoffice.notify import GatewayNotifier
from backoffice.office_hours import load as load_hours
from backoffice.settings import Settings
from tests import postgres
from tests.channels import conftest as _gateway

# the gateway's fixtures, so the console tests can run a real gateway beside the console
core, http, make_settings, prefix = _gateway.core, _gateway.http, _gateway.make_settings, _gateway.prefix
rdb, sink, start_gateway, api = _gateway.rdb, _gateway.sink, _gateway.start_gateway, _gateway.api

TOKEN = "case-service-token-for-console-tests"
PASSWORD = "ein-langes-passwort-1"
PG_ADMIN = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class FixedClock:
    """The console's clock, set by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 7, 9, 30, tzinfo=UTC))  # a Monday, 10:30 in Berlin


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:
    created = db.create(f"sqlite:///{tmp_path}/cases.db")
    migrate.upgrade(created)
    yield created
    created.dispose()


@pytest.fixture
def staff_side_database(tmp_path, monkeypatch) -> None:
    """A gateway started with CASE_SERVICE_TOKEN mounts the staff side; its database is the test's own."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/gateway-cases.db")


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    """A fresh PostgreSQL database migrated to head; skipped with a reason when PostgreSQL is down
    (a failure under REQUIRE_POSTGRES, as in CI)."""
    postgres.need(PG_ADMIN)
    name = f"console_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    created = db.create(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")
    try:
        migrate.upgrade(created)
        yield created
    finally:
        created.dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def add_user(engine: Engine, username: str, roles: str = "staff", name: str | None = None,
             units: list[str] | None = None) -> None:
    database = db.Database(engine)
    database.call(lambda s: s.add(User(username=username, display_name=name or username.title(),
                                       password_hash=hash_password(PASSWORD), roles=roles, active=True,
                                       units=units or [], created_at=datetime.now(UTC))))


def add_case(engine: Engine, reference: str, conversation: str, *, status: str = "received",
             created: datetime, last_action: datetime | None = None, language: str = "de",
             routed_id: str = "strassen", kind: str = "maengelmeldung") -> None:
    database = db.Database(engine)
    database.call(lambda s: s.add(Case(
        reference=reference, idempotency_key=f"{conversation}:{reference}", kind=kind,
        status=status, conversation_id=conversation, channel="test", language=language, pin_hash="x",
        routed_kind="department", routed_id=routed_id,
        data={"category": "road_damage"}, description="Schlagloch vor Hausnummer 12",
        created_at=created, updated_at=created, last_staff_action_at=last_action)))


@dataclass
class ConsoleServer:
    url: str
    console: Console
    runner: web.AppRunner


@pytest.fixture
async def start_console(rdb, prefix, engine, clock) -> AsyncIterator[Callable[..., Awaitable[ConsoleServer]]]:
    """The console, the case service and the handoff API as ``python -m backoffice`` serves them."""
    runners: list[web.AppRunner] = []
    notifiers: list[GatewayNotifier] = []

    async def start(notify_url: str = "http://127.0.0.1:9", database: Engine | None = None,
                    extend: Callable[[web.Application, Console], None] | None = None,
                    **config: Any) -> ConsoleServer:
        """``extend``: adds further routes (e.g. the editors' pages) before the app starts."""
        app = web.Application()
        settings = ConsoleConfig(redis_prefix=prefix, case_service_token=TOKEN, notify_url=notify_url,
                                 **config)
        service_settings = Settings(_env_file=None, case_service_token=TOKEN, gateway_notify_url=notify_url,
                                    gateway_redis_prefix=prefix)
        notifier = GatewayNotifier(notify_url, TOKEN)
        notifiers.append(notifier)
        data = Database(database or engine)
        cases = CaseService(data, service_settings, rdb, notifier, clock)
        desks = load_hours()
        add_handoff_routes(app, settings, rdb, desks, clock)
        console = add_console(app, settings, rdb, data, cases, desks, clock)
        if extend is not None:
            extend(app, console)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return ConsoleServer(f"http://127.0.0.1:{runner.addresses[0][1]}", console, runner)

    yield start
    for runner in runners:
        await runner.cleanup()
    for notifier in notifiers:
        await notifier.close()


class Browser:
    """A staff member's browser: its own cookies, follows no redirects, submits forms with CSRF."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def get(self, path: str) -> tuple[int, str]:
        async with self.session.get(self.base + path, allow_redirects=False) as reply:
            text = await reply.text()
            if match := CSRF.search(text):
                self.csrf = match[1]
            return reply.status, text

    async def post(self, path: str, csrf: str | None = None, **form: str) -> tuple[int, str, str]:
        """(status, body, Location) of a form submission; ``csrf`` defaults to the last page's token."""
        data = {"csrf": self.csrf if csrf is None else csrf, **form}
        async with self.session.post(self.base + path, data=data, allow_redirects=False) as reply:
            return reply.status, await reply.text(), reply.headers.get("Location", "")

    async def login(self, username: str, password: str = PASSWORD) -> tuple[int, str, str]:
        await self.get("/console/login")
        result = await self.post("/console/login", username=username, password=password)
        await self.get("/console/")  # the signed-in pages carry the session's CSRF token
        return result

    async def close(self) -> None:
        await self.session.close()


@pytest.fixture
async def browsers() -> AsyncIterator[Callable[[str], Browser]]:
    opened: list[Browser] = []

    def open_browser(base: str) -> Browser:
        browser = Browser(base)
        opened.append(browser)
        return browser

    yield open_browser
    for browser in opened:
        await browser.close()
