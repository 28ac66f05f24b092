"""Location and photo in real Chromium: the widget's request buttons, against the real case service.

The fake dialogue core plays the damage-report form: it asks for the place
(``custom: {"request": "location"}``), then for a photo (``{"request":
"photo"}``). The browser context has the geolocation permission and a fixed
position; the photo is chosen through the real file chooser and stored by
``python -m backoffice``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.channels.browser.conftest import AXE, Site, open_chat, say, watch
from tests.channels.case_service import TOKEN, CaseService, jpeg, png

expect.set_options(timeout=10_000)

LAT, LON = 51.2194, 7.6394
MAX_BYTES = 1024 * 1024


def form(body: dict[str, Any]) -> list[dict[str, Any]]:
    text = body["text"]
    if text == "[Standort]" or "straße" in text:  # a shared location or an address in words
        return [{"text": "Danke. Haben Sie ein Foto vom Schaden?", "custom": {"request": "photo"}}]
    if text == "[Anhang]":
        return [{"text": "Danke, Ihre Meldung ist vollständig."}]
    return [{"text": "Wo genau ist der Schaden?", "custom": {"request": "location"}}]


@pytest.fixture(scope="module")
def case_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseService]:
    service = CaseService(tmp_path_factory.mktemp("case-service"), f"tcs{uuid.uuid4().hex[:8]}")
    service.start()
    yield service
    service.stop()


@pytest.fixture
async def media_site(start_site, case_service: CaseService) -> Site:
    site = await start_site(case_service_token=TOKEN, case_service_url=case_service.url,
                            webchat_upload_max_bytes=MAX_BYTES)
    assert site.core is not None
    site.core.responder = form
    return site


async def serious_violations(page: Page) -> list[dict[str, object]]:
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})""")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


async def focused(page: Page) -> dict[str, str]:
    return await page.evaluate("""() => { const e = document.activeElement;
        return {tag: e.tagName, text: e.innerText || '', ring: getComputedStyle(e).boxShadow}; }""")


