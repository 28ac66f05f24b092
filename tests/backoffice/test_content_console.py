"""The editors' console pages over HTTP: topics, search, review flag, edit with previews, four-eyes review.

Real SQLite, real Redis, the real topic files (a copy per test), the console as the staff side serves it.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from backoffice.console.app import add_topic_routes
from backoffice.content.store import ContentStore
from backoffice.db import Database
from backoffice.models import AuditEntry, ContentChange
from backoffice.settings import Settings
from tests.backoffice.console_support import add_user

RESPONSE = "utter_faq/personalausweis"
EDIT = "/console/topics/personalausweis/edit"


@pytest.fixture
def editor_console(start_console, content, rdb, prefix, engine):
    async def start(four_eyes: bool = False, review_after_days: int = 365):
        store = ContentStore(content, None, rdb, prefix)
        await store.refresh()
        settings = Settings(_env_file=None, content_dir=content, content_four_eyes=four_eyes,
                            content_review_after_days=review_after_days)
        server = await start_console(
            extend=lambda app, console: add_topic_routes(app, console, store, settings))
        return server, store

    return start


async def _propose(editor_console, browsers, engine, content: Path, text: str):
    """Erika (editor and reviewer) proposes ``text`` for the German answer with four-eyes on; Rolf reviews."""
    add_user(engine, "erika", "editor,reviewer")
    add_user(engine, "rolf", "reviewer")
    server, store = await editor_console(four_eyes=True)
    erika, rolf = browsers(server.url), browsers(server.url)
    await erika.login("erika")
    await rolf.login("rolf")
    await erika.get(f"{EDIT}?r={RESPONSE}&v=0")
    reply = await erika.post(EDIT, r=RESPONSE, v="0", text=text, seen=_answer(content, 0), action="save")
    change = Database(engine).call(lambda s: s.scalars(select(ContentChange)).one())
    return store, erika, rolf, reply, change


def _answer(content: Path, index: int = 0) -> str:
    data = yaml.safe_load((content / "topics" / "personalausweis.yml").read_text(encoding="utf-8"))
    return data["responses"][RESPONSE][index]["text"]


def _audit(engine) -> list[AuditEntry]:
    return Database(engine).call(lambda s: list(s.scalars(select(AuditEntry).order_by(AuditEntry.id))))


async def test_topics_need_an_editor_or_reviewer(editor_console, browsers, engine) -> None:
    add_user(engine, "sam", "staff")
    server, _ = await editor_console()
    browser = browsers(server.url)
    await browser.login("sam")
    status, body = await browser.get("/console/topics")
    assert status == 403 and "editor oder reviewer" in body


async def test_list_search_and_review_flag(editor_console, browsers, engine, content) -> None:
    add_user(engine, "erika", "editor")
    path = content / "topics" / "jagdschein.yml"
    stale = path.read_text(encoding="utf-8").replace('reviewed: "2026-11-30"', 'reviewed: "2024-01-15"')
    path.write_text(stale, encoding="utf-8")
    server, _ = await editor_console(review_after_days=365)
    browser = browsers(server.url)
    await browser.login("erika")
    status, body = await browser.get("/console/topics")
    assert status == 200 and "Personalausweis beantragen" in body and "Themen</a>" in body
    row = re.search(r"<tr class=overdue>.*?</tr>", body, re.S)
    assert row and "jagdschein" in row[0] and "2024-01-15" in row[0] and "Prüfung fällig" in row[0]
    assert body.count("class=overdue") == 1
    _, found = await browser.get("/console/topics?q=perso+abgelaufen")
    assert "personalausweis" in found and "jagdschein" not in found
    _, detail = await browser.get("/console/topics/personalausweis")
    assert "Leichte Sprache" in detail and "Deutsch · SMS" in detail and "personalausweisportal.de" in detail
    assert "perso abgelaufen" in html.unescape(detail) and "nach dem nächsten Training" in detail
    assert (await browser.get("/console/topics/gibtesnicht"))[0] == 404


async def test_preview_shows_channels_and_saves_nothing(editor_console, browsers, engine, content) -> None:
    add_user(engine, "erika", "editor")
    server, _ = await editor_console()
    browser = browsers(server.url)
    await browser.login("erika")
    before = (content / "topics" / "personalausweis.yml").read_bytes()
    status, page = await browser.get(f"{EDIT}?r={RESPONSE}&v=3")
    assert status == 200 and "Neuer Antworttext" in page
    text = "Neuer Ausweis „jetzt“ – 46 € " + "Bürgerbüro " * 40
    status, body, _ = await browser.post(EDIT, r=RESPONSE, v="3", text=text, seen=_answer(content, 3),
                                         action="preview")
    # the SMS variant is limited to 300 characters: previews plus the validator's sentence, nothing written
    assert status == 400 and "SMS variant is longer than 300" in html.unescape(body)
    sms = re.search(r'id="preview-sms">(.*?)</ol>', body, re.S)[1]
    assert '"jetzt" - 46' in html.unescape(sms) and "GSM-7" in sms and "3 Segment(e)" in sms
    assert "weitere Teil" in sms  # longer than the SMS budget: the rest comes on WEITER
    assert "Bürgerbüro" in re.search(r'id="preview-telegram">(.*?)</ol>', body, re.S)[1]
    assert "„jetzt“" in html.unescape(re.search(r'id="preview-webchat">(.*?)</ol>', body, re.S)[1])
    assert (content / "topics" / "personalausweis.yml").read_bytes() == before


async def test_save_writes_the_file_audits_and_serves(editor_console, browsers, engine, content) -> None:
    add_user(engine, "erika", "editor")
    server, store = await editor_console()
    browser = browsers(server.url)
    await browser.login("erika")
    path = content / "topics" / "personalausweis.yml"
    before_text, old = path.read_text(encoding="utf-8"), _answer(content, 1)
    await browser.get(f"{EDIT}?r={RESPONSE}&v=1")
    new = "You apply for a new ID card in person.\nFee: €46.00."
    status, body, _ = await browser.post(EDIT, r=RESPONSE, v="1", text=new, seen=old, action="preview")
    assert status == 200 and "noch nicht gespeichert" in body
    assert path.read_text(encoding="utf-8") == before_text
    status, _, location = await browser.post(EDIT, r=RESPONSE, v="1", text=new, seen=old, reviewed="1",
                                             action="save")
    assert status == 303 and location.endswith("msg=saved")
    after = path.read_text(encoding="utf-8")
    assert _answer(content, 1) == new + "\n"
    assert after.replace(new.replace("\n", "\n      "), old.rstrip("\n").replace("\n", "\n      ")).replace(
        '"2026-12-07"', '"2026-11-30"') == before_text  # only the answer and the review date changed
    assert store.responses[RESPONSE][1]["text"] == new + "\n"  # served at once by this process
    entry = _audit(engine)[-1]
    detail = json.loads(entry.detail)
    assert entry.username == "erika" and entry.action == "content_save"
    assert detail["before"] == old and detail["after"] == new and detail["topic"] == "personalausweis"
    # a second save from the stale form is refused: the answer changed in between
    await browser.get(f"{EDIT}?r={RESPONSE}&v=1")
    status, body, _ = await browser.post(EDIT, r=RESPONSE, v="1", text="Noch mal", seen=old, action="save")
    assert status == 400 and "inzwischen geändert" in body


async def test_four_eyes_change_waits_for_another_reviewer(editor_console, browsers, engine, content) -> None:
    old = _answer(content, 0)
    proposal = await _propose(editor_console, browsers, engine, content, "Vier Augen sehen mehr.")
    store, erika, rolf, (status, _, location), change = proposal
    assert status == 303 and location.endswith("msg=pending")
    assert _answer(content, 0) == old and store.responses[RESPONSE][0]["text"] == old  # not live
    assert change.status == "pending" and change.author == "erika"
    # the author cannot approve her own change, even with the reviewer role
    _, page = await erika.get("/console/reviews")
    assert "Eigene Änderung" in page
    status, body, _ = await erika.post(f"/console/reviews/{change.id}", decision="approve")
    assert status == 409 and "andere Person" in body and _answer(content, 0) == old
    _, page = await rolf.get("/console/reviews")
    assert "Vier Augen sehen mehr." in page
    status, _, location = await rolf.post(f"/console/reviews/{change.id}", decision="approve")
    assert status == 303 and location.endswith("msg=approved")
    assert _answer(content, 0) == "Vier Augen sehen mehr.\n"
    assert store.responses[RESPONSE][0]["text"] == "Vier Augen sehen mehr.\n"
    assert [e.action for e in _audit(engine)][-2:] == ["content_propose", "content_approve"]


async def test_an_approval_after_another_change_is_a_conflict(editor_console, browsers, engine,
                                                              content) -> None:
    *_, rolf, _, change = await _propose(editor_console, browsers, engine, content, "Vorschlag A")
    path = content / "topics" / "personalausweis.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("Einen neuen", "Einen ganz neuen", 1),
                    encoding="utf-8")  # a hand edit in the file meanwhile
    await rolf.get("/console/reviews")
    status, body, _ = await rolf.post(f"/console/reviews/{change.id}", decision="approve")
    assert status == 409 and "seit diesem Vorschlag geändert" in body
    assert "Einen ganz neuen" in _answer(content, 0)
    assert Database(engine).call(lambda s: s.get(ContentChange, change.id).status) == "conflict"
