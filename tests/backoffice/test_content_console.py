"""The editors' console pages over HTTP: topics, search, review flag, edit with previews, four-eyes review.

Real SQLite, real Redis, the real topic files (a copy per test), the console as the staff side serves it.
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from backoffice.console.app import add_topic_routes
from backoffice.content import nlg, splice
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


# Validity windows, holiday variants, deleting an expired one ---------------------------------------------

HOLIDAY = "Zwischen den Jahren (24.12. bis 02.01.) bleibt das Bürgerbüro geschlossen.\nNotfälle: 02351 966-0."
WINDOW = {"valid_from": "2026-12-24", "valid_until": "2027-01-02"}


def _served(store: ContentStore, day: str, language: str = "de", channel: str = "webchat") -> str:
    """What the NLG endpoint answers on ``day`` (noon in Berlin)."""
    body = {"response": RESPONSE, "tracker": {"slots": {"language": language}}, "channel": {"name": channel}}
    return nlg.answer(store, body, datetime.fromisoformat(f"{day}T12:00:00+01:00"))["text"]


async def _editor(editor_console, browsers, engine, four_eyes: bool = False):
    add_user(engine, "erika", "editor")
    server, store = await editor_console(four_eyes=four_eyes)
    browser = browsers(server.url)
    await browser.login("erika")
    return store, browser


async def test_editor_sets_a_window_only_its_lines_change(editor_console, browsers, engine, content) -> None:
    store, browser = await _editor(editor_console, browsers, engine)
    path = content / "topics" / "personalausweis.yml"
    before = path.read_text(encoding="utf-8")
    status, page = await browser.get(f"{EDIT}?r={RESPONSE}&v=3")
    assert status == 200 and "Gültig ab" in page and 'type="date"' in page and "Variante löschen" not in page
    status, _, location = await browser.post(EDIT, r=RESPONSE, v="3", text=_answer(content, 3),
                                             seen=_answer(content, 3), seen_from="", seen_until="",
                                             valid_from="", valid_until="2026-12-31", action="save")
    assert status == 303 and location.endswith("msg=saved")
    after = path.read_text(encoding="utf-8")
    assert after.replace('    metadata:\n      <<: *meta\n      valid_until: "2026-12-31"\n',
                         "    metadata: *meta\n") == before  # only the SMS variant's metadata line
    assert store.responses[RESPONSE][3]["metadata"]["valid_until"] == "2026-12-31"
    assert "valid_until" not in store.responses[RESPONSE][0]["metadata"]  # the shared metadata stays undated
    assert _served(store, "2026-12-31", channel="sms") == _answer(content, 3)
    assert _served(store, "2027-01-01", channel="sms") == _answer(content, 0)  # expired: the default answer
    detail = json.loads(_audit(engine)[-1].detail)
    assert (detail["kind"], detail["window_before"], detail["window_after"]) == ("edit", "/", "/2026-12-31")
    _, page = await browser.get(f"{EDIT}?r={RESPONSE}&v=3")
    assert 'value="2026-12-31"' in page and "Variante löschen" in page


@pytest.mark.parametrize(("window", "message"), [
    ({"valid_from": "2026-12-24", "valid_until": ""}, "Am 07.12.2026 gälte keine deutsche Antwort"),
    ({"valid_from": "", "valid_until": "2027-01-02"}, "Am 03.01.2027 gälte keine deutsche Antwort"),
    ({"valid_from": "2027-01-02", "valid_until": "2026-12-24"}, "„Gültig bis“ (24.12.2026) liegt vor"),
    ({"valid_from": "24.12.", "valid_until": ""}, "„Gültig ab“ ist kein Datum"),
])
async def test_a_window_that_leaves_a_day_without_german_answer_is_refused(
        editor_console, browsers, engine, content, window, message) -> None:
    store, browser = await _editor(editor_console, browsers, engine)
    before = (content / "topics" / "personalausweis.yml").read_bytes()
    await browser.get(f"{EDIT}?r={RESPONSE}&v=0")
    for action in ("preview", "save"):
        status, body, _ = await browser.post(EDIT, r=RESPONSE, v="0", text=_answer(content, 0),
                                             seen=_answer(content, 0), seen_from="", seen_until="",
                                             action=action, **window)
        assert status == 400 and message in html.unescape(body)
    assert (content / "topics" / "personalausweis.yml").read_bytes() == before
    assert _served(store, "2027-01-05") == _answer(content, 0)


async def test_holiday_variant_is_served_in_its_window_and_deleted_after(editor_console, browsers, engine,
                                                                         content) -> None:
    store, browser = await _editor(editor_console, browsers, engine)
    path = content / "topics" / "personalausweis.yml"
    before = path.read_text(encoding="utf-8")
    status, page = await browser.get(f"{EDIT}?r={RESPONSE}&v=0&mode=add")
    assert status == 200 and "Neue Variante mit Zeitraum" in page and "Text der neuen Variante" in page
    assert html.escape(_answer(content, 0).rstrip("\n"), quote=False) in page  # a copy to start from
    form = {"r": RESPONSE, "v": "0", "seen": _answer(content, 0), "seen_from": "", "seen_until": "",
            "mode": "add", "text": HOLIDAY}
    status, body, _ = await browser.post(EDIT, **form, valid_from="", valid_until="", action="save")
    assert status == 400 and "braucht einen Zeitraum" in body  # a new variant without window is refused
    status, body, _ = await browser.post(EDIT, **form, **WINDOW, action="preview")
    assert status == 200 and "Zwischen den Jahren" in re.search(r'id="preview-sms">(.*?)</ol>', body, re.S)[1]
    assert path.read_text(encoding="utf-8") == before
    status, _, location = await browser.post(EDIT, **form, **WINDOW, action="save")
    assert status == 303 and location.endswith("msg=saved")
    assert path.read_text(encoding="utf-8") == before.replace(
        "  - condition:\n", "  - text: |\n      Zwischen den Jahren (24.12. bis 02.01.) bleibt das "
        "Bürgerbüro geschlossen.\n      Notfälle: 02351 966-0.\n    metadata:\n      <<: *meta\n"
        '      valid_from: "2026-12-24"\n      valid_until: "2027-01-02"\n  - condition:\n', 1)
    normal = _answer(content, 0)
    assert [_served(store, day) for day in ("2026-12-23", "2026-12-24", "2027-01-02", "2027-01-03")] == [
        normal, HOLIDAY + "\n", HOLIDAY + "\n", normal]
    assert _served(store, "2026-12-24", language="en") == _answer(content, 2)  # English stays as it was
    detail = json.loads(_audit(engine)[-1].detail)
    assert detail["kind"] == "add" and detail["before"] is None and detail["after"] == HOLIDAY
    assert detail["window_after"] == "2026-12-24/2027-01-02"
    _, page = await browser.get("/console/topics/personalausweis")
    assert "neue Variante nach Variante 1" in page and "gültig ab 2026-12-24 bis 2027-01-02" in page

    # the undated German answer cannot be deleted; the expired holiday variant can
    status, body, _ = await browser.post(EDIT, r=RESPONSE, v="0", seen=normal, seen_from="", seen_until="",
                                         mode="delete", action="save")
    assert status == 400 and "nur Varianten mit Zeitraum" in body
    _, page = await browser.get(f"{EDIT}?r={RESPONSE}&v=1")
    assert "Variante löschen" in page
    status, _, location = await browser.post(EDIT, r=RESPONSE, v="1", seen=HOLIDAY + "\n",
                                             seen_from="2026-12-24", seen_until="2027-01-02", mode="delete",
                                             action="save")
    assert status == 303 and location.endswith("msg=deleted")
    assert path.read_text(encoding="utf-8") == before  # byte for byte as before the holidays
    assert _served(store, "2026-12-24") == normal
    detail = json.loads(_audit(engine)[-1].detail)
    assert detail["kind"] == "delete" and detail["before"] == HOLIDAY + "\n" and detail["after"] is None


async def test_the_last_dated_german_answer_cannot_be_deleted(editor_console, browsers, engine,
                                                              content) -> None:
    path = content / "topics" / "personalausweis.yml"
    dated = '    metadata: &meta\n      valid_from: "2026-01-01"\n'
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    metadata: &meta\n", dated, 1), encoding="utf-8")
    _, browser = await _editor(editor_console, browsers, engine)
    await browser.get(f"{EDIT}?r={RESPONSE}&v=0")
    status, body, _ = await browser.post(EDIT, r=RESPONSE, v="0", seen=_answer(content, 0),
                                         seen_from="2026-01-01", seen_until="", mode="delete", action="save")
    assert status == 400 and "letzte deutsche Antwort ohne Bedingung" in body


async def test_four_eyes_review_of_a_holiday_variant(editor_console, browsers, engine, content) -> None:
    add_user(engine, "rolf", "reviewer")
    store, erika = await _editor(editor_console, browsers, engine, four_eyes=True)
    path = content / "topics" / "personalausweis.yml"
    before = path.read_text(encoding="utf-8")
    await erika.get(f"{EDIT}?r={RESPONSE}&v=0&mode=add")
    status, _, location = await erika.post(EDIT, r=RESPONSE, v="0", seen=_answer(content, 0), seen_from="",
                                           seen_until="", mode="add", text=HOLIDAY, **WINDOW, action="save")
    assert status == 303 and location.endswith("msg=pending")
    assert path.read_text(encoding="utf-8") == before and _served(store, "2026-12-24") == _answer(content, 0)
    rolf = browsers(erika.base)
    await rolf.login("rolf")
    _, page = await rolf.get("/console/reviews")
    assert "neue Variante nach Variante 1" in page and "ab 24.12.2026 bis 02.01.2027" in page
    assert "(keine: neue Variante)" in page and "Zwischen den Jahren" in page
    change = Database(engine).call(lambda s: s.scalars(select(ContentChange)).one())
    status, _, location = await rolf.post(f"/console/reviews/{change.id}", decision="approve")
    assert status == 303 and location.endswith("msg=approved")
    assert _served(store, "2026-12-24") == HOLIDAY + "\n"
    assert _served(store, "2027-01-03") == _answer(content, 0)
    content_lines = [e for e in _audit(engine) if e.action.startswith("content_")]
    assert [(e.action, e.username) for e in content_lines] == [("content_propose", "erika"),
                                                              ("content_approve", "rolf")]
    assert {json.loads(e.detail)["kind"] for e in content_lines} == {"add"}


async def test_a_window_changed_since_the_proposal_is_a_conflict(editor_console, browsers, engine,
                                                                 content) -> None:
    add_user(engine, "rolf", "reviewer")
    store, erika = await _editor(editor_console, browsers, engine, four_eyes=True)
    await erika.get(f"{EDIT}?r={RESPONSE}&v=3")
    sms = _answer(content, 3)
    status, _, _ = await erika.post(EDIT, r=RESPONSE, v="3", text=sms, seen=sms, seen_from="", seen_until="",
                                    valid_from="", valid_until="2026-12-31", action="save")
    assert status == 303 and "valid_until" not in store.responses[RESPONSE][3]["metadata"]
    path = content / "topics" / "personalausweis.yml"  # meanwhile someone dates it by hand
    path.write_text(splice.set_window(path.read_text(encoding="utf-8"), RESPONSE, 3, "", "2027-06-30"),
                    encoding="utf-8")
    rolf = browsers(erika.base)
    await rolf.login("rolf")
    _, page = await rolf.get("/console/reviews")
    assert "Zeitraum: immer gültig" in page and "Zeitraum: bis 31.12.2026" in page
    change = Database(engine).call(lambda s: s.scalars(select(ContentChange)).one())
    status, body, _ = await rolf.post(f"/console/reviews/{change.id}", decision="approve")
    assert status == 409 and "seit diesem Vorschlag geändert" in body
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["responses"][RESPONSE][3]["metadata"][
        "valid_until"] == "2027-06-30"
