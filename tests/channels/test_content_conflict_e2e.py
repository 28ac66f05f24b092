"""A new training example that the model in service gives to another topic is flagged before it is
written (issue 7: "an example the current model assigns to another topic with high confidence is
flagged"): the real Rasa server with the test model, the composed staff side, an editor's requests."""

from __future__ import annotations

from backoffice.content.examples import examples
from backoffice.content.model_check import ModelCheck
from tests.backoffice.case_support import sqlite_url  # noqa: F401 - fixture
from tests.backoffice.console_support import add_user, browsers, clock  # noqa: F401 - fixtures
from tests.backoffice.unanswered_support import staff_side  # noqa: F401 - fixture
from tests.channels.real_core import RealCore

PASSPORT = "Mein Perso ist abgelaufen, was muss ich jetzt machen?"
THRESHOLD = 0.5


async def test_model_check_asks_the_rasa_server(real_core: RealCore) -> None:
    found = await ModelCheck(real_core.rasa_url, real_core.token, THRESHOLD).place(PASSPORT)
    assert found is not None and found.topic == "personalausweis" and found.confidence >= THRESHOLD
    assert await ModelCheck(real_core.rasa_url, "wrong-token", THRESHOLD).place(PASSPORT) is None


async def test_a_clashing_example_waits_for_the_editors_confirmation(
        real_core: RealCore, staff_side, sqlite_url, browsers) -> None:  # noqa: F811
    staff = await staff_side(sqlite_url, rasa_url=real_core.rasa_url, rasa_token=real_core.token,
                             content_conflict_confidence=THRESHOLD)
    add_user(staff.engine, "erika", roles="editor")
    for text in ("Wann kommt die Müllabfuhr nach Pfingsten?", PASSPORT):
        assert (await staff.report({"text": text, "language": "de", "channel": "webchat"}))[0] == 201
    rubbish_id, passport_id = (str(row.id) for row in staff.rows())
    erika = browsers(staff.url)
    await erika.login("erika")
    rubbish_file = staff.content / "abfallkalender.yml"
    original = rubbish_file.read_bytes()

    # the passport question filed under the waste calendar: flagged, nothing written
    status, page, _ = await erika.post("/console/unanswered/assign", ids=passport_id, topic="abfallkalender",
                                       language="de", example=PASSPORT)
    assert status == 409 and "Das Modell sieht ein anderes Thema" in page
    assert "(personalausweis)" in page and 'name="confirm" value="1"' in page
    assert rubbish_file.read_bytes() == original
    assert [r.status for r in staff.rows()] == ["open", "open"]

    # confirmed: written, and the audit log says the editor overrode the model
    _, _, location = await erika.post("/console/unanswered/assign", ids=passport_id, topic="abfallkalender",
                                      language="de", example=PASSPORT, confirm="1")
    assert location == "/console/unanswered?msg=assigned"
    assert examples(rubbish_file.read_text("utf-8"))["de"][-1] == PASSPORT
    assert staff.audit()[-1].detail.endswith("nach Hinweis des Modells bestätigt")

    # an example the model agrees with (or is unsure about) goes in with one click
    _, _, location = await erika.post("/console/unanswered/assign", ids=rubbish_id, topic="abfallkalender",
                                      language="de", example="Wann kommt die Müllabfuhr nach Pfingsten?")
    assert location == "/console/unanswered?msg=assigned"
    assert staff.audit()[-1].detail == \
        "abfallkalender/de +„Wann kommt die Müllabfuhr nach Pfingsten?“ (1 Frage)"
