"""The console's analytics page: roles, date range, server-side SVG charts, CSV export (SQLite, PG)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

from channels import feedback
from channels.analytics import Counters
from channels.keys import Keys
from channels.messages import Channel
from tests.backoffice.console_support import TOKEN, add_case, add_user

SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)
NS = "{http://www.w3.org/2000/svg}"
RANGE = "from=2026-12-06&to=2026-12-07"


async def _seed(rdb, prefix: str, engine) -> None:
    """Two days of traffic, votes and a handoff in Redis; cases in and outside the range in SQL."""
    keys = Keys(prefix)
    counters = Counters(rdb, keys, 400)
    d6, d7 = date(2026, 12, 6), date(2026, 12, 7)
    for n in range(4):
        await counters.turn(Channel.WEBCHAT, f"w{n % 2}", "nlu_fallback" if n == 0 else "faq",
                            ["kfz_zulassung"], True, day=d6)
    await counters.turn(Channel.TELEGRAM, "t1", "faq", ["wohngeld"], True, day=d7)
    await counters.handoff("webchat", "w1", d6)
    votes = feedback.Votes(rdb, keys, counters, 3600)
    yes, no = feedback.Vote.YES, feedback.Vote.NO
    for conversation, vote in (("w0", yes), ("w1", yes), ("t1", no)):
        press = feedback.parse(feedback.Offer("kfz_zulassung", "a1").payload(vote))
        assert await votes.record(conversation, press, d6)
    at = datetime(2026, 12, 6, 10, tzinfo=UTC)
    add_case(engine, "MK-2026-000011", "c1", created=at)
    add_case(engine, "MK-2026-000028", "c2", created=at)
    add_case(engine, "MK-2026-000035", "c3", created=datetime(2026, 12, 7, 8, tzinfo=UTC), kind="rueckruf")
    add_case(engine, "MK-2026-000042", "c4", created=datetime(2026, 10, 1, 8, tzinfo=UTC), kind="termin")
    # 23:30 UTC on 7 Dec is 00:30 on 8 Dec in Berlin: outside the range
    add_case(engine, "MK-2026-000059", "c5", created=datetime(2026, 12, 7, 23, 30, tzinfo=UTC), kind="termin")


async def _editor(start_console, browsers, engine, roles: str = "editor"):
    add_user(engine, "erika", roles, "Erika Editor")
    server = await start_console(database=engine)
    browser = browsers(server.url)
    await browser.login("erika")
    return server, browser


async def _check_page_and_csv(start_console, browsers, engine, rdb, prefix) -> None:
    await _seed(rdb, prefix, engine)
    server, browser = await _editor(start_console, browsers, engine)
    async with browser.session.get(f"{server.url}/console/analytics?{RANGE}") as reply:
        assert reply.status == 200
        assert "script-src" not in reply.headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in reply.headers["Content-Security-Policy"]
        page = await reply.text()
    assert "<script" not in page and "style=" not in page
    assert 'href="/console/analytics">Auswertung</a>' in page
    charts = {}
    for raw in SVG.findall(page):
        svg = ET.fromstring(raw)  # well-formed XML
        charts[svg.find(f"{NS}title").text] = svg
    assert set(charts) == {"Nachrichten pro Tag und Kanal", "Gespräche pro Tag und Kanal",
                           "Anteil nicht verstanden und Übergabequote pro Tag", "Häufigste Themen",
                           "Anliegen pro Art", "War das hilfreich?"}

    def tips(title: str) -> set[str]:
        return {t.text for t in charts[title].iter(f"{NS}title")} - {title}

    assert tips("War das hilfreich?") == {"kfz_zulassung, Ja: 2", "kfz_zulassung, Nein: 1"}
    assert tips("Anliegen pro Art") == {"Mängelmeldung, Anliegen: 2", "Rückrufbitte, Anliegen: 1"}
    assert "12-06, webchat: 4" in tips("Nachrichten pro Tag und Kanal")
    assert "12-07, telegram: 1" in tips("Nachrichten pro Tag und Kanal")
    assert "12-06, Nicht verstanden: 25 %" in tips("Anteil nicht verstanden und Übergabequote pro Tag")
    assert "12-06, Übergabequote: 50 %" in tips("Anteil nicht verstanden und Übergabequote pro Tag")
    assert tips("Häufigste Themen") == {"kfz_zulassung, Antworten: 4", "wohngeld, Antworten: 1"}
    assert "<td>Fahrzeug zulassen</td>" in page  # the catalogue's title next to the id

    expected = {
        "feedback": "Thema,Titel,Ja,Nein,Hilfreich (%)\r\nkfz_zulassung,Fahrzeug zulassen,2,1,66.7\r\n",
        "requests": "Art,Bezeichnung,Anliegen\r\nmaengelmeldung,Mängelmeldung,2\r\n"
                    "rueckruf,Rückrufbitte,1\r\n",
        "traffic": "Tag,Kanal,Gespräche,Nachrichten\r\n2026-12-06,webchat,2,4\r\n2026-12-07,telegram,1,1\r\n",
        "quality": "Tag,Antworten des Assistenten,Nicht verstanden,Nicht verstanden (%),Gespräche,"
                   "Wunsch nach Mitarbeitenden,Übergabequote (%)\r\n2026-12-06,4,1,25.0,2,1,50.0\r\n"
                   "2026-12-07,1,0,0.0,1,0,0.0\r\n",
        "topics": "Thema,Titel,Antworten\r\nkfz_zulassung,Fahrzeug zulassen,4\r\n"
                  "wohngeld,Wohngeld beantragen,1\r\n",
    }
    for name, content in expected.items():
        assert f'href="/console/analytics/{name}.csv?from=2026-12-06&amp;to=2026-12-07"' in page
        async with browser.session.get(f"{server.url}/console/analytics/{name}.csv?{RANGE}") as reply:
            assert reply.status == 200 and reply.content_type == "text/csv"
            assert reply.headers["Content-Disposition"] == \
                f'attachment; filename="auswertung-{name}-2026-12-06-2026-12-07.csv"'
            assert (await reply.read()).decode("utf-8") == content


async def test_page_and_csv_on_sqlite(start_console, browsers, engine, rdb, prefix) -> None:
    await _check_page_and_csv(start_console, browsers, engine, rdb, prefix)


async def test_page_and_csv_on_postgresql(start_console, browsers, pg_engine, rdb, prefix) -> None:
    await _check_page_and_csv(start_console, browsers, pg_engine, rdb, prefix)


async def test_default_range_is_the_last_30_days(start_console, browsers, engine, rdb, prefix) -> None:
    await _seed(rdb, prefix, engine)
    _, browser = await _editor(start_console, browsers, engine, roles="admin")  # admins see it too
    status, page = await browser.get("/console/analytics")
    assert status == 200 and "Zeitraum 08.11.2026 bis 07.12.2026" in page
    assert "<td>termin</td>" not in page  # the October case and the one of 8 December are outside
    status, csv = await browser.get("/console/analytics/requests.csv")
    assert status == 200 and "termin" not in csv


async def test_only_editors_and_admins(start_console, browsers, engine) -> None:
    add_user(engine, "stefan", "staff")
    server = await start_console()
    anonymous = browsers(server.url)
    status, _ = await anonymous.get("/console/analytics")
    assert status == 303
    assert (await anonymous.get("/console/analytics/topics.csv"))[0] == 303
    staff = browsers(server.url)
    await staff.login("stefan")
    status, page = await staff.get("/console/analytics")
    assert status == 403 and "editor oder admin" in page
    assert (await staff.get("/console/analytics/topics.csv"))[0] == 403
    assert "/console/analytics" not in (await staff.get("/console/"))[1]  # no link either


async def test_bad_range_and_unknown_table(start_console, browsers, engine) -> None:
    _, browser = await _editor(start_console, browsers, engine)
    for query, message in (("from=2026-13-01", "JJJJ-MM-TT"), ("from=2026-12-07&to=2026-12-01", "nach dem"),
                           ("from=2020-01-01&to=2026-12-07", "höchstens")):
        status, page = await browser.get(f"/console/analytics?{query}")
        assert status == 400 and message in page and "Traceback" not in page
    status, _ = await browser.get("/console/analytics/cases.csv")
    assert status == 404


async def test_asking_for_staff_is_counted_once_per_conversation(start_console, browsers, engine, http, rdb,
                                                                 prefix) -> None:
    server, browser = await _editor(start_console, browsers, engine)
    body = {"conversation_id": "c-hand", "channel": "webchat", "language": "de", "topic": None,
            "reason": "asked"}
    for _ in range(2):
        async with http.post(f"{server.url}/api/v1/handoff", json=body,
                             headers={"Authorization": f"Bearer {TOKEN}"}) as reply:
            assert reply.status == 200
    status, csv = await browser.get("/console/analytics/quality.csv?from=2026-12-07&to=2026-12-07")
    assert status == 200 and csv.splitlines()[1] == "2026-12-07,0,0,0.0,0,1,0.0"
