"""The web chat through the real dialogue core: Rasa server and action server (fixture ``real_core``)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.channels.browser.conftest import open_chat, say
from tests.e2e.answers import answer

pytestmark = pytest.mark.e2e


async def test_a_question_in_the_browser_gets_the_answer_from_the_content(real_core, start_site,
                                                                         browser: Browser) -> None:
    site = await start_site(real=True, rasa_url=real_core.rasa_url, rasa_token=real_core.token,
                            action_server_url=real_core.action_server_url)
    page = await (await browser.new_context(locale="de-DE")).new_page()
    await page.goto(site.url)
    await open_chat(page)
    await say(page, "Kfz Zulassung beantragen")
    expected = answer("kfz_zulassung")  # the German answer in nlu_data/topics/kfz_zulassung.yml
    first_line = expected.splitlines()[0]
    bot = page.get_by_role("log").locator(".mkc-msg-bot").filter(has_text=first_line[:60])
    try:
        await expect(bot).to_have_count(1, timeout=60_000)
    except AssertionError as exc:
        raise AssertionError(f"the chat shows: {await page.get_by_role('log').inner_text()}") from exc
    shown = (await bot.text_content() or "").replace("(öffnet neues Fenster)", "")
    assert " ".join(expected.split()) in " ".join(shown.split())