async def test_share_location_and_attach_a_photo(media_site: Site, browser: Browser, tmp_path: Path) -> None:
    core = media_site.core
    assert core is not None and AXE.exists(), "run `npm ci` in the repository root for axe-core"
    context = await browser.new_context(locale="de-DE", permissions=["geolocation"],
                                        geolocation={"latitude": LAT, "longitude": LON},
                                        bypass_csp=True)  # only so axe can be injected
    page = await context.new_page()
    problems = watch(page)
    await page.goto(media_site.url)
    await open_chat(page)
    log = page.get_by_role("log")
    assert await page.locator("input[type=file]").count() == 0  # nothing to attach until the bot asks

    await say(page, "Ich möchte ein Schlagloch melden")
    locate = log.get_by_role("button", name="Meinen Standort verwenden")
    await expect(locate).to_be_visible()
    assert await locate.evaluate("node => node.tagName") == "BUTTON"
    assert await serious_violations(page) == []

    # Keyboard only: from the input back to the button, visible focus, Enter.
    for _ in range(10):
        await page.keyboard.press("Shift+Tab")
        if "Standort" in (await focused(page))["text"]:
            break
    button = await focused(page)
    assert button["tag"] == "BUTTON" and "rgb(11, 12, 12)" in button["ring"]
    await page.keyboard.press("Enter")
    await expect(log).to_contain_text("Standort gesendet (51.21940, 7.63940)")
    await expect(log).to_contain_text("Haben Sie ein Foto vom Schaden?")
    assert [r.body["text"] for r in core.requests][-1] == "[Standort]"
    assert core.requests[-1].body["metadata"]["location"] == {"lat": LAT, "lon": LON}
    await expect(locate).to_have_count(0)  # answered: the request's button is gone

    attach = log.get_by_role("button", name="Foto hinzufügen")
    await expect(attach).to_be_visible()
    chooser_input = page.locator("input[type=file]")
    await expect(chooser_input).to_have_attribute("accept", "image/jpeg,image/png,image/webp")
    await expect(chooser_input).to_be_hidden()
    assert await serious_violations(page) == []

    # The widget spares a useless upload: too large, or not a photo (the gateway checks again).
    big, gif, photo = tmp_path / "gross.jpg", tmp_path / "bild.gif", tmp_path / "schlagloch.png"
    big.write_bytes(jpeg(MAX_BYTES + 1))
    gif.write_bytes(b"GIF89a" + b"\x00" * 64)
    photo.write_bytes(png(16, 12))
    for path, message in ((big, "Das Foto ist zu groß. Erlaubt sind höchstens 1 MB."),
                          (gif, "Bitte wählen Sie ein Foto im Format JPEG, PNG oder WebP.")):
        async with page.expect_file_chooser() as chooser:
            await attach.click()
        await (await chooser.value).set_files(path)
        await expect(log.get_by_role("status")).to_have_text(message)
    assert [r.body["text"] for r in core.requests][-1] == "[Standort]"

    # A file that only claims to be a photo is refused by the gateway; the request stays for another.
    fake = tmp_path / "kein-foto.png"
    fake.write_bytes(b"<html>not a picture</html>")
    async with page.expect_file_chooser() as chooser:
        await attach.click()
    await (await chooser.value).set_files(fake)
    refused = log.locator(".mkc-msg-user").last
    await expect(refused).to_contain_text("Bitte wählen Sie ein Foto im Format JPEG, PNG oder WebP.")
    await expect(attach).to_be_visible()

    async with page.expect_file_chooser() as chooser:
        await attach.click()
    await (await chooser.value).set_files(photo)
    await expect(log).to_contain_text("Danke, Ihre Meldung ist vollständig.")
    last = core.requests[-1].body
    assert last["text"] == "[Anhang]"
    [media] = last["metadata"]["media"]
    assert media["url"].startswith("att_") and media["content_type"] == "image/png"
    await expect(attach).to_have_count(0)

    # After a reload the history shows both, in the citizen's words.
    await page.reload()
    await expect(log).to_contain_text("Danke, Ihre Meldung ist vollständig.")
    texts = [" ".join(t.split()) for t in await page.locator(".mkc-msg-user").all_inner_texts()]
    assert texts == ["Sie: Ich möchte ein Schlagloch melden", "Sie: Standort gesendet (51.21940, 7.63940)",
                     "Sie: Foto"]  # the refused file never reached the history
    assert [r.body["text"] for r in core.requests] == ["Ich möchte ein Schlagloch melden", "[Standort]",
                                                       "[Anhang]"]
    # Chromium logs every 4xx response; the refused fake photo's 415 is expected, nothing else is.
    assert [p for p in problems if "status of 415" not in p] == []
    await context.close()


async def test_a_refused_location_permission_asks_for_the_address(media_site: Site, browser: Browser) -> None:
    context = await browser.new_context(locale="de-DE", permissions=[])
    page = await context.new_page()
    await page.goto(media_site.url)
    await open_chat(page)
    await say(page, "Schlagloch")
    locate = page.get_by_role("log").get_by_role("button", name="Meinen Standort verwenden")
    await locate.click()
    await expect(page.get_by_role("log").get_by_role("status")).to_have_text(
        "Sie haben die Standortfreigabe nicht erlaubt. Schreiben Sie uns bitte die Adresse oder eine "
        "Ortsbeschreibung.")
    await say(page, "Hauptstraße 5, Lüdenscheid")  # typing the address answers the request too
    await expect(page.get_by_role("log").get_by_role("button", name="Foto hinzufügen")).to_be_visible()
    await expect(locate).to_have_count(0)
    assert media_site.core is not None
    assert media_site.core.requests[-1].body["text"] == "Hauptstraße 5, Lüdenscheid"
    assert all("location" not in r.body["metadata"] for r in media_site.core.requests)
    await context.close()
