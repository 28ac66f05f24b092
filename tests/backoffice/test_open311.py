"""Open311 GeoReport v2 as an existing client calls it: form-encoded POST with api_key, lat/long,
service_code, description, email; public reads without personal data; filters; Open311 errors."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from backoffice.models import Case
from tests.backoffice.case_support import (  # noqa: F401 - fixtures
    clock,
    database_url,
    pg_url,
    prefix,
    rdb,
    serve,
    sqlite_url,
)
from tests.backoffice.test_api_cases import body

KEY = "open311-key-of-the-town-app"
V2 = "/open311/v2"


async def _open311(served, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    async with served.http.request(method, served.url + V2 + path, **kwargs) as reply:
        assert reply.content_type == "application/json"
        return reply.status, await reply.json()


def report(**overrides: str) -> dict[str, str]:
    form = {"api_key": KEY, "jurisdiction_id": "maerkischer-kreis.de", "service_code": "road_damage",
            "lat": "51.219912", "long": "7.637081", "address_string": "Altenaer Straße 12, 58507 Lüdenscheid",
            "description": "Großes Schlagloch vor der Bäckerei", "email": "melder@example.org",
            "first_name": "Paula", "last_name": "Probe", "phone": "02351 987654",
            "device_id": "abc", "media_url": "https://example.org/foto.jpg"}
    form.update(overrides)
    return form


async def test_services(serve, sqlite_url) -> None:  # noqa: F811
    served = await serve(sqlite_url, open311_api_keys=KEY)
    status, services = await _open311(served, "GET", "/services.json")
    assert status == 200
    assert [s["service_code"] for s in services] == \
        ["road_damage", "illegal_dumping", "damaged_sign", "other"]
    assert all(s["metadata"] is False and s["type"] == "realtime" and s["service_name"] for s in services)
    assert await _open311(served, "GET", "/services/road_damage.json") == \
        (200, {"service_code": "road_damage", "attributes": []})
    assert await _open311(served, "GET", "/services/parking.json") == \
        (404, [{"code": 404, "description": "service_code not found"}])


async def test_post_form_encoded_then_read_without_personal_data(serve, database_url) -> None:  # noqa: F811
    served = await serve(database_url, open311_api_keys=f"other-key, {KEY}")
    status, reply = await _open311(served, "POST", "/requests.json", data=report())
    assert status == 201
    ref = reply[0]["service_request_id"]
    assert ref.startswith("MK-") and "Stadt Lüdenscheid" in reply[0]["service_notice"]  # postcode 58507
    case = served.service.db.call(lambda s: s.query(Case).one())
    assert (case.kind, case.channel, case.town, case.data) == \
        ("maengelmeldung", "open311", "luedenscheid", {"category": "road_damage"})
    assert case.contact_email == "melder@example.org" and case.contact_name == "Paula Probe"
    assert case.contact_phone == "+492351987654" and case.description.startswith("Großes Schlagloch")

    status, found = await _open311(served, "GET", f"/requests/{ref}.json")
    assert status == 200 and len(found) == 1
    item = found[0]
    assert item["service_request_id"] == ref and item["status"] == "open"
    assert item["service_code"] == "road_damage"
    assert (item["lat"], item["long"]) == (51.22, 7.637)
    public = str(found)
    for personal in ("melder@example.org", "Paula", "Probe", "987654", "Schlagloch vor", "Altenaer",
                     "foto.jpg"):
        assert personal not in public
    assert await _open311(served, "GET", "/requests/MK-2026-999999-0.json") == \
        (404, [{"code": 404, "description": "service_request_id not found"}])


async def test_requests_filters(serve, database_url, clock) -> None:  # noqa: F811
    served = await serve(database_url, clock, open311_api_keys=KEY)
    _, first = await _open311(served, "POST", "/requests.json", data=report())
    _, second = await _open311(served, "POST", "/requests.json",
                               data=report(service_code="illegal_dumping", address_string="", lat="51.3",
                                           long="7.7"))
    clock.advance(days=2)
    _, third = await _open311(served, "POST", "/requests.json", data=report(service_code="damaged_sign"))
    # a chat case that is not a defect report never shows up
    await served.call("POST", "/api/v1/cases", json=body(kind="rueckruf"))
    refs = [r[0]["service_request_id"] for r in (first, second, third)]
    await served.service.change_status(refs[1], "done", None, "anna", notify_citizen=False)

    async def ids(**params: str) -> list[str]:
        status, found = await _open311(served, "GET", "/requests.json", params=params)
        assert status == 200
        return sorted(item["service_request_id"] for item in found)

    assert await ids() == sorted(refs)
    assert await ids(status="closed") == [refs[1]]
    assert await ids(status="open") == sorted([refs[0], refs[2]])
    assert await ids(service_code="road_damage,damaged_sign") == sorted([refs[0], refs[2]])
    assert await ids(service_request_id=f"{refs[0]},{refs[2].lower()}") == sorted([refs[0], refs[2]])
    assert await ids(start_date="2026-12-08T00:00:00+01:00") == [refs[2]]
    assert await ids(end_date="2026-12-08T00:00:00Z") == sorted(refs[:2])
    _, found = await _open311(served, "GET", "/requests.json", params={"status": "closed"})
    assert found[0]["status"] == "closed" and found[0]["status_notes"] == "erledigt"
    assert await _open311(served, "GET", "/requests.json", params={"start_date": "gestern"}) == \
        (400, [{"code": 400, "description":
                "start_date must be a W3C date and time, e.g. 2026-12-07T10:00:00+01:00"}])
    assert (await _open311(served, "GET", "/requests.json", params={"status": "pending"}))[0] == 400


@pytest.mark.parametrize(("form", "status", "description"), [
    (report(api_key="wrong"), 403, "api_key missing or not valid"),
    ({k: v for k, v in report().items() if k != "api_key"}, 403, "api_key missing or not valid"),
    (report(service_code="graffiti"), 400, "service_code missing or unknown (GET services.json)"),
    (report(lat="", long="", address_string=""), 400, "lat and long or address_string required"),
    (report(lat="151.0"), 400, "lat must be between -90 and 90"),
    (report(email="no-at-sign"), 400, "contact.email must be an e-mail address"),
])
async def test_post_errors(serve, sqlite_url, form, status, description) -> None:  # noqa: F811
    served = await serve(sqlite_url, open311_api_keys=KEY)
    assert await _open311(served, "POST", "/requests.json", data=form) == \
        (status, [{"code": status, "description": description}])
    assert served.service.db.call(lambda s: s.query(Case).count()) == 0


async def test_post_is_off_without_configured_keys(serve, sqlite_url) -> None:  # noqa: F811
    served = await serve(sqlite_url, open311_api_keys="")
    status, _ = await _open311(served, "POST", "/requests.json", data=report(api_key=""))
    assert status == 403


async def test_api_key_in_query_string_like_some_clients(serve, sqlite_url) -> None:  # noqa: F811
    served = await serve(sqlite_url, open311_api_keys=KEY)
    form = {k: v for k, v in report().items() if k != "api_key"}
    async with served.http.post(f"{served.url}{V2}/requests.json", params={"api_key": KEY},
                                data=aiohttp.FormData(form)) as reply:
        assert reply.status == 201
