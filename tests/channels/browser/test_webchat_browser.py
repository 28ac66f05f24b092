"""The web chat widget in real headless Chromium against a running gateway with the fake dialogue core."""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import Browser, Page, expect

from tests.channels.browser.conftest import Site, axe_violations, open_chat, say, watch

expect.set_options(timeout=10_000)


async def new_page(browser: Browser, locale: str = "de-DE", **context: object) -> Page:
    ctx = await browser.new_context(locale=locale, **context)  # type: ignore[arg-type]
    return await ctx.new_page()


def log_of(page: Page):
    return page.get_by_role("log")


async def bubble_texts(page: Page) -> list[str]:
    """The messages in the chat log as a reader hears them ("Sie: …", "Assistent: …"), without
    the links' "(öffnet neues Fenster)" hint."""
    texts = await page.locator(".mkc-msg").all_inner_texts()
    return [re.sub(r"\s*\(öffnet neues Fenster\)\s*", "", " ".join(t.split())) for t in texts]


async def test_send_see_answer_click_button_and_reload(site: Site, browser: Browser) -> None:
    assert site.core is not None
    site.core.delays["Wie melde ich mein Auto an?"] = 0.8
    page = await new_page(browser)
    problems = watch(page)
    await page.goto(site.url)

    # The chat is part of the page's own DOM, opened by one button named "Chat", usable at once.
    await open_chat(page)
    assert await page.get_by_role("textbox").count() == 1
    assert await page.locator("input:not([type=hidden]), textarea, [contenteditable]").count() == 1
    assert await page.evaluate("""() => document.querySelectorAll('iframe').length === 0 &&
        document.getElementById('mkc-input').getRootNode() === document""")
    privacy = page.locator(".mkc-privacy")
    await expect(privacy).to_contain_text("Verlauf wird 24 Stunden")
    await expect(privacy.get_by_role("link", name="Datenschutzhinweise")).to_have_attribute(
        "href", f"{site.url}/datenschutz.html")
    await expect(log_of(page)).to_have_attribute("aria-live", "polite")

    await say(page, "Wie melde ich mein Auto an?")
    await expect(page.locator(".mkc-typing")).to_have_text("Assistent schreibt …")
    await expect(log_of(page)).to_contain_text("Antwort: Wie melde ich mein Auto an?")
    await expect(page.locator(".mkc-typing")).to_be_empty()

    # Links in bot text are real links, only http(s), opened safely.
    link = log_of(page).get_by_role("link", name="www.maerkischer-kreis.de/service")
    await expect(link).to_have_attribute("href", "https://www.maerkischer-kreis.de/service")
    await expect(link).to_have_attribute("rel", "noopener noreferrer")

    # Quick replies are real buttons and send their payload.
    yes = log_of(page).get_by_role("button", name="Ja")
    assert await yes.evaluate("node => node.tagName") == "BUTTON"
    await yes.click()
    await expect(log_of(page)).to_contain_text("Sie haben gewählt: /affirm")
    assert site.core.requests[-1].body["text"] == "/affirm"  # an offered payload is forwarded as such

    expected = ["Sie: Wie melde ich mein Auto an?",
                "Assistent: Antwort: Wie melde ich mein Auto an? Mehr unter "
                "https://www.maerkischer-kreis.de/service.",
                "Assistent: Hat Ihnen das geholfen? Ja Nein",
                "Sie: Ja",
                "Assistent: Sie haben gewählt: /affirm"]
    assert await bubble_texts(page) == expected

    # A reload restores the conversation: the panel stays open, every message once, in order.
    await page.reload()
    await expect(log_of(page)).to_contain_text("Sie haben gewählt: /affirm")
    await asyncio.sleep(0.3)
    assert await bubble_texts(page) == expected
    assert len(site.core.requests) == 2

    # Bot text is text: markup in it is shown, never run; only http(s) becomes a link.
    await say(page, "zeig html")
    await expect(log_of(page)).to_contain_text('<img src="x" onerror="window.pwned=1"><b>fett</b>')
    await asyncio.sleep(0.3)
    assert await page.evaluate("() => window.pwned") is None
    assert await log_of(page).locator("img, b").count() == 0
    hrefs = await log_of(page).locator("a").evaluate_all("links => links.map(a => a.href)")
    assert hrefs and all(href.startswith(("https://", "http://")) for href in hrefs)
    assert not [p for p in problems if "Content Security Policy" in p or p.startswith("uncaught")]


async def test_reconnects_after_a_gateway_restart_and_sends_what_was_typed_meanwhile(
        site: Site, browser: Browser) -> None:
    assert site.core is not None
    page = await new_page(browser)
    problems = watch(page)
    await page.goto(site.url)
    await open_chat(page)
    await say(page, "erste Frage")
    await expect(log_of(page)).to_contain_text("Antwort: erste Frage")

    await site.gateway.stop()
    await expect(page.locator(".mkc-connection")).to_contain_text("Keine Verbindung")
    await say(page, "während der Pause")
    pending = page.locator(".mkc-pending")
    await expect(pending).to_contain_text("wird gesendet")

    await site.gateway.start()
    await expect(log_of(page)).to_contain_text("Antwort: während der Pause", timeout=20_000)
    await expect(page.locator(".mkc-connection")).to_be_empty()
    await expect(pending).to_have_count(0)
    await asyncio.sleep(0.5)
    texts = await bubble_texts(page)
    assert texts.count("Sie: während der Pause") == 1
    assert sum(t.startswith("Assistent: Antwort: während der Pause") for t in texts) == 1
    sender = site.core.requests[0].body["sender"]
    assert site.core.texts_of(sender) == ["erste Frage", "während der Pause"]
    assert not [p for p in problems if "Content Security Policy" in p or p.startswith("uncaught")]


