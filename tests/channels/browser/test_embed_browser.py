"""The widget embedded with its one script tag on a page of ANOTHER origin (the district's own website).

A second local aiohttp server serves a host page on a free loopback port (a
different origin from the gateway); it has a strict CSP of its own that
allows the gateway only as the README says. On an origin in
WEBCHAT_ALLOWED_ORIGINS the citizen converses; on an origin that is not
allowed the socket is refused (403 before the upgrade) and the widget says
so instead of promising to send later.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Browser, Page, expect

from tests.channels.browser.conftest import Site, open_chat, say, watch
from tests.channels.conftest import free_port

expect.set_options(timeout=10_000)

HOST_PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Kreisverwaltung</title></head>
<body><main><h1>Willkommen beim Kreis</h1><p>Eine Seite der Kreisverwaltung.</p></main>
<script src="{gateway}/webchat/widget.js" defer></script>
</body></html>
"""


def host_csp(gateway: str) -> str:
    """The host page's own policy: the gateway allowed for script, style and connect (README), no inline."""
    socket = gateway.replace("http://", "ws://", 1)
    return (f"default-src 'self'; script-src {gateway}; style-src {gateway}; "
            f"connect-src {gateway} {socket}; img-src 'self' data: https:")


@dataclass
class Host:
    """A host page on its own loopback port; ``gateway`` is the widget's origin, set once the gateway runs."""

    origin: str
    gateway: str = ""


@pytest.fixture
async def host_site() -> AsyncIterator[Callable[[], Awaitable[Host]]]:
    """Start host pages with the one script tag of the gateway's widget, each on its own origin."""
    runners: list[web.AppRunner] = []

    async def start() -> Host:
        port = free_port()
        host = Host(f"http://127.0.0.1:{port}")

        async def page(request: web.Request) -> web.Response:
            return web.Response(text=HOST_PAGE.format(gateway=host.gateway), content_type="text/html",
                                headers={"Content-Security-Policy": host_csp(host.gateway)})

        app = web.Application()
        app.router.add_get("/", page)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        return host

    yield start
    for runner in runners:
        await runner.cleanup()


async def new_page(browser: Browser) -> Page:
    context = await browser.new_context(locale="de-DE")
    return await context.new_page()


def serious(problems: list[str]) -> list[str]:
    return [p for p in problems if "Content Security Policy" in p or p.startswith("uncaught")]


async def test_embedded_on_an_allowed_origin_converses(
        start_site: Callable[..., Any], host_site: Callable[[], Awaitable[Host]], browser: Browser) -> None:
    host = await host_site()
    site: Site = await start_site(webchat_allowed_origins=[host.origin])
    host.gateway = site.url
    assert host.origin != site.url
    assert site.core is not None
    page = await new_page(browser)
    problems = watch(page)
    await page.goto(host.origin)

    await open_chat(page)
    assert await page.evaluate("() => location.origin") == host.origin
    await say(page, "Wie melde ich mein Auto an?")
    log = page.get_by_role("log")
    await expect(log).to_contain_text("Antwort: Wie melde ich mein Auto an?")
    await log.get_by_role("button", name="Ja").click()
    await expect(log).to_contain_text("Sie haben gewählt: /affirm")
    assert site.core.requests[-1].body["text"] == "/affirm"

    # The accessibility statement is the gateway's page, not a path on the host site.
    statement = page.get_by_role("link", name="Barrierefreiheit")
    await expect(statement).to_have_attribute("href", f"{site.url}/barrierefreiheit.html")
    reply = await page.request.get(f"{site.url}/barrierefreiheit.html")
    assert reply.status == 200 and "Barriere melden" in await reply.text()
    privacy = page.locator(".mkc-privacy").get_by_role("link", name="Datenschutzhinweise")
    await expect(privacy).to_have_attribute("href", f"{site.url}/datenschutz.html")
    assert not serious(problems), problems


async def test_embedded_on_an_origin_that_is_not_allowed_says_so(
        start_site: Callable[..., Any], host_site: Callable[[], Awaitable[Host]], browser: Browser) -> None:
    allowed = await host_site()
    stranger = await host_site()
    site: Site = await start_site(webchat_allowed_origins=[allowed.origin])
    stranger.gateway = site.url
    assert site.core is not None
    page = await new_page(browser)
    problems = watch(page)
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    await page.goto(stranger.origin)

    await open_chat(page)
    notice = page.locator(".mkc-connection")
    await expect(notice).to_have_text(
        "Der Chat ist auf dieser Seite leider nicht freigeschaltet und kann hier keine Nachrichten senden. "
        "Bitte nutzen Sie den Chat auf der Website des Märkischen Kreises.")
    assert await notice.get_attribute("role") == "status"  # read out, not only shown
    await expect(page.get_by_role("textbox")).to_be_disabled()
    await expect(page.get_by_role("button", name="Senden")).to_be_disabled()

    # It stops trying: no socket after the refusal, no "we send it later" promise, nothing reached the core.
    tried = len(sockets)
    assert tried >= 1 and all(url == site.url.replace("http", "ws", 1) + "/webchat/ws" for url in sockets)
    await page.wait_for_timeout(3000)
    assert len(sockets) == tried
    await expect(notice).not_to_contain_text("Keine Verbindung")
    assert site.core.requests == []
    # The language switch translates the notice too.
    await page.get_by_role("button", name="English").click()
    await expect(notice).to_contain_text("the chat is not enabled on this page")
    await expect(page.get_by_role("link", name="Accessibility")).to_have_attribute(
        "href", f"{site.url}/barrierefreiheit.html")
    assert not serious(problems), problems
