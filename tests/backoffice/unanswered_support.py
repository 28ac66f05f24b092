"""The composed staff side (``backoffice.app.setup`` with console) on a free port, with its own copy
of the topic files, for the unanswered-questions tests (API, console, browser)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from backoffice import db
from backoffice.app import setup
from backoffice.models import AuditEntry, UnansweredQuestion
from tests.backoffice.case_support import TOKEN, make_settings

TOPICS = Path(__file__).resolve().parents[2] / "nlu_data" / "topics"


class Staff:
    def __init__(self, app: web.Application, url: str, content: Path, url_of_db: str) -> None:
        self.app, self.url, self.content = app, url, content
        self.engine = db.create(url_of_db)
        self.http = aiohttp.ClientSession()

    async def report(self, body: dict[str, Any], token: str | None = TOKEN) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.post(f"{self.url}/api/v1/unanswered", json=body, headers=headers) as reply:
            return reply.status, await reply.json(content_type=None)

    def rows(self) -> list[UnansweredQuestion]:
        return db.Database(self.engine).call(
            lambda s: list(s.scalars(select(UnansweredQuestion).order_by(UnansweredQuestion.id))))

    def audit(self) -> list[AuditEntry]:
        return db.Database(self.engine).call(
            lambda s: [e for e in s.scalars(select(AuditEntry)) if e.action.startswith("unanswered")])


@pytest.fixture
async def staff_side(rdb, prefix, clock, tmp_path) -> AsyncIterator[Callable[[str], Awaitable[Staff]]]:
    started: list[tuple[web.AppRunner, Staff]] = []

    async def start(url: str, **settings: Any) -> Staff:
        root = tmp_path / "nlu_data"
        shutil.copytree(TOPICS.parent, root)
        content = root / "topics"
        app = web.Application()
        setup(app, make_settings(url, prefix, content_dir=root, **settings), rdb, clock)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        staff = Staff(app, f"http://127.0.0.1:{port}", content, url)
        started.append((runner, staff))
        return staff

    yield start
    for runner, staff in started:
        await staff.http.close()
        staff.engine.dispose()
        await runner.cleanup()
