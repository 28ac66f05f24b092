"""Train and publish in the console with a deliberately harmful change, which is refused; then roll back.

Real headless Chromium on the staff side's app as the gateway composes it
(console, publisher, SQLite, Redis), two real Rasa servers (``rasa_pair``),
and the real pipeline: ``scripts/eval_nlu.py`` trains on the committed split
of a copy of the topic files in which the examples of five topics were moved
into others (tests/publish/fixtures.py). Training uses one epoch per component
(the same pipeline and decision, faster); the model in service was measured
with the same pipeline file on the unchanged topics, so the comparison is fair.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from playwright.async_api import Page
from sqlalchemy import create_engine

from backoffice import app as staff_app
from backoffice.publish import registry
from backoffice.settings import Settings as StaffSettings
from tests.backoffice.console_support import PASSWORD, add_user
from tests.channels.conftest import REDIS_URL
from tests.publish.fixtures import fast_config, harmful_topics

# Trainings and evaluations: minutes on a loaded machine.
pytestmark = pytest.mark.timeout(1500)

ROOT = Path(__file__).resolve().parents[3]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
RUN_TIMEOUT_S = 900  # a first run trains two models; later runs reuse them (cached per input hash)


def measured_figures(config: Path, work: Path) -> dict[str, float]:
    """The unchanged topics' figures with ``config`` (its model is cached per input hash)."""
    out = work / "baseline.json"
    command = [str(RASA_PYTHON), "scripts/eval_nlu.py", "--config", str(config), "--work", str(work / "eval"),
               "--figures-out", str(out)]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.loads(out.read_text(encoding="utf-8"))["figures"]


async def wait_for_result(page: Page, url: str) -> set[str]:
    """Reload until the run is over; returns the progress lines seen on the way."""
    seen: set[str] = set()
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        await page.goto(url)
        status = page.locator("div.progress")
        if await status.count():
            seen.add(" ".join((await status.inner_text()).split()))
        elif await page.locator("#h-ergebnis").count():
            return seen
        await page.wait_for_timeout(1000)
    raise TimeoutError("the run did not finish")


async def test_harmful_change_is_refused_with_the_figures_and_rollback_restores(
        rasa_pair, browser, prefix, http, tmp_path) -> None:
    config = fast_config(tmp_path / "inputs")
    baseline = {**measured_figures(config, tmp_path / "baseline"), "conversations": 1.0}
    settings = StaffSettings(
        _env_file=None, database_url=f"sqlite:///{tmp_path / 'cases.db'}", redis_url=REDIS_URL,
        gateway_redis_prefix=prefix, rasa_urls=",".join(rasa_pair.urls), rasa_token=rasa_pair.token,
        model_registry_path=tmp_path / "models.json", publish_work_dir=tmp_path / "work",
        publish_models_dir=tmp_path / "models", publish_config=config,
        publish_topics_dir=harmful_topics(tmp_path / "inputs"))
    reg = registry.Registry()
    reg.publish(registry.ModelEntry(rasa_pair.candidate.name, str(rasa_pair.candidate), {}, "vorher",
                                    "2026-11-29T09:00:00+00:00"))
    reg.publish(registry.ModelEntry(rasa_pair.model.name, str(rasa_pair.model), baseline, "redakteurin",
                                    "2026-11-30T09:00:00+00:00"))
    registry.save(settings.model_registry_path, reg)

    redis = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)  # as the gateway opens it
    app = web.Application()
    staff_app.setup(app, settings, redis)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    engine = create_engine(settings.database_url)
    try:
        add_user(engine, "redakteurin", roles="editor", name="Erika Redakteurin")
        page = await browser.new_page()
        await page.goto(f"{base}/console/login?next=/console/models")
        await page.get_by_label("Benutzername").fill("redakteurin")
        await page.get_by_label("Passwort").fill(PASSWORD)
        await page.get_by_role("button", name="Anmelden").click()
        await page.get_by_role("heading", name="Modell trainieren und veröffentlichen").wait_for()
        assert await page.get_by_role("link", name="Modell").count() == 1

        async with page.expect_navigation():  # the form's POST and redirect, before our own reloads
            await page.get_by_role("button", name="Trainieren und veröffentlichen").click()
        seen = await wait_for_result(page, f"{base}/console/models")
        assert any("Prüfmodell wird trainiert" in line and "Epoche" in line for line in seen) or any(
            "Sprachverständnis wird geprüft" in line for line in seen), seen

        alert = page.get_by_role("alert")
        assert "wurde abgelehnt" in await alert.inner_text()
        table = page.get_by_role("table", name="Kennzahlen im Vergleich")
        text = await table.inner_text()
        assert "Treffsicherheit andere Sprachen" in text and "zu stark gesunken" in text
        assert "Punkte, erlaubt sind 2,0" in await page.locator("#h-ergebnis + p + ul").inner_text()
        after = registry.load(settings.model_registry_path)
        assert after.in_service.name == rasa_pair.model.name  # nothing went into service
        assert not any(settings.publish_models_dir.glob("*.tar.gz"))  # refused before the full training

        async with page.expect_navigation():
            await page.get_by_role("button", name="Vorheriges Modell wiederherstellen").click()
        await wait_for_result(page, f"{base}/console/models")
        restored = await page.locator("#h-ergebnis + p").inner_text()
        assert restored == "Das vorherige Modell ist wieder in Betrieb."
        after = registry.load(settings.model_registry_path)
        assert after.in_service.name == rasa_pair.candidate.name
        assert after.previous.name == rasa_pair.model.name
        for url in rasa_pair.urls:
            async with http.get(f"{url}/status", params={"token": rasa_pair.token}) as reply:
                assert Path((await reply.json())["model_file"]).name == rasa_pair.candidate.name
        history = page.get_by_role("table", name="Verlauf")
        assert "zurückgesetzt" in await history.inner_text() and "abgelehnt" in await history.inner_text()
    finally:
        await runner.cleanup()
        engine.dispose()
        await redis.aclose()
