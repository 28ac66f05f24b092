"""A citizen rates an answer in the web chat; an editor sees the vote on the console's analytics page.

Real everything: headless Chromium, the gateway with its internal app (case service and console on
SQLite), the real dialogue core (Rasa server + action server, fixture ``real_core``), real Redis.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Browser, expect

from backoffice import db
from channels.app import create_app, create_internal_app
from tests.backoffice.console_support import PASSWORD, add_user
from tests.channels.browser.conftest import SECRET, axe_violations, open_chat, say, watch
from tests.channels.browser.live_gateway import settled, stop_robustly
from tests.channels.conftest import free_port

pytestmark = pytest.mark.e2e

TOKEN = "case-service-token-for-the-feedback-browser-test"


@pytest.fixture
async def stack(real_core, make_settings, tmp_path, monkeypatch) -> AsyncIterator[dict[str, Any]]:
    """Public gateway on a free port, internal app (console) beside it, both on the real core."""
    database_url = f"sqlite:///{tmp_path}/cases.db"
    monkeypatch.setenv("DATABASE_URL", database_url)
    port = free_port()
    settings = make_settings(webchat_session_secret=SECRET, public_base_url=f"http://127.0.0.1:{port}",
                             rasa_url=real_core.rasa_url, rasa_token=real_core.token,
                             action_server_url=real_core.action_server_url, case_service_token=TOKEN)
    public = create_app(settings)
    internal = create_internal_app(settings, public)
    runners = [web.AppRunner(public, shutdown_timeout=0.5), web.AppRunner(internal, shutdown_timeout=0.5)]
    for runner, at in zip(runners, (port, 0), strict=True):
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", at).start()
    await settled(public)
    engine = db.create(database_url)  # migrated by the internal app's start-up
    add_user(engine, "erika", "editor", "Erika Redakteurin")
    yield {"site": f"http://127.0.0.1:{port}", "console": f"http://127.0.0.1:{runners[1].addresses[0][1]}"}
    engine.dispose()
    for runner in reversed(runners):
        await stop_robustly(runner.cleanup)


async def test_a_yes_in_the_web_chat_appears_on_the_analytics_page(stack, browser: Browser) -> None:
    # axe is injected as a script, so the citizen's page bypasses the CSP (the widget's CSP has its own
    # tests); the console's page below does not, and must show no violation
    citizen = await (await browser.new_context(locale="de-DE", bypass_csp=True)).new_page()
    problems = watch(citizen)
    await citizen.goto(stack["site"])
    await open_chat(citizen)
    await say(citizen, "Kfz Zulassung beantragen")
    rating = citizen.get_by_role("log").locator(".mkc-feedback")
    try:
        await expect(rating).to_have_count(1, timeout=60_000)
    except AssertionError as exc:
        raise AssertionError(f"the chat shows: {await citizen.get_by_role('log').inner_text()}") from exc
    await expect(rating).to_contain_text("War das hilfreich?")
    await expect(rating.get_by_role("button")).to_have_text(["Ja", "Nein"])
    await rating.get_by_role("button", name="Ja").click()
    thanks = citizen.get_by_role("log").locator(".mkc-msg-bot").filter(has_text="Danke für Ihre Rückmeldung")
    await expect(thanks).to_have_count(1, timeout=30_000)
    assert problems == []
    assert await axe_violations(citizen) == []  # the small buttons too

    editor = await (await browser.new_context(locale="de-DE")).new_page()
    console_problems = watch(editor)
    failed: list[str] = []
    editor.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    await editor.goto(f"{stack['console']}/console/login")
    await editor.get_by_label("Benutzername").fill("erika")
    await editor.get_by_label("Passwort").fill(PASSWORD)
    await editor.get_by_role("button", name="Anmelden").click()
    await editor.get_by_role("link", name="Auswertung").click()
    votes = editor.get_by_role("table", name="War das hilfreich? Stimmen pro Thema")
    await expect(votes.get_by_role("row").nth(1).get_by_role("cell")).to_have_text(
        ["kfz_zulassung", "Fahrzeug zulassen", "1", "0", "100.0"])
    await expect(editor.get_by_role("img", name="War das hilfreich?")).to_be_visible()
    topics = editor.get_by_role("table", name="Häufigste Themen (Antworten pro Thema)")
    await expect(topics).to_contain_text("kfz_zulassung")
    # no CSP violation, no script error; the console has no favicon (the browser asks anyway)
    assert [url for url in failed if not url.endswith("/favicon.ico")] == []
    assert [p for p in console_problems if not p.startswith("Failed to load resource")] == []
    checker = await (await browser.new_context(locale="de-DE", bypass_csp=True)).new_page()
    await checker.context.add_cookies(await editor.context.cookies())
    await checker.goto(editor.url)
    await expect(checker.get_by_role("img", name="War das hilfreich?")).to_be_visible()
    assert await axe_violations(checker) == []  # charts, tables, date form
