"""Telegram conversations end to end: fake Bot API -> gateway -> the real Rasa, action server and
case service: an FAQ, the greeting's buttons, and a defect report started with a category button
whose place is a shared location and with a photo, finished with a reference number the case
service knows - and staff see the photo in the console (imported through the gateway).
"""

from __future__ import annotations

import re

import pytest

from channels.adapters.telegram import texts
from channels.messages import Channel
from channels.pseudonym import conversation_id
from tests.channels.case_service import jpeg
from tests.channels.conftest import PSEUDONYM_KEY, Gateway
from tests.channels.fake_telegram import SECRET, TOKEN, Citizen, FakeBotApi, SentMessage, post_update
from tests.channels.staff_view import first_photo
from tests.e2e.answers import answer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

REFERENCE = re.compile(r"Vorgangsnummer: ([A-Z]{2,4}-\d{4}-\d{6}-\d)")


@pytest.fixture
async def gateway(real_core, make_settings, start_gateway, api, tmp_path) -> Gateway:
    """On the internal port the real case service knows, with its token: it can import photos."""
    return await start_gateway(make_settings(
        rasa_url=real_core.rasa_url, rasa_token=real_core.token,
        action_server_url=real_core.action_server_url, rasa_timeout_s=60,
        telegram_bot_token=TOKEN, telegram_webhook_secret=SECRET, telegram_api_base=api.base,
        case_service_token=real_core.case_service_token,
        database_url=f"sqlite:///{tmp_path / 'gateway-cases.db'}"), real_core.gateway_internal_port)


async def say(http, gateway: Gateway, api: FakeBotApi, citizen: Citizen, update: dict,
              at_least: int = 1) -> list:
    """Post one update; the bot's messages for it: at least ``at_least``, then until 2 s pass quietly."""
    before = len(api.messages_to(citizen.id))
    assert await post_update(http, f"{gateway.url}/webhooks/telegram", update) == 200
    await api.wait_for(lambda: len(api.messages_to(citizen.id)) >= before + at_least, timeout=90)
    while True:
        count = len(api.messages_to(citizen.id))
        try:
            await api.wait_for(lambda seen=count: len(api.messages_to(citizen.id)) > seen, timeout=2)
        except TimeoutError:
            return api.messages_to(citizen.id)[before:]


async def test_the_car_registration_question_gets_the_kfz_zulassung_answer(gateway, api, http):
    """Needs a model that recognises the question. If this fails while the button path of the next
    test passes, the NLU is at fault, not the channel (the same text reaches Rasa either way)."""
    erika = Citizen(api, 4711)
    replies = await say(http, gateway, api, erika, erika.text("Kfz Zulassung beantragen"))
    # the topic's text exactly as the citizen reads it: unchanged by escaping, HTML and links
    assert answer("kfz_zulassung") in [m.text for m in replies]


async def test_greeting_buttons_and_a_shared_location_through_the_real_core(gateway, api, http, rdb, prefix):
    erika = Citizen(api, 4712)
    greeting = await say(http, gateway, api, erika, erika.text("/start"), at_least=2)
    assert greeting[0].text == texts.PRIVACY_NOTICE["de"]  # the gateway's notice first
    menu = next(m for m in greeting if m.buttons)  # then the core's greeting with its topics
    assert menu.text.startswith("Guten Tag!")
    titles = [b["text"] for b in menu.buttons]
    assert "Fahrzeug zulassen" in titles

    replies = await say(http, gateway, api, erika, erika.press(menu, titles.index("Fahrzeug zulassen")))
    assert answer("kfz_zulassung") in [m.text for m in replies]  # a button press is the offered payload
    assert len(api.calls_of("answerCallbackQuery")) == 1

    replies = await say(http, gateway, api, erika, erika.location(51.2194, 7.6394))
    assert replies and all(m.text.strip() for m in replies)  # accepted, forwarded, answered
    assert await rdb.xlen(f"{prefix}:dead") == 0


def button(replies: list[SentMessage], title: str) -> tuple[SentMessage, int]:
    """The message carrying the inline button ``title``, and the button's index."""
    for message in replies:
        titles = [b["text"] for b in message.buttons]
        if title in titles:
            return message, titles.index(title)
    raise AssertionError(f"no button {title!r} in {[m.buttons for m in replies]}")


async def test_a_defect_report_with_a_location_and_a_photo_reaches_staff_with_the_photo(
        gateway, api, http, real_core):
    erika = Citizen(api, 4713)
    replies = await say(http, gateway, api, erika, erika.text("Ich möchte einen Schaden melden"))
    assert "Was möchten Sie melden" in "\n".join(m.text for m in replies)
    replies = await say(http, gateway, api, erika, erika.press(*button(replies, "Wilder Müll")))
    assert replies[-1].asks_for_location  # the reply keyboard with request_location

    replies = await say(http, gateway, api, erika, erika.location(51.2190, 7.6310))  # Iserlohn, inside
    assert "Beschreiben Sie den Mangel" in "\n".join(m.text for m in replies)
    replies = await say(http, gateway, api, erika,
                        erika.text("Mehrere Säcke Hausmüll und ein alter Fernseher am Waldweg"))
    button(replies, "Ohne Foto")  # asked for a photo; she sends one by paperclip
    photo = jpeg(40_000)
    api.add_file("AgACAgIAAxkBAAIBmuell", photo)
    replies = await say(http, gateway, api, erika, erika.photo("AgACAgIAAxkBAAIBmuell"))
    assert "Telefonnummer oder E-Mail-Adresse" in "\n".join(m.text for m in replies)
    assert api.calls_of("getFile") == []  # a file id is resolved only when needed
    replies = await say(http, gateway, api, erika, erika.press(*button(replies, "Ohne Kontakt")))
    summary = "\n".join(m.text for m in replies)
    assert "Art: Wilder Müll" in summary and "Standort 51.21900, 7.63100" in summary
    assert "Foto: 1 Foto(s)" in summary

    replies = await say(http, gateway, api, erika, erika.press(*button(replies, "Ja, absenden")))
    found = REFERENCE.search("\n".join(m.text for m in replies))
    assert found, [m.text for m in replies]
    conversation = conversation_id(PSEUDONYM_KEY.encode(), Channel.TELEGRAM, str(erika.id))
    status, case = await real_core.case(http, found.group(1), conversation)
    assert status == 200 and case["kind"] == "maengelmeldung", case
    assert len(api.calls_of("answerCallbackQuery")) == 3  # every press answered

    # staff: the case service imported the photo through the gateway (or does so as the page opens)
    page, data, content_type = await first_photo(real_core, found.group(1), "erika-e2e-staff")
    assert "Foto aus Telegram konnte" not in page
    assert (data, content_type) == (photo, "image/jpeg")
    assert [c.params["file_id"] for c in api.calls_of("getFile")] == ["AgACAgIAAxkBAAIBmuell"]
