"""The case API over real HTTP on SQLite and PostgreSQL: create, idempotency, routing, status privacy,
mistyped numbers, rate limits, media upload."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from backoffice import reference
from backoffice.models import Attachment, Case, CaseEvent
from tests.backoffice.case_support import (  # noqa: F401 - fixtures
    TOKEN,
    database_url,
    pg_url,
    prefix,
    rdb,
    serve,
    sqlite_url,
)
from tests.channels.case_service import jpeg, png


def body(key: str = "conv-a:m1", kind: str = "maengelmeldung", conversation: str = "conv-a",
         **extra: Any) -> dict[str, Any]:
    data = {
        "maengelmeldung": {"category": "road_damage", "description": "Tiefes Schlagloch vor Nr. 12"},
        "sperrmuell_anmelden": {"items": "Sofa, zwei Stühle", "preferred_date": "2026-12-15"},
        "rueckruf": {"topic": "kfz_zulassung", "phone": "02351 123456", "window": "vormittags"},
    }[kind]
    return {"idempotency_key": key, "kind": kind, "conversation_id": conversation, "channel": "webchat",
            "language": "de", "data": data,
            "place": {"town": "iserlohn", "address": "Hauptstraße 12", "lat": None, "lon": None},
            "contact": {"name": "Erika Mustermann", "phone": None, "email": "erika@example.org"},
            "media": [], **extra}


async def test_create_and_read_status(serve, database_url) -> None:  # noqa: F811
    served = await serve(database_url)
    status, created, _ = await served.call("POST", "/api/v1/cases", json=body())
    assert status == 201, created
    assert reference.parse(created["reference"]) is not None
    assert created["reference"].startswith("MK-")
    assert len(created["pin"]) == 6 and created["pin"].isdigit()
    # a pothole on a town road in Iserlohn is the town's: forwarded
    assert created["routed_to"] == {"kind": "town", "id": "iserlohn", "name": created["routed_to"]["name"]}
    assert created["forwarded"] is True and created["status"] == "forwarded"

    status, view, _ = await served.call("GET", f"/api/v1/cases/{created['reference']}",
                                        params={"conversation_id": "conv-a"})
    assert status == 200
    assert view["reference"] == created["reference"] and view["kind"] == "maengelmeldung"
    assert view["status"] == "forwarded" and view["appointment"] is None
    assert "+01:00" in view["updated_at"]  # Berlin time in December
    assert "Schlagloch" not in json.dumps(view) and "Erika" not in json.dumps(view)

    # the personal fields are stored apart from the kind's data; the PIN only as a hash
    case = served.service.db.call(lambda s: s.query(Case).one())
    assert case.description == "Tiefes Schlagloch vor Nr. 12" and case.contact_email == "erika@example.org"
    assert case.data == {"category": "road_damage"}
    assert created["pin"] not in case.pin_hash and case.pin_hash.startswith("$argon2")


async def test_same_idempotency_key_gives_one_case(serve, database_url) -> None:  # noqa: F811
    served = await serve(database_url)
    first = await served.call("POST", "/api/v1/cases", json=body("conv-a:m7"))
    again = await served.call("POST", "/api/v1/cases", json=body("conv-a:m7"))
    assert (first[0], again[0]) == (201, 200)
    assert again[1] == first[1]  # the same reference and the same PIN
    # concurrent duplicates too
    results = await asyncio.gather(*[served.call("POST", "/api/v1/cases", json=body("conv-a:m8"))
                                     for _ in range(5)])
    assert sorted(status for status, _, _ in results) == [200, 200, 200, 200, 201]
    assert len({reply["reference"] for _, reply, _ in results}) == 1
    assert served.service.db.call(lambda s: s.query(Case).count()) == 2


async def test_sequence_numbers_are_consecutive_under_concurrency(serve, database_url) -> None:  # noqa: F811
    served = await serve(database_url)
    results = await asyncio.gather(*[served.call("POST", "/api/v1/cases", json=body(f"conv-a:p{n}"))
                                     for n in range(12)])
    assert all(status == 201 for status, _, _ in results)
    numbers = sorted(reference.parse(reply["reference"]).seq for _, reply, _ in results)
    assert numbers == list(range(1, 13))


@pytest.mark.parametrize(("kind", "place", "data", "expected"), [
    ("maengelmeldung", {"town": "iserlohn", "address": "K 12 zwischen Iserlohn und Hemer"},
     {"category": "road_damage", "description": "Schlagloch"}, ("department", "strassenbau", False)),
    ("maengelmeldung", {"town": "balve", "address": None, "lat": 51.33, "lon": 7.86},
     {"category": "illegal_dumping", "description": "Müll im Wald"},
     ("department", "abfallwirtschaft", False)),
    ("maengelmeldung", {"town": "hemer", "address": "Hauptstraße 3"},
     {"category": "illegal_dumping", "description": "Müll am Straßenrand"}, ("town", "hemer", True)),
    ("maengelmeldung", None, {"category": "other", "description": "Laterne kaputt"},
     ("department", "buergerservice", False)),
    ("sperrmuell_anmelden", {"town": "menden"}, {"items": "Schrank", "preferred_date": "2026-12-20"},
     ("town", "menden", True)),
    ("rueckruf", None, {"topic": "aufenthaltstitel", "phone": "+49 2351 123456", "window": "nachmittags"},
     ("department", "auslaenderbehoerde", False)),
    ("rueckruf", None, {"topic": "unbekannt", "phone": "02351 123456", "window": "egal"},
     ("department", "buergerservice", False)),
])
async def test_routing(serve, sqlite_url, kind, place, data, expected) -> None:  # noqa: F811
    served = await serve(sqlite_url)
    request = {**body(kind=kind), "place": place, "data": data}
    status, created, _ = await served.call("POST", "/api/v1/cases", json=request)
    assert status == 201, created
    routed = created["routed_to"]
    assert (routed["kind"], routed["id"], created["forwarded"]) == expected
    assert routed["name"]


async def test_rueckruf_phone_is_contact_data_not_case_data(serve, sqlite_url) -> None:  # noqa: F811
    served = await serve(sqlite_url)
    status, _, _ = await served.call("POST", "/api/v1/cases", json=body(kind="rueckruf"))
    assert status == 201
    case = served.service.db.call(lambda s: s.query(Case).one())
    assert case.contact_phone == "+492351123456"
    assert case.data == {"topic": "kfz_zulassung", "window": "vormittags"}


@pytest.mark.parametrize(("patch", "message"), [
    ({"kind": "falschparker"}, "kind must be one of"),
    ({"data": {"category": "road_damage"}}, "description"),
    ({"conversation_id": "has spaces"}, "conversation_id"),
    ({"channel": "fax"}, "channel must be one of"),
    ({"language": "fr"}, "language must be one of"),
    ({"place": {"town": "Iserlohn!"}}, "place.town"),
    ({"place": {"lat": 123.0}}, "place.lat"),
    ({"contact": {"email": "kein-at"}}, "contact.email"),
    ({"media": ["/etc/passwd"]}, "media"),
])
async def test_bad_bodies_get_400_with_one_line(serve, sqlite_url, patch, message) -> None:  # noqa: F811
    served = await serve(sqlite_url)
    status, reply, raw = await served.call("POST", "/api/v1/cases", json={**body(), **patch})
    assert status == 400
    assert set(reply) == {"error"} and message in reply["error"] and b"\n" not in raw.strip()


async def test_bad_token_and_not_json(serve, sqlite_url) -> None:  # noqa: F811
    served = await serve(sqlite_url)
    assert (await served.call("POST", "/api/v1/cases", json=body(), token=None))[0] == 401
    assert (await served.call("POST", "/api/v1/cases", json=body(), token=TOKEN + "x"))[0] == 401
    status, reply, _ = await served.call("POST", "/api/v1/cases", data=b"{nope")
    assert (status, reply) == (400, {"error": "body is not JSON"})


async def test_status_privacy_identical_for_existing_and_missing(serve, database_url) -> None:  # noqa: F811
    served = await serve(database_url)
    _, created, _ = await served.call("POST", "/api/v1/cases", json=body())
    existing = created["reference"]
    parsed = reference.parse(existing)
    missing = reference.make("MK", parsed.year, parsed.seq + 500)
    answers = []
    for ref in (existing, missing):
        async with served.http.get(f"{served.url}/api/v1/cases/{ref}", params={"conversation_id": "conv-b"},
                                   headers={"Authorization": f"Bearer {TOKEN}"}) as reply:
            answers.append((reply.status, reply.headers["Content-Type"], reply.headers["Content-Length"],
                            await reply.read()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 404 and json.loads(answers[0][3]) == {"error": "not found"}
    # the same with a wrong PIN
    wrong_pin = "000000" if created["pin"] != "000000" else "111111"
    replies = [await served.call("GET", f"/api/v1/cases/{ref}",
                                 params={"conversation_id": "conv-c", "pin": wrong_pin})
               for ref in (existing, missing)]
    assert replies[0][0] == replies[1][0] == 404 and replies[0][2] == replies[1][2]
    # another conversation with the right PIN may read it (e.g. the citizen on another channel)
    status, view, _ = await served.call("GET", f"/api/v1/cases/{existing.lower().replace('-', ' ')}",
                                        params={"conversation_id": "conv-d", "pin": created["pin"]})
    assert status == 200 and view["reference"] == existing


async def test_mistyped_reference_gets_422(serve, sqlite_url) -> None:  # noqa: F811
    served = await serve(sqlite_url)
    _, created, _ = await served.call("POST", "/api/v1/cases", json=body())
    ref = created["reference"]
    typo = ref[:-1] + str((int(ref[-1]) + 3) % 10)
    status, reply, _ = await served.call("GET", f"/api/v1/cases/{typo}", params={"conversation_id": "conv-a"})
    assert (status, reply) == (422, {"error": "check digit does not match"})


async def test_lookup_rate_limit_per_conversation(serve, sqlite_url) -> None:  # noqa: F811
    served = await serve(sqlite_url)
    _, created, _ = await served.call("POST", "/api/v1/cases", json=body())
    path = f"/api/v1/cases/{created['reference']}"
    statuses = [(await served.call("GET", path, params={"conversation_id": "conv-a"}))[0] for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    # another conversation has its own budget
    assert (await served.call("GET", path, params={"conversation_id": "conv-e"}))[0] == 404


async def test_wrong_pin_limit_per_conversation(serve, sqlite_url) -> None:  # noqa: F811
    served = await serve(sqlite_url, status_lookups_per_minute=50)
    _, created, _ = await served.call("POST", "/api/v1/cases", json=body())
    path = f"/api/v1/cases/{created['reference']}"
    wrong = [f"{n:06d}" for n in range(10) if f"{n:06d}" != created["pin"]][:5]
    for pin in wrong:
        assert (await served.call("GET", path, params={"conversation_id": "guesser", "pin": pin}))[0] == 404
    # the sixth attempt is refused even with the right PIN
    status, reply, _ = await served.call("GET", path, params={"conversation_id": "guesser",
                                                              "pin": created["pin"]})
    assert status == 429 and set(reply) == {"error"}
    # lookups without a PIN are not affected by the PIN limit
    assert (await served.call("GET", path, params={"conversation_id": "conv-a"}))[0] == 200


async def test_media_upload_and_attach(serve, database_url) -> None:  # noqa: F811
    served = await serve(database_url)
    status, reply, _ = await served.call("POST", "/api/v1/media", data=png())
    assert status == 201 and reply["id"].startswith("att_")
    _, created, _ = await served.call("POST", "/api/v1/cases",
                                      json=body(media=[reply["id"], "telegram:AgAD-file_1"]))
    rows = served.service.db.call(lambda s: [(a.id, a.case_id is not None, a.content_type, a.external_ref)
                                              for a in s.query(Attachment).order_by(Attachment.created_at)])
    assert (reply["id"], True, "image/png", None) in rows
    assert any(ref == "telegram:AgAD-file_1" and attached for _, attached, _, ref in rows)
    assert created["reference"]


@pytest.mark.parametrize(("payload", "status", "error"), [
    (b"GIF89a" + b"\x00" * 100, 415, "only JPEG, PNG or WebP images"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", 415, "only JPEG, PNG or WebP images"),
    (jpeg(5 * 1024 * 1024 + 1), 413, "image larger than 5 MB"),
])
async def test_media_rejects(serve, sqlite_url, payload, status, error) -> None:  # noqa: F811
    served = await serve(sqlite_url)
    got = await served.call("POST", "/api/v1/media", data=payload, headers={"Content-Type": "image/png"})
    assert (got[0], got[1]) == (status, {"error": error})
    assert served.service.db.call(lambda s: s.query(Attachment).count()) == 0


async def test_media_accepts_webp_and_large_jpeg(serve, sqlite_url) -> None:  # noqa: F811
    served = await serve(sqlite_url)
    webp = b"RIFF" + (100).to_bytes(4, "little") + b"WEBPVP8 " + b"\x00" * 100
    for payload, kind in ((webp, "image/webp"), (jpeg(5 * 1024 * 1024), "image/jpeg")):
        status, reply, _ = await served.call("POST", "/api/v1/media", data=payload)
        assert status == 201
        stored = served.service.db.call(lambda s, i=reply["id"]: s.get(Attachment, i))
        assert stored.content_type == kind and stored.size == len(payload)


async def test_first_events_are_recorded(serve, sqlite_url) -> None:  # noqa: F811
    served = await serve(sqlite_url)
    await served.call("POST", "/api/v1/cases", json=body())
    events = served.service.db.call(lambda s: [(e.actor, e.status, e.internal) for e in
                                               s.query(CaseEvent).order_by(CaseEvent.id)])
    assert events == [("citizen", "received", False), ("system", "forwarded", False)]
