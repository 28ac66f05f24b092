"""WhatsApp through Twilio end to end: fake Twilio -> gateway -> the real Rasa, action server and case
service. A defect report whose place is a shared WhatsApp location and whose photo is a WhatsApp
media message ends in a case with that location, and staff see the photo in the console (the case
service imports it through the gateway, which fetches it from Twilio with the account's credentials).
"""

from __future__ import annotations

import aiohttp
import pytest

from channels.messages import Channel
from channels.pseudonym import conversation_id
from tests.channels import fake_twilio
from tests.channels.case_service import jpeg
from tests.channels.conftest import PSEUDONYM_KEY
from tests.channels.fake_twilio import WHATSAPP_FROM, FakeTwilio, SentMessage, SmsGateway, twilio_settings
from tests.channels.staff_view import first_photo
from tests.channels.test_sms_e2e import REFERENCE, menu_number

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

twilio_api = fake_twilio.twilio_api  # fixture

CITIZEN = "whatsapp:+4917612345678"


@pytest.fixture
async def whatsapp(real_core, make_settings, start_gateway, twilio_api: FakeTwilio, http,
                   tmp_path) -> SmsGateway:
    """On the internal port the real case service knows, with its token: it can import photos."""
    settings = make_settings(**twilio_settings(twilio_api), twilio_whatsapp_from=WHATSAPP_FROM,
                             rasa_url=real_core.rasa_url, rasa_token=real_core.token,
                             action_server_url=real_core.action_server_url, rasa_timeout_s=60,
                             case_service_token=real_core.case_service_token,
                             database_url=f"sqlite:///{tmp_path / 'gateway-cases.db'}")
    gateway = await start_gateway(settings, real_core.gateway_internal_port)
    twilio_api.callback_target = gateway.url
    return SmsGateway(gateway, twilio_api, http)


async def say(whatsapp: SmsGateway, body: str = "", **extra: str) -> str:
    """One WhatsApp message; the text of what came back for it, once 2 s pass quietly."""
    twilio = whatsapp.twilio
    before = len(twilio.to(CITIZEN))
    status, _ = await whatsapp.send(CITIZEN, body, **extra)
    assert status == 200
    await twilio.wait_for(lambda: len(twilio.to(CITIZEN)) > before, timeout=90)
    while True:
        count = len(twilio.to(CITIZEN))
        try:
            await twilio.wait_for(lambda seen=count: len(twilio.to(CITIZEN)) > seen, timeout=2)
        except TimeoutError:
            break
    replies: list[SentMessage] = twilio.to(CITIZEN)[before:]
    await whatsapp.settled(replies[-1].sid)
    return "\n".join(m.body for m in replies)


async def test_a_whatsapp_location_and_photo_become_the_cases_place_and_photo(
        whatsapp: SmsGateway, twilio_api: FakeTwilio, real_core, http: aiohttp.ClientSession) -> None:
    reply = await say(whatsapp, "Ich möchte einen Schaden melden")
    assert "Was möchten Sie melden" in reply
    reply = await say(whatsapp, menu_number(reply, "Wilder Müll"))
    reply = await say(whatsapp, Latitude="51.2190", Longitude="7.6310")  # a shared location, no text
    assert "Beschreiben Sie den Mangel" in reply
    reply = await say(whatsapp, "Mehrere Säcke Hausmüll und ein alter Fernseher am Waldweg")
    menu_number(reply, "Ohne Foto")  # asked for a photo; she sends one
    photo = jpeg(30_000)
    reply = await say(whatsapp, NumMedia="1", MediaUrl0=twilio_api.add_media(photo),
                      MediaContentType0="image/jpeg")
    assert "Telefonnummer oder E-Mail-Adresse" in reply
    assert twilio_api.media_requests == []  # the media URL is fetched only once the case exists
    summary = await say(whatsapp, menu_number(reply, "Ohne Kontakt"))
    for line in ("Art: Wilder Müll", "Standort 51.21900, 7.63100", "Foto: 1 Foto(s)"):
        assert line in summary, summary
    done = await say(whatsapp, menu_number(summary, "Ja, absenden"))
    found = REFERENCE.search(done)
    assert found, done
    conversation = conversation_id(PSEUDONYM_KEY.encode(), Channel.WHATSAPP, CITIZEN)
    status, case = await real_core.case(http, found.group(1), conversation)
    assert status == 200 and case["kind"] == "maengelmeldung", case

    _, data, content_type = await first_photo(real_core, found.group(1), "wa-e2e-staff")
    assert (data, content_type) == (photo, "image/jpeg")
    # fetched from Twilio's API with the account's credentials (the redirect to storage without them)
    assert twilio_api.media_requests
    assert all(with_credentials for _, with_credentials in twilio_api.media_requests)