async def test_keyboard_only(site: Site, browser: Browser) -> None:
    page = await new_page(browser)
    await page.goto(site.url)

    async def focused() -> dict[str, str]:
        return await page.evaluate("""() => { const e = document.activeElement;
            return {id: e.id, text: e.innerText || '', cls: e.className || '',
                    ring: getComputedStyle(e).boxShadow}; }""")

    for _ in range(40):  # Tab through the page to the chat button
        await page.keyboard.press("Tab")
        if "mkc-launcher" in (await focused())["cls"]:
            break
    launcher = await focused()
    assert "mkc-launcher" in launcher["cls"] and "rgb(11, 12, 12)" in launcher["ring"]  # visible focus
    await page.keyboard.press("Enter")
    assert (await focused())["id"] == "mkc-input"
    await page.keyboard.type("Hallo")
    await page.keyboard.press("Enter")
    await expect(log_of(page)).to_contain_text("Antwort: Hallo")

    for _ in range(10):  # back from the input to the quick replies
        await page.keyboard.press("Shift+Tab")
        if (await focused())["text"] == "Ja":
            break
    choice = await focused()
    assert choice["text"] == "Ja" and "rgb(11, 12, 12)" in choice["ring"]
    await page.keyboard.press("Space")
    await expect(log_of(page)).to_contain_text("Sie haben gewählt: /affirm")

    await page.keyboard.press("Escape")
    await expect(page.get_by_role("textbox")).to_have_count(0)
    assert "mkc-launcher" in (await focused())["cls"]


async def test_widget_languages_and_right_to_left_replies(site: Site, browser: Browser) -> None:
    assert site.core is not None
    page = await new_page(browser, locale="en-US")
    await page.goto(site.url)
    await expect(page.get_by_role("button", name="Chat with the assistant")).to_be_visible()
    await open_chat(page)
    await expect(page.get_by_role("textbox", name="Your message")).to_have_attribute(
        "placeholder", "Your question …")
    await expect(page.locator(".mkc-privacy")).to_contain_text("Please do not enter health or bank details")

    await say(page, "arabisch")
    arabic = log_of(page).locator(".mkc-msg-bot").filter(has_text="الإجابة")
    await expect(arabic).to_have_attribute("dir", "rtl")
    await expect(arabic).to_have_attribute("lang", "ar")
    english = log_of(page).locator(".mkc-msg-bot").filter(has_text="You register")
    await expect(english).to_have_attribute("dir", "ltr")
    assert site.core.requests[-1].body["metadata"]["language_hint"] == "en-US"

    await page.get_by_role("button", name="Leichte Sprache").click()
    await expect(page.get_by_role("button", name="Leichte Sprache")).to_have_attribute("aria-pressed", "true")
    await expect(page.get_by_role("textbox", name="Ihre Nachricht")).to_have_attribute(
        "placeholder", "Schreiben Sie hier.")
    await expect(page.locator(".mkc-privacy")).to_contain_text("Schreiben Sie bitte keine geheimen Daten.")
    await page.reload()  # the choice is remembered
    await expect(page.get_by_role("textbox", name="Ihre Nachricht")).to_have_attribute(
        "placeholder", "Schreiben Sie hier.")
    await page.get_by_role("button", name="Deutsch").click()
    await expect(page.get_by_role("textbox")).to_have_attribute("placeholder", "Ihre Frage …")


# A small phone, a common phone, and 1280 x 1024 px at 400 % zoom (= 320 x 256 CSS px).
VIEWPORTS = [(320, 640), (360, 740), (320, 256)]


async def test_no_horizontal_scrolling_at_320_360_and_400_percent_zoom(site: Site, browser: Browser,
                                                                       tmp_path) -> None:
    page = await new_page(browser, viewport={"width": 320, "height": 640})
    await page.goto(site.url)
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= 320
    await open_chat(page)
    await say(page, "ein langer Link")
    await expect(log_of(page)).to_contain_text("Kraftfahrzeug")
    for width, height in VIEWPORTS:
        await page.set_viewport_size({"width": width, "height": height})
        await page.evaluate("() => new Promise(requestAnimationFrame)")
        await page.screenshot(path=str(tmp_path / f"chat-{width}x{height}.png"))
        sizes = await page.evaluate("""() => {
            const log = document.querySelector('.mkc-log');
            const root = document.documentElement;
            return {scroll: root.scrollWidth, client: root.clientWidth,
                    log: log.scrollWidth - log.clientWidth};
        }""")
        assert sizes["scroll"] <= sizes["client"] == width, (width, height, sizes)
        assert sizes["log"] <= 0, (width, height, sizes)  # long words and URLs wrap inside the log
        for name in ("Senden", "Chat schließen"):
            box = await page.get_by_role("button", name=name).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (name, width)


async def test_axe_finds_no_serious_violations(site: Site, browser: Browser) -> None:
    # The page's CSP forbids inline scripts, and that is how axe gets injected: bypass it for axe only.
    page = await new_page(browser, bypass_csp=True, viewport={"width": 1280, "height": 900})
    await page.goto(site.url)
    await open_chat(page)
    await say(page, "Wie melde ich mein Auto an?")
    await expect(log_of(page).get_by_role("button", name="Ja")).to_be_visible()
    assert await axe_violations(page) == []
    await page.goto(f"{site.url}/barrierefreiheit.html")
    await expect(page.get_by_role("heading", name="Barriere melden: Feedback und Kontakt")).to_be_visible()
    assert await axe_violations(page) == []
