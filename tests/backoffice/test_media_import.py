"""Channel photos imported into the case: the case service asks the real gateway, which fetches them from
the fake Telegram Bot API; staff see them in the console. Without the gateway the case is created all the
same, and opening the case or the photo later imports it, or else the next housekeeping round.

SQLite, and PostgreSQL when it is reachable (skipped with the reason otherwise).
"""

from __future__ import annotations

import aiohttp
import pytest
from sqlalchemy import Engine, select

from backoffice import db, media_import
from backoffice.app import housekeeping_once
from backoffice.appointments import Appointments
from backoffice.models import Attachment
from tests.backoffice.console_support import TOKEN, ConsoleServer, add_user
from tests.backoffice.test_api_cases import body as case_body
from tests.backoffice.test_console_cases import _with_case_api
from tests.channels.case_service import jpeg, png
from tests.channels.conftest import free_port
from tests.channels.fake_telegram import SECRET, FakeBotApi
from tests.channels.fake_telegram import TOKEN as BOT_TOKEN

pytestmark = pytest.mark.usefixtures("staff_side_database")
FILE_ID = "AgACAgIAAxkBAAIBphoto"
NOT_NOW = "Foto aus Telegram konnte gerade nicht geladen werden; bitte später erneut öffnen."


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request) -> Engine:
    return request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")


@pytest.fixture
def start_telegram_gateway(make_settings, start_gateway, api: FakeBotApi):
    async def start(internal_port: int = 0):
        return await start_gateway(make_settings(
            case_service_token=TOKEN, telegram_bot_token=BOT_TOKEN, telegram_webhook_secret=SECRET,
            telegram_api_base=api.base), internal_port)

    return start


async def create_case(server: ConsoleServer, media: list[str], key: str = "conv-a:m1") -> str:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as client, \
            client.post(f"{server.url}/api/v1/cases", json=case_body(key=key, media=media)) as reply:
        assert reply.status == 201
        return (await reply.json())["reference"]


def attachments(engine: Engine) -> list[tuple[str, bytes | None, str, int, str | None, str | None]]:
    return db.Database(engine).call(lambda s: [
        (a.id, a.data, a.content_type, a.size, a.external_ref, a.import_error)
        for a in s.scalars(select(Attachment).order_by(Attachment.created_at, Attachment.id))])


async def test_a_telegram_photo_is_imported_at_creation_and_shown_to_staff(
        start_telegram_gateway, start_console, browsers, api, database) -> None:
    photo = png(5, 4)
    api.add_file(FILE_ID, photo)
    gateway = await start_telegram_gateway()
    server = await start_console(notify_url=gateway.internal_url, database=database, extend=_with_case_api)
    ref = await create_case(server, [f"telegram:{FILE_ID}"])
    await server.console.cases.drain()  # the background import
    [(attachment_id, data, content_type, size, external, error)] = attachments(database)
    assert (data, content_type, size, external, error) == (photo, "image/png", len(photo),
                                                           f"telegram:{FILE_ID}", None)

    add_user(database, "anna")
    browser = browsers(server.url)
    await browser.login("anna")
    url = f"/console/cases/{ref}/media/{attachment_id}"
    status, page = await browser.get(f"/console/cases/{ref}")
    assert status == 200 and f'<img src="{url}"' in page and NOT_NOW not in page
    async with browser.session.get(server.url + url) as reply:
        assert reply.status == 200 and await reply.read() == photo
        assert reply.headers["Content-Type"] == "image/png"
    assert len(api.calls_of("getFile")) == 1  # stored: never fetched again


