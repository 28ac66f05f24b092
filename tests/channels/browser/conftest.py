"""Browser tests of the web chat: real headless Chromium (Debian's package) driving the real widget.

The gateway runs in the test's event loop on a fixed free port, so a test
can stop it and start it again on the same address (the widget must
reconnect). Chromium is required: without it these tests fail, they are
never skipped (CI installs it, see ``.ci/run``). axe-core comes from npm
(``npm ci`` at the repository root).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright

from channels.settings import Settings
from tests.channels.browser.live_gateway import LiveGateway
from tests.channels.conftest import free_port
from tests.channels.fakes import FakeCore

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SECRET = "webchat-secret-for-the-browser-tests"


def responder(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Text and buttons, like a FAQ answer with a follow-up question."""
    text = body["text"]
    if text.startswith("/"):
        return [{"text": f"Sie haben gewählt: {text}"}]
    if "html" in text:
        return [{"text": '<img src="x" onerror="window.pwned=1"><b>fett</b> '
                         '<a href="javascript:window.pwned=2">klick</a> javascript:window.pwned=3'},
                {"text": "Mehr", "buttons": [{"title": "Link", "url": "javascript:window.pwned=4"}]}]
    if "arabisch" in text:
        return [{"text": "للأسف لا تتوفر الإجابة باللغة العربية بعد، وإليك الإجابة باللغة الإنجليزية."},
                {"text": "You register a vehicle at the road traffic office."}]
    if "lang" in text:
        word = "Kraftfahrzeugzulassungsbescheinigungsteilzweiausfertigung" * 3
        return [{"text": f"{word} https://www.maerkischer-kreis.de/service/dienstleistungen-a-z/detailseite/"
                         "dienstleistung/show/fahrzeug-zulassen?mit=einem&sehr=langen&link=ohne-umbruch"}]
    return [{"text": f"Antwort: {text}\nMehr unter https://www.maerkischer-kreis.de/service."},
            {"text": "Hat Ihnen das geholfen?", "buttons": [{"title": "Ja", "payload": "/affirm"},
                                                           {"title": "Nein", "payload": "/deny"}]}]


@dataclass
class Site:
    gateway: LiveGateway
    core: FakeCore | None

    @property
    def url(self) -> str:
        return self.gateway.url


@pytest.fixture
async def start_site(make_settings: Callable[..., Settings],
                     core: FakeCore) -> AsyncIterator[Callable[..., Any]]:
    """Start the demo site (gateway with web chat) on a free port; FakeCore unless told otherwise."""
    sites: list[Site] = []

    async def start(real: bool = False, **overrides: Any) -> Site:
        port = free_port()
        if not real:
            core.responder = responder
        settings = make_settings(webchat_session_secret=SECRET, public_base_url=f"http://127.0.0.1:{port}",
                                 **overrides)
        site = Site(LiveGateway(settings, port), None if real else core)
        await site.gateway.start()
        sites.append(site)
        return site

    yield start
    for site in sites:
        await site.gateway.stop()


@pytest.fixture
async def site(start_site: Callable[..., Any]) -> Site:
    return await start_site()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)")
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        await instance.close()


def watch(page: Page) -> list[str]:
    """Console errors and uncaught exceptions of the page, as they happen."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    return problems


async def open_chat(page: Page) -> None:
    """Open the chat the way a citizen does: the one button whose name contains "Chat"."""
    await page.get_by_role("button", name="Chat").click()
    await page.get_by_role("textbox").wait_for()


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.1 AA findings of axe-core on ``page`` (its context must bypass CSP:
    axe is injected as a script)."""
    assert AXE.exists(), f"{AXE} is missing: run `npm ci` in the repository root"
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})""")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


async def say(page: Page, text: str) -> None:
    box = page.get_by_role("textbox")
    await box.fill(text)
    await box.press("Enter")
