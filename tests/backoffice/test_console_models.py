"""The model page and the publish CLI: roles, the one-run lock, a refused run's figures, no previous model."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

from backoffice import app as staff_app
from backoffice.publish import registry
from backoffice.publish.progress import Outcome, PublishState
from backoffice.publish.regression import decide
from backoffice.settings import Settings
from tests.backoffice.console_support import add_user
from tests.channels.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
SERVICE = {"de_acc": 0.92, "other_acc": 0.80, "oos_rejected": 0.85, "conversations": 1.0}


@pytest.fixture
def staff_settings(tmp_path, prefix, engine) -> Settings:
    return Settings(_env_file=None, database_url=str(engine.url), redis_url=REDIS_URL,
                    gateway_redis_prefix=prefix, rasa_url="http://127.0.0.1:9",
                    model_registry_path=tmp_path / "models.json", publish_work_dir=tmp_path / "work")


@pytest.fixture
async def staff_site(staff_settings, rdb) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    runners: list[web.AppRunner] = []

    async def start() -> str:
        app = web.Application()
        staff_app.setup(app, staff_settings, rdb)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield start
    for runner in runners:
        await runner.cleanup()


async def test_only_editors_see_the_model_page(staff_site, browsers, engine) -> None:
    base = await staff_site()
    add_user(engine, "sachbearbeiter", "staff")
    add_user(engine, "redakteurin", "editor")
    staff = browsers(base)
    await staff.login("sachbearbeiter")
    status, page = await staff.get("/console/models")
    assert status == 403 and "Rolle editor" in page
    assert (await staff.post("/console/models/publish"))[0] == 403
    editor = browsers(base)
    await editor.login("redakteurin")
    status, page = await editor.get("/console/models")
    assert status == 200 and "Trainieren und veröffentlichen" in page
    assert "Vorheriges Modell wiederherstellen" not in page  # there is none
    status, page, _ = await editor.post("/console/models/rollback")
    assert status == 409 and "kein vorheriges Modell" in page


async def test_a_second_start_while_a_run_holds_the_lock_is_refused(staff_site, browsers, engine,
                                                                   staff_settings, rdb, prefix) -> None:
    base = await staff_site()
    add_user(engine, "redakteurin", "editor")
    editor = browsers(base)
    await editor.login("redakteurin")
    await editor.get("/console/models")
    state = PublishState(rdb, prefix)
    async with state.lock():
        status, page, _ = await editor.post("/console/models/publish")
        assert status == 409 and "läuft bereits" in page
        cli = subprocess.run([sys.executable, "-m", "backoffice.publish", "publish"], cwd=ROOT, text=True,
                             capture_output=True, timeout=60, env=_env(staff_settings))
        assert cli.returncode == 2 and "läuft bereits" in cli.stderr
    assert not await state.locked()


async def test_a_refused_run_shows_the_figures_side_by_side_and_the_reason(staff_site, browsers, engine,
                                                                          rdb, prefix) -> None:
    base = await staff_site()
    add_user(engine, "redakteurin", "editor")
    decision = decide({**SERVICE, "oos_rejected": 0.70}, SERVICE, 2.0)
    state = PublishState(rdb, prefix)
    await state.update(running=True, user="redakteurin", started_at="2026-11-30T22:00:00+00:00", epoch=7,
                       epochs=40, round=1)
    editor = browsers(base)
    await editor.login("redakteurin")
    async with editor.session.get(base + "/console/models") as reply:
        page = await reply.text()
        assert reply.headers["Refresh"] == "3"  # progress: the page reloads itself
    assert "Epoche <strong>7 von 40</strong>" in page and 'value="7"' in page
    assert "Trainieren und veröffentlichen</button>" not in page
    await state.update(running=False, outcome=Outcome.REFUSED, reasons=list(decision.reasons),
                       rows=[row.__dict__ for row in decision.rows], finished_at="2026-11-30T22:09:00+00:00")
    status, page = await editor.get("/console/models")
    assert status == 200 and 'role="alert"' in page and "wurde abgelehnt" in page
    assert "<td>85,0 %</td><td>70,0 %</td><td>-15,0 Punkte</td><td><strong>zu stark gesunken" in page
    assert "<td>92,0 %</td><td>92,0 %</td><td>+0,0 Punkte</td><td>in Ordnung" in page
    assert "Fachfremde Fragen abgelehnt: 85,0 % → 70,0 % (−15,0 Punkte, erlaubt sind 2,0)" in page


def _env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "REDIS_URL": settings.redis_url,
            "GATEWAY_REDIS_PREFIX": settings.gateway_redis_prefix, "DATABASE_URL": str(settings.database_url),
            "MODEL_REGISTRY_PATH": str(settings.model_registry_path), "RASA_URL": settings.rasa_url}


def test_cli_rollback_without_a_previous_model_says_so(staff_settings) -> None:
    registry.save(staff_settings.model_registry_path, registry.Registry())
    cli = subprocess.run([sys.executable, "-m", "backoffice.publish", "rollback", "--user", "redakteurin"],
                         cwd=ROOT, text=True, capture_output=True, timeout=60, env=_env(staff_settings))
    assert cli.returncode == 1 and "Es gibt kein vorheriges Modell." in cli.stdout
