"""An editor changes an answer in the console; the citizen's web chat shows it within 10 s, without training.

Headless Chromium drives both sides: the console on the gateway's internal port (a copy of nlu_data/
as CONTENT_DIR) and the demo page's web chat, answered by the real Rasa server whose NLG endpoint is
a separate process (``real_core``) on its own copy of the files: the change reaches it only through
the content version the console publishes in Redis, as it would on another machine.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
import yaml
from aiohttp import web
from playwright.async_api import Browser, Page, expect

from backoffice import db
from backoffice.content.store import ContentKeys
from channels.app import create_internal_app
from tests.backoffice.console_support import PASSWORD, add_user
from tests.channels.browser.conftest import open_chat, say
from tests.channels.conftest import REDIS_URL, free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]
TOPIC, RESPONSE = "wunschkennzeichen", "utter_faq/wunschkennzeichen"
QUESTION = "Wie kann ich ein Wunschkennzeichen reservieren?"
TOKEN = "case-service-token-for-the-content-browser-tests"


def german_answer(content: Path) -> str:
    data = yaml.safe_load((content / "topics" / f"{TOPIC}.yml").read_text(encoding="utf-8"))
    return data["responses"][RESPONSE][0]["text"]


@pytest.fixture
async def editor_site(real_core, start_site, tmp_path: Path,
                      monkeypatch) -> AsyncIterator[Callable[..., Any]]:
    """The demo site answered by the real core, plus the internal port with the console."""
    content = tmp_path / "nlu_data"
    shutil.copytree(ROOT / "nlu_data", content)
    database_url = f"sqlite:///{tmp_path}/cases.db"
    runners: list[web.AppRunner] = []

    async def start(four_eyes: bool) -> tuple[str, str, Path]:
        monkeypatch.setenv("CONTENT_DIR", str(content))
        monkeypatch.setenv("CONTENT_FOUR_EYES", "true" if four_eyes else "false")
        monkeypatch.setenv("DATABASE_URL", database_url)
        site = await start_site(real=True, rasa_url=real_core.rasa_url, rasa_token=real_core.token,
                                action_server_url=real_core.action_server_url, case_service_token=TOKEN,
                                gateway_redis_prefix=real_core.redis_prefix)
        assert site.gateway.runner is not None
        internal = web.AppRunner(create_internal_app(site.gateway.settings, site.gateway.runner.app))
        await internal.setup()
        port = free_port()
        await web.TCPSite(internal, "127.0.0.1", port).start()
        runners.append(internal)
        engine = db.create(database_url)
        add_user(engine, "erika", "editor", "Erika Redaktion")
        add_user(engine, "rolf", "reviewer", "Rolf Prüfer")
        engine.dispose()
        return site.url, f"http://127.0.0.1:{port}", content

    yield start
    for runner in runners:
        await runner.cleanup()
    # the real core is shared by the session: withdraw the published text, its NLG goes back to its files
    client = aioredis.Redis.from_url(REDIS_URL)
    keys = ContentKeys(real_core.redis_prefix)
    await client.hdel(keys.files, f"topics/{TOPIC}.yml")
    await client.incr(keys.version)
    await client.aclose()


async def login(page: Page, console: str, username: str) -> None:
    await page.goto(f"{console}/console/login?next=/console/topics")
    await page.get_by_label("Benutzername").fill(username)
    await page.get_by_label("Passwort").fill(PASSWORD)
    await page.get_by_role("button", name="Anmelden").click()
    await expect(page.get_by_role("heading", name="Themen")).to_be_visible()


async def edit_answer(page: Page, console: str, text: str) -> None:
    """Open the topic, preview the new German answer, then save it."""
    await page.goto(f"{console}/console/topics?q=wunschkennzeichen")
    await page.get_by_role("link", name="Wunschkennzeichen reservieren").click()
    await page.get_by_role("link", name="Bearbeiten").first.click()
    await page.get_by_label("Neuer Antworttext").fill(text)
    await page.get_by_role("button", name="Vorschau").click()
    await expect(page.locator("#preview-sms")).to_contain_text("GSM-7")
    await expect(page.locator("#preview-webchat")).to_contain_text(text.splitlines()[0])


async def bot_says(page: Page, text: str, timeout_s: float) -> None:
    bot = page.get_by_role("log").locator(".mkc-msg-bot").filter(has_text=text)
    try:
        await expect(bot.last).to_be_visible(timeout=timeout_s * 1000)
    except AssertionError as exc:
        raise AssertionError(f"the chat shows: {await page.get_by_role('log').inner_text()}") from exc


async def ask_until(chat: Page, marker: str, since: float) -> None:
    """Ask again until the answer with ``marker`` comes; it must within 10 s of ``since``."""
    while True:
        await say(chat, QUESTION)
        try:
            await bot_says(chat, marker, 3)
            break
        except AssertionError:
            if time.monotonic() - since > 10:
                raise
    assert time.monotonic() - since <= 10


async def citizen(browser: Browser, url: str) -> Page:
    page = await (await browser.new_context(locale="de-DE")).new_page()
    await page.goto(url)
    await open_chat(page)
    return page


async def test_an_edited_answer_is_in_the_web_chat_within_10_seconds(editor_site, browser: Browser) -> None:
    url, console, content = await editor_site(four_eyes=False)
    chat = await citizen(browser, url)
    old_first_line = german_answer(content).splitlines()[0]
    await say(chat, QUESTION)
    await bot_says(chat, old_first_line[:50], 60)  # the core is warm and answers from the files

    editor = await (await browser.new_context(locale="de-DE")).new_page()
    await login(editor, console, "erika")
    new = "Wunschkennzeichen reservieren Sie jetzt online (Test der Redaktion, 12,80 €)."
    await edit_answer(editor, console, new)
    await editor.get_by_role("button", name="Speichern (sofort live)").click()
    saved = time.monotonic()
    await expect(editor.get_by_role("status")).to_contain_text("Gespeichert")
    assert german_answer(content) == new + "\n"

    await ask_until(chat, "Test der Redaktion", saved)


async def test_with_four_eyes_the_change_waits_for_the_reviewer(editor_site, browser: Browser) -> None:
    url, console, content = await editor_site(four_eyes=True)
    old = german_answer(content)
    editor = await (await browser.new_context(locale="de-DE")).new_page()
    await login(editor, console, "erika")
    new = "Wunschkennzeichen: geprüfte Antwort nach dem Vier-Augen-Prinzip."
    await edit_answer(editor, console, new)
    await editor.get_by_role("button", name="Zur Prüfung einreichen").click()
    await expect(editor.get_by_role("status")).to_contain_text("Eingereicht")
    assert german_answer(content) == old

    chat = await citizen(browser, url)
    await chat.wait_for_timeout(3000)  # longer than a content poll: nothing may have been published
    await say(chat, QUESTION)
    await bot_says(chat, old.splitlines()[0][:50], 60)
    assert "Vier-Augen" not in await chat.get_by_role("log").inner_text()

    reviewer = await (await browser.new_context(locale="de-DE")).new_page()
    await login(reviewer, console, "rolf")
    await reviewer.get_by_role("link", name="Prüfungen").click()
    await expect(reviewer.get_by_text(new)).to_be_visible()
    await reviewer.get_by_role("button", name="Freigeben (geht live)").click()
    approved = time.monotonic()
    await expect(reviewer.get_by_role("status")).to_contain_text("Freigegeben")
    assert german_answer(content) == new + "\n"
    await ask_until(chat, "Vier-Augen-Prinzip", approved)
