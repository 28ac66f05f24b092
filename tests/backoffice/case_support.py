"""Shared pieces of the case service tests: databases (SQLite file, fresh PostgreSQL database),
a fixed clock, and the service served by ``backoffice.app.setup`` on a free loopback port.

Redis fixtures (``rdb``, ``prefix``: real Redis, keys deleted afterwards) come from
``tests/channels/conftest.py``; test modules import the fixtures they use from here.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import psycopg
import pytest
from aiohttp import web

from backoffice.app import setup
from backoffice.cases import CaseService
from backoffice.settings import Settings
from tests import postgres
from tests.channels.conftest import prefix, rdb  # noqa: F401 - fixtures

TOKEN = "case-service-token-for-case-tests"
PG_ADMIN = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/cases.db"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database; skipped with the reason when PostgreSQL is not reachable
    (a failure under REQUIRE_POSTGRES, as in CI)."""
    postgres.need(PG_ADMIN)
    name = f"cases_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """Each test using it runs on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 7, 9, 30, tzinfo=UTC))  # a Monday, 10:30 in Berlin


def make_settings(database_url: str, redis_prefix: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "case_service_token": TOKEN, "database_url": database_url, "gateway_redis_prefix": redis_prefix,
        "gateway_notify_url": "http://127.0.0.1:9", "smtp_host": None, "staff_notify_email": None,
        "open311_api_keys": "", "reminder_interval_s": 3600,
        "rasa_url": "http://127.0.0.1:9",  # no Rasa unless a test gives one (not a `make run` on 5005)
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass
class Served:
    url: str
    service: CaseService
    http: aiohttp.ClientSession

    async def call(self, method: str, path: str, *, token: str | None = TOKEN, **kwargs: Any
                   ) -> tuple[int, Any, bytes]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kwargs.pop("headers", {}))
        async with self.http.request(method, self.url + path, headers=headers, **kwargs) as reply:
            raw = await reply.read()
            try:
                body = await reply.json(content_type=None)
            except ValueError:
                body = None
            return reply.status, body, raw


@pytest.fixture
async def serve(rdb, prefix) -> AsyncIterator[Callable[..., Awaitable[Served]]]:  # noqa: F811
    """Start the case service as ``python -m backoffice`` composes it, on a free port."""
    runners: list[web.AppRunner] = []
    session = aiohttp.ClientSession()

    async def start(database_url: str, clock: Callable[[], datetime] | None = None,
                    **overrides: Any) -> Served:
        app = web.Application()
        settings = make_settings(database_url, prefix, **overrides)
        service = setup(app, settings, rdb, clock or (lambda: datetime.now(UTC)), with_console=False)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return Served(f"http://127.0.0.1:{port}", service, session)

    yield start
    for runner in runners:
        await runner.cleanup()
    await session.close()
