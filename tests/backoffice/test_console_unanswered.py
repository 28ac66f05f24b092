"""Unanswered questions through the composed staff side (``backoffice.app.setup``), SQLite and PostgreSQL:
the action server's report is stored masked, an editor sees it grouped, assigns a group to a topic (one
line in the topic file, audit-logged) or dismisses one; old questions expire."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from backoffice import db
from backoffice.app import APPOINTMENTS, CASES, housekeeping_once
from backoffice.content.examples import examples
from backoffice.unanswered import store
from tests.backoffice.case_support import database_url, pg_url, sqlite_url  # noqa: F401 - fixtures
from tests.backoffice.console_support import add_user
from tests.backoffice.unanswered_support import staff_side  # noqa: F401 - fixture

SNOW = ["Wann kommt der Schneepflug in die Lindenstraße 5?",
        "wann kommt der schneepflug in die lindenstrasse 5",
        "Wann kommt der Schneepflug? Ich heiße Meier, Tel. 0171 1234567"]
OTHER = "Wie wird das Wetter morgen?"


async def test_report_is_masked_and_checked(staff_side, database_url, caplog) -> None:  # noqa: F811
    staff = await staff_side(database_url)
    caplog.set_level(logging.DEBUG)
    status, body = await staff.report({"text": SNOW[2], "language": "de", "channel": "sms",
                                       "intents": [{"name": "faq/abfallkalender", "confidence": 0.21}]})
    assert status == 201 and isinstance(body["id"], int)
    [row] = staff.rows()
    assert (row.text, row.language, row.channel, row.status, row.day) == (
        "Wann kommt der Schneepflug? Ich heiße [Name], Tel. [Telefon]", "de", "sms", "open",
        date(2026, 12, 7))
    assert row.intents == [{"name": "faq/abfallkalender", "confidence": 0.21}]
    assert (await staff.report({"text": OTHER, "channel": "sms"}, token=None))[0] == 401
    assert await staff.report({"text": "", "channel": "sms"}) == (
        400, {"error": "text must be a non-empty string of at most 1000 characters"})
    assert (await staff.report({"text": OTHER, "channel": "fax"}))[0] == 400
    assert (await staff.report({"text": OTHER, "channel": "sms", "language": "deutsch"}))[0] == 400
    assert (await staff.report({"text": OTHER, "channel": "sms", "intents": [{"name": "x", "confidence": 2}]}
                               ))[0] == 400
    assert len(staff.rows()) == 1
    assert "Meier" not in caplog.text and "1234567" not in caplog.text


async def test_editor_assigns_a_group_and_dismisses_another(staff_side, database_url, browsers,  # noqa: F811
                                                            clock) -> None:
    staff = await staff_side(database_url)
    add_user(staff.engine, "erika", roles="editor")
    add_user(staff.engine, "anna", roles="staff")
    guess = [{"name": "faq/abfallkalender", "confidence": 0.3}]
    for text in SNOW:
        assert (await staff.report({"text": text, "language": "de", "channel": "webchat",
                                    "intents": guess}))[0] == 201
    assert (await staff.report({"text": OTHER, "language": "en", "channel": "telegram"}))[0] == 201

    anna = browsers(staff.url)
    await anna.login("anna")
    assert (await anna.get("/console/unanswered"))[0] == 403

    erika = browsers(staff.url)
    await erika.login("erika")
    status, page = await erika.get("/console/unanswered")
    assert status == 200 and 'href="/console/unanswered"' in page
    assert "nach dem nächsten Training" in page and "Trainieren und veröffentlichen" in page
    assert "3×" in page and "1×" in page and "0171" not in page and "Meier" not in page
    assert "Lindenstraße 5" not in page and "[Adresse]" in page
    ids = [row.id for row in staff.rows()]
    snow_ids, other_id = ",".join(map(str, ids[:3])), str(ids[3])
    assert f'value="{snow_ids}"' in page  # the three near-identical questions are one group
    assert '<option value="abfallkalender" selected>' in page  # the model's guess is preselected

    original = (staff.content / "abfallkalender.yml").read_bytes()
    # without the session's CSRF token nothing happens
    assert (await erika.post("/console/unanswered/assign", csrf="x", ids=snow_ids, topic="abfallkalender",
                             language="de", example="Wann kommt der Schneepflug?"))[0] == 400
    # an example that another topic already has is refused, the file stays as it was
    taken = examples((staff.content / "wohngeld.yml").read_text("utf-8"))["de"][0]
    status, page, _ = await erika.post("/console/unanswered/assign", ids=snow_ids, topic="abfallkalender",
                                       language="de", example=taken)
    assert status == 409 and "wohngeld" in page
    assert (staff.content / "abfallkalender.yml").read_bytes() == original

    # no Rasa answers here: the example is assigned, and the editor is told it was not checked
    status, _, location = await erika.post("/console/unanswered/assign", ids=snow_ids, topic="abfallkalender",
                                           language="de", example="Wann kommt der Schneepflug?")
    assert (status, location) == (303, "/console/unanswered?msg=unchecked")
    assert "ohne Prüfung durch das aktuelle Modell" in (await erika.get(location))[1]
    updated = (staff.content / "abfallkalender.yml").read_bytes()
    assert len(updated) - len(original) == len(b"    - Wann kommt der Schneepflug?\n")
    assert examples(updated.decode())["de"][-1] == "Wann kommt der Schneepflug?"
    # a second submit of the same group writes nothing
    assert (await erika.post("/console/unanswered/assign", ids=snow_ids, topic="abfallkalender",
                             language="de", example="Wann kommt der Schneepflug bitte?"))[2] == \
        "/console/unanswered?msg=done"
    assert (staff.content / "abfallkalender.yml").read_bytes() == updated

    _, _, location = await erika.post("/console/unanswered/dismiss", ids=other_id)
    assert location == "/console/unanswered?msg=dismissed"
    rows = staff.rows()
    assert [(r.status, r.topic, r.handled_by) for r in rows] == [
        ("assigned", "abfallkalender", "erika")] * 3 + [("dismissed", None, "erika")]
    _, page = await erika.get("/console/unanswered?msg=dismissed")
    assert "Zurzeit gibt es keine unbeantworteten Fragen." in page
    audit = staff.audit()
    assert [(a.username, a.action) for a in audit] == [("erika", "unanswered_assign"),
                                                       ("erika", "unanswered_dismiss")]
    assert audit[0].detail == "abfallkalender/de +„Wann kommt der Schneepflug?“ (3 Fragen) ohne Modellprüfung"
    assert audit[0].at.replace(tzinfo=None) == clock.now.replace(tzinfo=None)


async def test_housekeeping_deletes_questions_after_the_retention_period(staff_side, database_url,  # noqa: F811
                                                                         clock) -> None:
    staff = await staff_side(database_url)
    today = date(2026, 12, 7)  # the clock's day in Berlin
    database = db.Database(staff.engine)
    for days_ago in (91, 90, 89, 0):
        new = store.NewQuestion(f"Frage vor {days_ago} Tagen", "de", "sms")
        database.call(lambda s, new=new, days_ago=days_ago: store.record(s, new, today - timedelta(days_ago)))
    await housekeeping_once(staff.app[CASES], staff.app[APPOINTMENTS])
    assert [row.text for row in staff.rows()] == ["Frage vor 90 Tagen", "Frage vor 89 Tagen",
                                                  "Frage vor 0 Tagen"]
    clock.now += timedelta(days=1)
    await housekeeping_once(staff.app[CASES], staff.app[APPOINTMENTS])
    assert [row.text for row in staff.rows()] == ["Frage vor 89 Tagen", "Frage vor 0 Tagen"]
