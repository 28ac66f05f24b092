"""An editor in real headless Chromium adds holiday opening hours as a dated variant, with the date fields.

The composed staff side without Rasa (answers are checked through the NLG choice on a fixed day); the
whole console-to-web-chat path is ``tests/channels/browser/test_content_browser.py``.
"""

from __future__ import annotations

import datetime as dt

import yaml
from playwright.async_api import Browser, expect

from backoffice.content import variants
from tests.backoffice.case_support import sqlite_url  # noqa: F401 - fixture
from tests.backoffice.console_support import PASSWORD, add_user
from tests.backoffice.unanswered_support import staff_side  # noqa: F401 - fixture
from tests.channels.browser.conftest import browser  # noqa: F401 - fixture

expect.set_options(timeout=10_000)
RESPONSE = "utter_faq/oeffnungszeiten"
HOURS = "Vom 24.12. bis 02.01. ist die Kreisverwaltung geschlossen."


async def test_editor_adds_holiday_hours_with_date_fields(staff_side, sqlite_url, browser: Browser) -> None:  # noqa: F811
    staff = await staff_side(sqlite_url)
    add_user(staff.engine, "erika", roles="editor", name="Erika Editorin")
    page = await (await browser.new_context(locale="de-DE")).new_page()
    await page.goto(f"{staff.url}/console/topics/oeffnungszeiten")
    await page.get_by_label("Benutzername").fill("erika")
    await page.get_by_label("Passwort").fill(PASSWORD)
    await page.get_by_role("button", name="Anmelden").click()
    await page.get_by_role("link", name="Neue Variante mit Zeitraum").first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Neue Variante mit Zeitraum")
    await page.get_by_label("Text der neuen Variante").fill(HOURS)
    await page.get_by_label("Gültig ab").fill("2026-12-24")
    await page.get_by_label("Gültig bis").fill("2027-01-02")
    await page.get_by_role("button", name="Vorschau").click()
    await expect(page.locator("#preview-sms")).to_contain_text("geschlossen")
    await page.get_by_role("button", name="Speichern (sofort live)").click()
    await expect(page.get_by_role("status")).to_contain_text("Gespeichert")
    await expect(page.get_by_role("main")).to_contain_text("gültig ab 2026-12-24 bis 2027-01-02")

    found = yaml.safe_load((staff.content / "oeffnungszeiten.yml").read_text("utf-8"))["responses"][RESPONSE]
    assert found[1]["text"] == HOURS + "\n" and found[1]["metadata"]["valid_until"] == "2027-01-02"
    for day, expected in ((dt.date(2026, 12, 27), HOURS + "\n"), (dt.date(2027, 1, 3), found[0]["text"])):
        assert [v["text"] for v in variants.eligible(found, {"language": "de"}, "webchat", day)] == [expected]
