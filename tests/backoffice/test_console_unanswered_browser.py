"""An editor in real headless Chromium (Debian's package) assigns an unanswered question to a topic.

Never skipped: without Chromium this fails (CI installs it, see ``.ci/run``).
"""

from __future__ import annotations

from playwright.async_api import Browser, expect

from backoffice.content.examples import examples
from tests.backoffice.case_support import sqlite_url  # noqa: F401 - fixture
from tests.backoffice.console_support import PASSWORD, add_user
from tests.backoffice.unanswered_support import staff_side  # noqa: F401 - fixture
from tests.channels.browser.conftest import browser  # noqa: F401 - fixture

expect.set_options(timeout=10_000)
QUESTIONS = ["Wo kann ich mich auf Corona testen lassen? Ich heiße Meier.",
             "wo kann ich mich auf corona testen lassen"]


async def test_editor_assigns_a_question_in_one_click(staff_side, sqlite_url, browser: Browser) -> None:  # noqa: F811
    staff = await staff_side(sqlite_url)
    add_user(staff.engine, "erika", roles="editor", name="Erika Editorin")
    for text in QUESTIONS:
        guess = [{"name": "faq/infektionsschutzbelehrung", "confidence": 0.4}]
        status, _ = await staff.report({"text": text, "language": "de", "channel": "webchat",
                                        "intents": guess})
        assert status == 201
    before = examples((staff.content / "infektionsschutzbelehrung.yml").read_text("utf-8"))

    page = await (await browser.new_context(locale="de-DE")).new_page()
    await page.goto(f"{staff.url}/console/unanswered")  # not signed in: the login comes first
    await page.get_by_label("Benutzername").fill("erika")
    await page.get_by_label("Passwort").fill(PASSWORD)
    await page.get_by_role("button", name="Anmelden").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Unbeantwortete Fragen")
    await expect(page.get_by_role("navigation")).to_contain_text("Unbeantwortete Fragen")
    await expect(page.get_by_role("main")).to_contain_text("Trainieren und veröffentlichen")

    group = page.locator("section.group")
    await expect(group).to_have_count(1)
    await expect(group.get_by_role("heading")).to_contain_text("2×")
    await expect(group).to_contain_text("Ich heiße [Name].")
    await expect(group).not_to_contain_text("Meier")
    await expect(group.get_by_label("Thema")).to_have_value("infektionsschutzbelehrung")
    await group.get_by_label("Neues Trainingsbeispiel").fill("Wo kann ich mich auf Corona testen lassen?")
    await group.get_by_role("button", name="Dem Thema zuordnen").click()

    await expect(page.get_by_role("status")).to_contain_text("Zugeordnet")
    await expect(page.get_by_role("main")).to_contain_text("Zurzeit gibt es keine unbeantworteten Fragen.")
    after = examples((staff.content / "infektionsschutzbelehrung.yml").read_text("utf-8"))
    assert after["de"] == [*before["de"], "Wo kann ich mich auf Corona testen lassen?"]
    assert [(r.status, r.topic) for r in staff.rows()] == [("assigned", "infektionsschutzbelehrung")] * 2
    assert [(a.username, a.action) for a in staff.audit()] == [("erika", "unanswered_assign")]
