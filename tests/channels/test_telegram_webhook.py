"""Telegram in: the webhook on a running gateway, with the fake Bot API and the fake dialogue core.

Updates are the Bot API's own JSON (``fake_telegram.Citizen``); assertions
are on what the dialogue core received, what reached Redis, and the real
requests the bot made to the fake Bot API.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from channels.adapters.telegram import texts
from channels.adapters.telegram.render import stored_key
from channels.app import ADAPTERS
from channels.errors import BadRequest, NotFound
from channels.messages import Channel, Media
from tests.channels.conftest import PSEUDONYM_KEY, Gateway, entries_added
from tests.channels.fake_telegram import (
    SECRET,
    TOKEN,
    Citizen,
    FakeBotApi,
    SentMessage,
    channel_post,
    chats_in_different_partitions,
    group_message,
    post_update,
)

PARTITIONS = 4


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    fake = FakeBotApi(TOKEN, prefix="/tg")  # a path prefix, as TELEGRAM_API_BASE allows
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def gateway(make_settings, start_gateway, api: FakeBotApi) -> Gateway:
    return await start_gateway(make_settings(telegram_bot_token=TOKEN, telegram_webhook_secret=SECRET,
                                             telegram_api_base=api.base))


async def post(http: aiohttp.ClientSession, gateway: Gateway, update: Any, secret: str | None = SECRET,
               content_type: str = "application/json") -> int:
    return await post_update(http, f"{gateway.url}/webhooks/telegram", update, secret, content_type)


async def nothing_stored(rdb, prefix: str) -> None:
    for partition in range(PARTITIONS):
        assert await entries_added(rdb, f"{prefix}:in:{partition}") == 0
    assert await entries_added(rdb, f"{prefix}:out:telegram") == 0
    assert [key async for key in rdb.scan_iter(match=f"{prefix}:seen:*")] == []


async def test_a_text_reaches_the_core_pseudonymously_and_the_answer_comes_back(gateway, api, core, http):
    erika = Citizen(api, 4711, language_code="tr")
    assert await post(http, gateway, erika.text("Wie melde ich mein Auto an?")) == 200
    await api.wait_for(lambda: len(api.sent) == 2)
    [turn] = core.requests
    assert turn.body["channel"] == "telegram"
    assert turn.body["text"] == "Wie melde ich mein Auto an?"
    assert turn.body["metadata"]["language_hint"] == "tr"
    assert turn.body["metadata"]["capabilities"]["markup"] == "html"
    assert "4711" not in json.dumps(turn.body)  # the dialogue core never sees the chat id
    assert [m.text for m in api.sent] == ["echo: Wie melde ich mein Auto an?",
                                          "done: Wie melde ich mein Auto an?"]
    assert {m.chat_id for m in api.sent} == {4711}
    assert api.calls_of("getMe"), "the bot is initialised (getMe) before it sends"


@pytest.mark.parametrize("secret", [None, "", "wrong-secret-of-the-right-length", SECRET + "x", SECRET[:-1]])
async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(gateway, api, core, http, rdb,
                                                                          prefix, secret):
    erika = Citizen(api, 4711)
    assert await post(http, gateway, erika.text("Hallo"), secret=secret) == 403
    await nothing_stored(rdb, prefix)
    assert core.attempts == 0


@pytest.mark.parametrize(("body", "content_type"), [
    (b"{not json", "application/json"),
    (b"\xff\xfe", "application/json"),
    (b"[1, 2]", "application/json"),
    (b'{"message": {"text": "Hallo"}}', "application/json"),  # no update_id
    (b'{"update_id": "7", "message": {}}', "application/json"),
    (b'{"update_id": true}', "application/json"),
    (b'{"update_id": 7, "message": {"message_id": 1, "text": "Hallo"}}', "application/json"),  # no chat, date
    (b'{"update_id": 7, "message": "Hallo"}', "application/json"),
    (b'{"update_id": 7, "message": {"message_id": 1, "date": 1, "chat": {"id": "4711", "type": "private"},'
     b' "text": "Hallo"}}', "application/json"),  # chat id as a string
    (b'{"update_id": 7, "message": {"message_id": 1, "date": 1, "chat": {"id": 4711, "type": "private"},'
     b' "location": {"latitude": 91.5, "longitude": 7.6}}}', "application/json"),  # out of range
    (b'{"update_id": 7}', "text/plain"),
])
async def test_malformed_updates_get_400_and_nothing_is_stored(gateway, api, core, http, rdb, prefix, body,
                                                               content_type):
    assert await post(http, gateway, body, content_type=content_type) == 400
    await nothing_stored(rdb, prefix)
    assert core.attempts == 0


async def test_a_redelivered_update_is_acknowledged_but_answered_once(gateway, api, core, http):
    update = Citizen(api, 4711).text("Was kostet ein Reisepass?")
    assert await post(http, gateway, update) == 200
    assert await post(http, gateway, update) == 200
    await api.wait_for(lambda: len(api.sent) == 2)
    assert await post(http, gateway, update) == 200  # also after the answer
    await asyncio.sleep(0.3)
    assert len(core.requests) == 1
    assert len(api.sent) == 2


async def test_an_edited_message_is_a_new_message(gateway, api, core, http):
    erika = Citizen(api, 4711)
    first = erika.text("Wie melde ich mein Auo an?")
    assert await post(http, gateway, first) == 200
    edited = erika.edited(first["message"]["message_id"], "Wie melde ich mein Auto an?")
    assert await post(http, gateway, edited) == 200
    await api.wait_for(lambda: len(api.sent) == 4)
    assert [r.body["text"] for r in core.requests] == ["Wie melde ich mein Auo an?",
                                                       "Wie melde ich mein Auto an?"]


async def test_a_shared_location_and_a_photo_reach_the_core_as_location_and_media(gateway, api, core, http):
    core.responder = lambda body: [{"text": "Danke."}]
    erika = Citizen(api, 4711)
    assert await post(http, gateway, erika.location(51.2194, 7.6394)) == 200
    assert await post(http, gateway, erika.photo("AgACAgIAAxkBAAIBw2photo", caption="Schlagloch hier")) == 200
    await api.wait_for(lambda: len(api.sent) == 2)
    location, photo = (r.body for r in core.requests)
    assert location["text"] == "[Standort]"
    assert location["metadata"]["location"] == {"lat": 51.2194, "lon": 7.6394}
    assert photo["text"] == "Schlagloch hier"
    assert photo["metadata"]["media"] == [{"url": "telegram:AgACAgIAAxkBAAIBw2photo",
                                           "content_type": "image/jpeg"}]
    assert api.calls_of("getFile") == [], "a file id is resolved only when needed"


async def test_a_photo_is_resolved_to_a_download_only_when_asked(gateway, api):
    api.add_file("AgACAgIAAxkBAAIBw2photo", b"\xff\xd8jpeg bytes")
    adapter = gateway.public[ADAPTERS][Channel.TELEGRAM]
    media = Media("telegram:AgACAgIAAxkBAAIBw2photo", "image/jpeg")
    url = await adapter.media_url(media)
    assert url == f"{api.base}/file/bot{TOKEN}/photos/AgACAgIAAxkBAAIBw2photo.jpg"
    assert await adapter.download_media(media) == b"\xff\xd8jpeg bytes"
    assert [c.params["file_id"] for c in api.calls_of("getFile")] == ["AgACAgIAAxkBAAIBw2photo"] * 2
    with pytest.raises(NotFound):
        await adapter.media_url(Media("telegram:unknown"))
    with pytest.raises(BadRequest):
        await adapter.media_url(Media("https://example.org/a.jpg"))


async def test_start_sends_the_privacy_notice_before_the_greeting(gateway, api, core, http):
    erika = Citizen(api, 4711)
    update = erika.text("/start")
    assert await post(http, gateway, update) == 200
    await api.wait_for(lambda: len(api.sent) == 3)
    assert [r.body["text"] for r in core.requests] == ["Hallo"]
    notice = api.sent[0]
    assert notice.text == texts.PRIVACY_NOTICE["de"]
    assert ("https://www.maerkischer-kreis.de/datenschutz", "https://www.maerkischer-kreis.de/datenschutz") \
        in notice.links
    assert [m.text for m in api.sent[1:]] == ["echo: Hallo", "done: Hallo"]
    assert await post(http, gateway, update) == 200  # a redelivery sends no second notice
    await asyncio.sleep(0.3)
    assert len(api.sent) == 3


@pytest.mark.parametrize(("command", "text"), [
    ("/hilfe", "Hilfe"), ("/sprache", "Sprache wechseln"), ("/loeschen", "Meine Daten löschen"),
    ("/loeschen@MkBuergerBot", "Meine Daten löschen")])
async def test_commands_are_forwarded_as_the_texts_the_topics_answer(gateway, api, core, http, command, text):
    assert await post(http, gateway, Citizen(api, 4711).text(command)) == 200
    await api.wait_for(lambda: len(api.sent) == 2)
    assert [r.body["text"] for r in core.requests] == [text]


@pytest.mark.parametrize("kind", ["sticker", "voice"])
async def test_stickers_and_voice_get_one_polite_sentence_and_never_reach_the_core(gateway, api, core, http,
                                                                                    kind):
    erika = Citizen(api, 4711)
    update = getattr(erika, kind)()
    assert await post(http, gateway, update) == 200
    await api.wait_for(lambda: len(api.sent) == 1)
    assert api.sent[0].text == texts.UNSUPPORTED["de"]
    assert await post(http, gateway, update) == 200
    await asyncio.sleep(0.3)
    assert len(api.sent) == 1
    assert core.attempts == 0


async def test_group_messages_and_channel_posts_are_ignored(gateway, api, core, http, rdb, prefix):
    erika = Citizen(api, 4711)
    assert await post(http, gateway, group_message(api, erika, "Hallo Bot, wann ist Sperrmüll?")) == 200
    assert await post(http, gateway, channel_post(api, "Neue Öffnungszeiten")) == 200
    assert await post(http, gateway, {"update_id": api.next_update_id(),
                                      "my_chat_member": {"chat": erika.chat}}) == 200
    await nothing_stored(rdb, prefix)
    await asyncio.sleep(0.2)
    assert core.attempts == 0 and api.sent == []


async def test_a_button_press_is_answered_and_its_payload_forwarded_also_through_another_process(
        make_settings, start_gateway, api, core, http):
    long_payload = '/faq{"topic":"fuehrerschein_umtausch","town":"Lüdenscheid","detail":"internationaler"}'
    assert len(long_payload.encode()) > 64

    def buttons(body: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"text": "Womit kann ich helfen?", "buttons": [
            {"title": "Personalausweis", "payload": '/faq{"topic":"personalausweis"}'},
            {"title": "Führerschein umtauschen", "payload": long_payload}]}]

    core.responder = buttons
    settings = make_settings(telegram_bot_token=TOKEN, telegram_webhook_secret=SECRET,
                             telegram_api_base=api.base)
    first, second = await start_gateway(settings), await start_gateway(settings)
    erika = Citizen(api, 4711)
    assert await post(http, first, erika.text("Hallo")) == 200
    await api.wait_for(lambda: len(api.sent) == 1)
    [menu] = api.sent
    datas = [b["callback_data"] for b in menu.buttons]
    assert datas[0] == '/faq{"topic":"personalausweis"}'
    assert datas[1] == stored_key(long_payload) and len(datas[1].encode()) <= 64
    press = erika.press(menu, 1)
    assert await post(http, second, press) == 200  # a process that did not render the button
    await api.wait_for(lambda: len(core.requests) == 2 and len(api.calls_of("answerCallbackQuery")) == 1)
    assert core.requests[1].body["text"] == long_payload  # forwarded as the offered payload, not escaped
    [answer] = api.calls_of("answerCallbackQuery")
    assert answer.params["callback_query_id"] == press["callback_query"]["id"]
    assert "text" not in answer.params


async def test_an_unknown_long_button_key_is_answered_on_the_button_and_not_forwarded(gateway, api, core,
                                                                                       http):
    erika = Citizen(api, 4711)
    menu = _menu_with(api, erika, stored_key("/some payload that expired long ago"))
    assert await post(http, gateway, erika.press(menu, 0)) == 200
    await api.wait_for(lambda: len(api.calls_of("answerCallbackQuery")) == 1)
    [answer] = api.calls_of("answerCallbackQuery")
    assert answer.params["text"] == texts.BUTTON_EXPIRED["de"]
    await asyncio.sleep(0.2)
    assert core.attempts == 0


def _menu_with(api: FakeBotApi, citizen: Citizen, data: str) -> SentMessage:
    markup = {"inline_keyboard": [[{"text": "Weiter", "callback_data": data}]]}
    return SentMessage("sendMessage", citizen.id, api.next_message_id(), "Bitte wählen Sie:", "", [], markup,
                       {})


async def test_a_slow_turn_in_one_chat_delays_neither_intake_nor_other_chats(gateway, api, core, http):
    slow, fast = chats_in_different_partitions(PSEUDONYM_KEY, PARTITIONS)
    core.delays["Bitte langsam"] = 2.0
    assert await post(http, gateway, Citizen(api, slow).text("Bitte langsam")) == 200
    await asyncio.wait_for(core.started_turn.wait(), 5)
    started = time.monotonic()
    assert await post(http, gateway, Citizen(api, fast).text("Schnell")) == 200
    acknowledged = time.monotonic() - started
    await api.wait_for(lambda: len(api.messages_to(fast)) == 2)
    answered = time.monotonic() - started
    assert acknowledged < 0.5 and answered < 1.5
    assert api.messages_to(slow) == []  # still in its turn
    await api.wait_for(lambda: len(api.messages_to(slow)) == 2)


async def test_logs_carry_neither_the_token_nor_chat_ids_nor_what_citizens_wrote(gateway, api, core, http,
                                                                                caplog):
    caplog.set_level(logging.DEBUG)
    core.responder = lambda body: [{"text": "Wir rufen Sie zurück.", "buttons": [
        {"title": "Ja", "payload": "/affirm"}]}]
    erika = Citizen(api, 4711)
    assert await post(http, gateway, erika.text("Rufen Sie mich an: 0151 2345678")) == 200
    await api.wait_for(lambda: len(api.sent) == 1)
    assert await post(http, gateway, erika.press(api.sent[0], 0)) == 200
    assert await post(http, gateway, erika.sticker()) == 200
    await api.wait_for(lambda: len(api.sent) == 3 and len(api.calls_of("answerCallbackQuery")) == 1)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "telegram update kind=text" in logged  # the channel does log, just nothing personal
    for secret in (TOKEN, TOKEN.split(":")[1], SECRET, "4711", "0151 2345678", "Rufen Sie mich an",
                   "Wir rufen Sie"):
        assert secret not in logged
