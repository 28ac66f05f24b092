"""The staff console in real headless Chromium: signing in and the main pages raise no
Content-Security-Policy violation and no console error (the console has no script and no inline
style), and the session cookie is HttpOnly and SameSite=Strict."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import Browser
from sqlalchemy import create_engine

from tests.backoffice.console_support import PASSWORD, add_case, add_user
from tests.channels.browser.conftest import watch

TOKEN = "case-service-token-for-the-console-browser-test"
REFERENCE = "MK-2026-000001-0"


async def test_console_pages_raise_no_csp_violation(make_settings, start_gateway, browser: Browser,
                                                    tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    gateway = await start_gateway(make_settings(case_service_token=TOKEN, database_url=url,
                                                gateway_run_workers=False))
    engine = create_engine(url)
    add_user(engine, "anna", "staff,admin")
    add_case(engine, REFERENCE, "conv-1", created=datetime.now(UTC))
    engine.dispose()

    context = await browser.new_context(locale="de-DE")
    await context.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
    page = await context.new_page()
    problems = watch(page)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    await page.goto(f"{gateway.internal_url}/console/login")
    await page.get_by_label("Benutzername").fill("anna")
    await page.get_by_label("Passwort").fill(PASSWORD)
    await page.get_by_role("button", name="Anmelden").click()
    await page.wait_for_url(f"{gateway.internal_url}/console/")
    visited = []
    for path in ("/console/", "/console/users", f"/console/cases/{REFERENCE}"):
        reply = await page.goto(f"{gateway.internal_url}{path}")
        assert reply is not None and reply.status == 200, path
        assert "'unsafe-inline'" not in (await reply.all_headers())["content-security-policy"]
        visited.append(await page.evaluate("window.__csp"))
    # the stylesheet applied (a blocked one would leave the browser's default font)
    assert await page.evaluate("getComputedStyle(document.body).fontFamily") != '"Times New Roman"'
    assert visited == [[], [], []]
    assert failed == []  # every request of the pages succeeded ...
    # ... so a 404 in the console is Chromium's own /favicon.ico probe (the console declares no icon)
    assert [p for p in problems if "status of 404" not in p] == []
    [cookie] = [c for c in await context.cookies() if c["name"].endswith("konsole")]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    await context.close()