async def test_with_the_gateway_down_the_case_is_created_and_opening_it_later_imports_the_photo(
        start_telegram_gateway, start_console, browsers, api, engine) -> None:
    photo = jpeg(3000)
    api.add_file(FILE_ID, photo)
    api.add_file("AgADsecond", png())
    port = free_port()  # where the gateway will be: nothing listens there yet
    server = await start_console(notify_url=f"http://127.0.0.1:{port}", extend=_with_case_api)
    ref = await create_case(server, [f"telegram:{FILE_ID}", "telegram:AgADsecond"])
    await server.console.cases.drain()
    pending = [(None, "external", 0, f"telegram:{FILE_ID}", None),
               (None, "external", 0, "telegram:AgADsecond", None)]
    assert sorted(row[1:] for row in attachments(engine)) == pending  # bytes not there, nothing final
    ids = {row[4]: row[0] for row in attachments(engine)}
    first, second = ids[f"telegram:{FILE_ID}"], ids["telegram:AgADsecond"]

    add_user(engine, "anna")
    browser = browsers(server.url)
    await browser.login("anna")
    status, page = await browser.get(f"/console/cases/{ref}")
    assert status == 200 and page.count(NOT_NOW) == 2 and f"Foto 2: {NOT_NOW}" in page
    status, page = await browser.get(f"/console/cases/{ref}/media/{first}")
    assert status == 503 and NOT_NOW in page

    await start_telegram_gateway(port)
    async with browser.session.get(f"{server.url}/console/cases/{ref}/media/{first}") as reply:
        assert reply.status == 200 and await reply.read() == photo  # imported on demand
        assert reply.headers["Content-Type"] == "image/jpeg"
    assert all(row[1] is not None for row in attachments(engine))  # the page's other photo with it
    status, page = await browser.get(f"/console/cases/{ref}")
    assert f'<img src="/console/cases/{ref}/media/{second}"' in page and NOT_NOW not in page


async def test_housekeeping_imports_what_was_left_pending_without_anyone_opening_the_case(
        start_telegram_gateway, start_console, api, engine, rdb) -> None:
    photo = jpeg(2000)
    api.add_file(FILE_ID, photo)
    port = free_port()  # the gateway is away when the case is created
    server = await start_console(notify_url=f"http://127.0.0.1:{port}", extend=_with_case_api)
    await create_case(server, [f"telegram:{FILE_ID}"])
    service = server.console.cases
    await service.drain()
    assert await service.media.import_pending() == 0  # still away: the round ends quietly
    assert [row[1] for row in attachments(engine)] == [None]

    await start_telegram_gateway(port)
    await housekeeping_once(service, Appointments(service, rdb))
    assert [row[1:4] for row in attachments(engine)] == [(photo, "image/jpeg", len(photo))]
    assert await service.media.import_pending() == 0  # nothing pending any more
    assert len(api.calls_of("getFile")) == 1


async def test_what_the_gateway_refuses_for_good_is_recorded_once_and_not_asked_again(
        start_telegram_gateway, start_console, browsers, api, database) -> None:
    api.add_file("AgADnotaphoto", b"%PDF-1.7 not a photo")
    gateway = await start_telegram_gateway()
    server = await start_console(notify_url=gateway.internal_url, database=database, extend=_with_case_api)
    ref = await create_case(server, ["telegram:AgADexpired", "telegram:AgADnotaphoto",
                                     "https://example.org/foto.jpg"])
    await server.console.cases.drain()
    assert sorted(row[5] for row in attachments(database)) == ["gone", "not_image", "refused"]
    assert all(row[1] is None and row[4] for row in attachments(database))
    calls = len(api.calls_of("getFile"))
    assert calls == 2

    add_user(database, "anna")
    browser = browsers(server.url)
    await browser.login("anna")
    _, page = await browser.get(f"/console/cases/{ref}")
    assert "aus Telegram ist beim Kanal nicht mehr abrufbar" in page
    assert "ist kein Foto im Format JPEG, PNG oder WebP" in page
    assert "im Kanal webchat gesendet, hier nicht gespeichert" in page and NOT_NOW not in page
    gone = next(row[0] for row in attachments(database) if row[5] == "gone")
    assert (await browser.get(f"/console/cases/{ref}/media/{gone}"))[0] == 404
    assert len(api.calls_of("getFile")) == calls  # not asked again


def test_only_a_channels_photo_without_bytes_and_without_a_final_error_is_pending() -> None:
    def item(**values) -> Attachment:
        return Attachment(**{"data": None, "external_ref": "telegram:x", "import_error": None, **values})

    assert media_import.is_pending(item())
    assert not media_import.is_pending(item(data=b"\xff\xd8\xff"))
    assert not media_import.is_pending(item(import_error="gone"))
    assert not media_import.is_pending(item(external_ref=None))
