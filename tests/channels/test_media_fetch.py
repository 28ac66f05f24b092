"""``GET /internal/v1/media``: the gateway fetches a channel's photo for the case service, with the
channel's own credentials, against the fakes of the Telegram Bot API and of Twilio."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.channels import fake_twilio
from tests.channels.case_service import jpeg, png
from tests.channels.conftest import Gateway
from tests.channels.fake_telegram import SECRET, TOKEN, FakeBotApi
from tests.channels.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, WHATSAPP_FROM, FakeTwilio, twilio_settings

twilio_api = fake_twilio.twilio_api  # fixture

CASE_TOKEN = "case-service-token-for-media-tests"
LIMIT = 4096  # WEBCHAT_UPLOAD_MAX_BYTES of these gateways
FILE_ID = "AgACAgIAAxkBAAIBphoto"


@pytest.fixture
def start(make_settings, start_gateway, api: FakeBotApi, twilio_api: FakeTwilio, tmp_path):
    async def run(**overrides: Any) -> Gateway:
        values = {**twilio_settings(twilio_api, twilio_whatsapp_from=WHATSAPP_FROM),
                  "telegram_bot_token": TOKEN, "telegram_webhook_secret": SECRET,
                  "telegram_api_base": api.base, "case_service_token": CASE_TOKEN,
                  "database_url": f"sqlite:///{tmp_path}/gateway-cases.db",
                  "webchat_upload_max_bytes": LIMIT, **overrides}
        return await start_gateway(make_settings(**values))

    return run


async def fetch(http: aiohttp.ClientSession, gateway: Gateway, ref: str | None,
                token: str | None = CASE_TOKEN) -> tuple[int, str, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    params = {"ref": ref} if ref is not None else {}
    async with http.get(f"{gateway.internal_url}/internal/v1/media", params=params, headers=headers) as reply:
        return reply.status, reply.content_type, await reply.read()


async def test_a_telegram_photo_comes_with_the_type_its_bytes_have(start, api, http) -> None:
    gateway = await start()
    photo = png(4, 3)
    api.add_file(FILE_ID, photo)  # the fake, like Telegram, calls every file image/jpeg
    status, content_type, body = await fetch(http, gateway, f"telegram:{FILE_ID}")
    assert (status, content_type, body) == (200, "image/png", photo)
    assert [c.params["file_id"] for c in api.calls_of("getFile")] == [FILE_ID]

    api.add_file("AgADnotanimage", b"<html><script>alert(1)</script></html>")
    assert (await fetch(http, gateway, "telegram:AgADnotanimage"))[0] == 415
    assert (await fetch(http, gateway, "telegram:AgADunknown"))[0] == 404
    api.add_file("AgADtoolarge", jpeg(LIMIT + 1))
    assert (await fetch(http, gateway, "telegram:AgADtoolarge"))[0] == 413
    assert (await fetch(http, gateway, "telegram:"))[0] == 400


async def test_a_whatsapp_photo_is_fetched_with_basic_auth_and_the_redirect_without(
        start, twilio_api: FakeTwilio, http) -> None:
    gateway = await start()
    photo = jpeg(3000)
    url = twilio_api.add_media(photo, "image/png")  # what Twilio claims does not count
    status, content_type, body = await fetch(http, gateway, url)
    assert (status, content_type, body) == (200, "image/jpeg", photo)
    assert [authorised for _, authorised in twilio_api.media_requests] == [True]

    assert (await fetch(http, gateway, twilio_api.add_media(b"GIF89a....", "image/gif")))[0] == 415
    assert (await fetch(http, gateway, twilio_api.add_media(jpeg(LIMIT + 1))))[0] == 413
    gone = url.rsplit("/", 1)[0] + "/ME" + "0" * 32
    assert (await fetch(http, gateway, gone))[0] == 404


async def test_the_fake_like_twilio_refuses_media_without_the_accounts_credentials(
        twilio_api: FakeTwilio, http) -> None:
    url = twilio_api.add_media(jpeg())
    async with http.get(url, allow_redirects=False) as reply:
        assert reply.status == 401
    wrong = {"Authorization": aiohttp.encode_basic_auth(ACCOUNT_SID, "wrong")}
    async with http.get(url, headers=wrong, allow_redirects=False) as reply:
        assert reply.status == 401
    right = {"Authorization": aiohttp.encode_basic_auth(ACCOUNT_SID, AUTH_TOKEN)}
    async with http.get(url, headers=right, allow_redirects=False) as reply:
        assert reply.status == 307
        storage = f"{twilio_api.url}{reply.headers['Location']}"
    async with http.get(storage, headers=right) as reply:
        assert reply.status == 400  # the storage must not be sent the credentials
    async with http.get(storage) as reply:
        assert reply.status == 200 and await reply.read() == jpeg()


@pytest.mark.parametrize("ref", [
    "https://example.org/a.jpg",  # a foreign address: never fetched
    "http://169.254.169.254/latest/meta-data",
    "{twilio}/2010-04-01/Accounts/AC" + "f" * 32 + "/Messages/MM" + "a" * 32 + "/Media/ME" + "b" * 32,
    "{twilio}/2010-04-01/Accounts/" + ACCOUNT_SID + "/Messages.json",
    "{twilio}/2010-04-01/Accounts/" + ACCOUNT_SID + "/Messages/MM" + "a" * 32 + "/Media/../../Messages.json",
    "att_" + "0" * 24,
    "telegram file",
])
async def test_anything_but_a_channels_own_media_reference_is_refused_unfetched(
        start, twilio_api: FakeTwilio, api: FakeBotApi, http, ref: str) -> None:
    gateway = await start()
    status, _, body = await fetch(http, gateway, ref.replace("{twilio}", twilio_api.url))
    assert status == 400 and b"error" in body
    assert twilio_api.media_requests == [] and api.calls_of("getFile") == []


async def test_without_the_case_service_token_nothing_is_fetched(start, api, http) -> None:
    gateway = await start()
    api.add_file(FILE_ID, jpeg())
    assert (await fetch(http, gateway, f"telegram:{FILE_ID}", token="wrong"))[0] == 401
    assert (await fetch(http, gateway, f"telegram:{FILE_ID}", token=None))[0] == 401
    assert (await fetch(http, gateway, None))[0] == 400  # with the token: no ref
    assert api.calls_of("getFile") == []


async def test_an_unreachable_channel_is_503_and_tells_nothing_of_the_credentials(
        start, api: FakeBotApi, twilio_api: FakeTwilio, http, caplog) -> None:
    gateway = await start()
    api.add_file(FILE_ID, jpeg())
    url = twilio_api.add_media(jpeg())
    await api.stop()
    await twilio_api.stop()
    for ref in (f"telegram:{FILE_ID}", url):
        status, _, body = await fetch(http, gateway, ref)
        assert status == 503 and TOKEN.encode() not in body and AUTH_TOKEN.encode() not in body
    await twilio_api.start()  # up again, but our credentials are refused: still the channel's fault
    wrong = await start(twilio_auth_token="not-the-right-token")
    assert (await fetch(http, wrong, url))[0] == 503
    assert TOKEN not in caplog.text and AUTH_TOKEN not in caplog.text
