"""Location and photos on Telegram and SMS/WhatsApp, end to end through the fakes of both APIs.

What the dialogue core receives (``[Standort]``/``[Anhang]`` with metadata,
media references as CONTRACT.md names them) and what the citizen's phone
shows when the bot asks (``custom: {"request": ...}``).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.channels import fake_twilio
from tests.channels.conftest import Gateway
from tests.channels.fake_telegram import SECRET, TOKEN, Citizen, FakeBotApi, post_update
from tests.channels.fake_twilio import ACCOUNT_SID, WHATSAPP_FROM, SmsGateway

start_sms, twilio_api = fake_twilio.start_sms, fake_twilio.twilio_api  # fixtures

SMS_CITIZEN = "+4915112345678"
WA_CITIZEN = "whatsapp:+4916011122233"
MEDIA = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM{'a' * 32}/Media"


def form(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The damage-report form as the Rasa side will ask: place first, then a photo."""
    text = body["text"]
    if "Schlagloch" in text:
        return [{"text": "Wo genau ist der Schaden?", "custom": {"request": "location"}}]
    if text == "[Standort]" or "straße" in text:  # a shared location or an address in words
        return [{"text": "Haben Sie ein Foto?", "custom": {"request": "photo"}}]
    return [{"text": "Danke."}]


# --- Telegram ----------------------------------------------------------------------------------------


@pytest.fixture
async def telegram(make_settings, start_gateway, api: FakeBotApi, core) -> Gateway:
    core.responder = form
    return await start_gateway(make_settings(telegram_bot_token=TOKEN, telegram_webhook_secret=SECRET,
                                             telegram_api_base=api.base))


async def test_telegram_asks_with_a_location_button_then_for_a_photo_by_paperclip(telegram, api, core, http):
    erika = Citizen(api, 4711)
    url = f"{telegram.url}/webhooks/telegram"
    assert await post_update(http, url, erika.text("Ich möchte ein Schlagloch melden")) == 200
    await api.wait_for(lambda: len(api.sent) == 1)
    [question] = api.sent
    assert question.text == "Wo genau ist der Schaden?" and question.asks_for_location
    assert question.reply_markup["one_time_keyboard"] is True

    assert await post_update(http, url, erika.location(51.2194, 7.6394)) == 200
    await api.wait_for(lambda: len(api.sent) == 3)
    ask_photo, paperclip = api.sent[1:]
    assert ask_photo.text == "Haben Sie ein Foto?" and not ask_photo.asks_for_location
    assert "Büroklammer" in paperclip.text
    assert core.requests[-1].body["metadata"]["location"] == {"lat": 51.2194, "lon": 7.6394}

    assert await post_update(http, url, erika.photo("AgACAgIAAxkBAAIBphoto")) == 200  # no caption
    await api.wait_for(lambda: len(api.sent) == 4)
    photo = core.requests[-1].body
    assert photo["text"] == "[Anhang]"
    assert photo["metadata"]["media"] == [{"url": "telegram:AgACAgIAAxkBAAIBphoto",
                                           "content_type": "image/jpeg"}]
    assert api.calls_of("getFile") == []  # resolved only when staff need the file


# --- SMS and WhatsApp ----------------------------------------------------------------------------------


@pytest.fixture
def answering(core):
    core.responder = form
    return core


async def test_sms_asks_for_the_address_in_words_and_says_photos_cannot_come(start_sms, answering) -> None:
    sms: SmsGateway = await start_sms()
    await sms.send(SMS_CITIZEN, "Schlagloch melden")
    _, question = await sms.reply(SMS_CITIZEN, 2)  # the privacy notice comes first
    assert question.body == ("Wo genau ist der Schaden?\n"
                             "Schreiben Sie uns bitte die Adresse oder eine Ortsbeschreibung.")
    await sms.send(SMS_CITIZEN, "Hauptstraße 5, Lüdenscheid")
    [photo_question] = await sms.reply(SMS_CITIZEN, 1)
    assert photo_question.body == "Haben Sie ein Foto?\nFotos können Sie per SMS leider nicht senden."


async def test_whatsapp_location_and_photos_reach_the_core_with_twilios_media_urls(start_sms, answering):
    sms: SmsGateway = await start_sms(twilio_whatsapp_from=WHATSAPP_FROM)
    await sms.send(WA_CITIZEN, "Schlagloch melden")
    _, question, how = await sms.reply(WA_CITIZEN, 3)
    assert question.body == "Wo genau ist der Schaden?"
    assert "Büroklammer" in how.body and "Standort" in how.body

    await sms.send(WA_CITIZEN, "", Latitude="51.2194", Longitude="7.6394", Address="Hauptstraße 5")
    ask_photo, photo_how = await sms.reply(WA_CITIZEN, 2)
    assert answering.requests[-1].body["text"] == "[Standort]"
    assert answering.requests[-1].body["metadata"]["location"] == {"lat": 51.2194, "lon": 7.6394}
    assert ask_photo.body == "Haben Sie ein Foto?" and "Foto" in photo_how.body

    await sms.send(WA_CITIZEN, "", NumMedia="2", MediaUrl0=f"{MEDIA}/ME{'1' * 32}",
                   MediaContentType0="image/jpeg", MediaUrl1=f"{MEDIA}/ME{'2' * 32}",
                   MediaContentType1="image/webp")
    await sms.reply(WA_CITIZEN, 1)
    body = answering.requests[-1].body
    assert body["text"] == "[Anhang]"
    assert body["metadata"]["media"] == [
        {"url": f"{MEDIA}/ME{'1' * 32}", "content_type": "image/jpeg"},
        {"url": f"{MEDIA}/ME{'2' * 32}", "content_type": "image/webp"}]
