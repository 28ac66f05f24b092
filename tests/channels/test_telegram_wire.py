"""Telegram updates (the Bot API's own JSON) -> our types, and the webhook secret; no I/O."""

from __future__ import annotations

import json

import pytest
import redis.asyncio as aioredis

from channels.adapter import AdapterDeps, ChannelAdapter, WebhookRequest
from channels.adapters import enabled_adapters
from channels.adapters.telegram import TelegramAdapter, texts
from channels.adapters.telegram.wire import Reply, file_id_of, read_update
from channels.errors import BadRequest, Unauthenticated
from channels.keys import Keys
from channels.messages import Channel, Location, Media
from channels.settings import Settings
from tests.channels.fake_telegram import (
    SECRET,
    TOKEN,
    Citizen,
    FakeBotApi,
    SentMessage,
    channel_post,
    group_message,
)

API = FakeBotApi(TOKEN)  # only its update and message counters are used here


def _deps(**values: object) -> AdapterDeps:
    settings = Settings(_env_file=None, **{"pseudonym_key": "k" * 16, "rasa_token": "t" * 8, **values})
    return AdapterDeps(settings, aioredis.Redis(), Keys("x"), None)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def adapter() -> TelegramAdapter:
    """One for the module: creating the bot's HTTP clients takes a moment."""
    created = enabled_adapters(_deps(telegram_bot_token=TOKEN, telegram_webhook_secret=SECRET))
    adapter = created[Channel.TELEGRAM]
    assert isinstance(adapter, TelegramAdapter) and isinstance(adapter, ChannelAdapter)
    return adapter


def _request(body: object, secret: str | None = SECRET,
             content_type: str = "application/json") -> WebhookRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return WebhookRequest("POST", "/webhooks/telegram", "https://gw.example/webhooks/telegram", headers, raw,
                          content_type)


def test_the_channel_is_off_without_a_token_and_needs_a_secret_for_webhooks() -> None:
    assert Channel.TELEGRAM not in enabled_adapters(_deps())
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET is required"):
        _deps(telegram_bot_token=TOKEN)
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET must be"):
        _deps(telegram_bot_token=TOKEN, telegram_webhook_secret="short")
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET must be"):
        _deps(telegram_bot_token=TOKEN, telegram_webhook_secret="with spaces and öäü is not allowed")
    polling = enabled_adapters(_deps(telegram_bot_token=TOKEN, telegram_mode="polling"))[Channel.TELEGRAM]
    assert isinstance(polling, TelegramAdapter) and polling.polling
    assert polling.routes(None) == []  # type: ignore[arg-type]  # no public webhook in polling mode


async def test_verify_needs_exactly_the_secret(adapter: TelegramAdapter) -> None:
    await adapter.verify(_request({}))
    for secret in (None, "", SECRET.upper(), SECRET + " ", SECRET[:-1]):
        with pytest.raises(Unauthenticated):
            await adapter.verify(_request({}, secret=secret))


def test_text_with_the_citizens_language_as_hint(adapter: TelegramAdapter) -> None:
    update = Citizen(API, 4711, language_code="uk").text("Як зареєструвати автомобіль?")
    [message] = adapter.parse(_request(update))
    assert message.channel is Channel.TELEGRAM
    assert message.channel_user_id == "4711"
    assert message.channel_message_id == str(update["update_id"])
    assert message.text == "Як зареєструвати автомобіль?"
    assert message.language_hint == "uk"


def test_the_kinds_of_updates_a_citizen_sends() -> None:
    erika = Citizen(API, 4711)
    sent = erika.text("x")["message"]
    cases = {
        "edited": erika.edited(sent["message_id"], "Korrigiert"),
        "location": erika.location(51.35, 7.69),
        "photo": erika.photo("AgACAgIAAxkBphoto", caption="Schlagloch"),
        "photo without caption": erika.photo("AgACAgIAAxkBphoto2"),
        "sticker": erika.sticker(),
        "voice": erika.voice(),
    }
    read = {name: read_update(update, None) for name, update in cases.items()}
    assert read["edited"].message is not None and read["edited"].message.text == "Korrigiert"
    assert read["location"].message is not None and read["location"].message.location == Location(51.35, 7.69)
    photo = read["photo"].message
    assert photo is not None and photo.text == "Schlagloch"
    assert photo.media == (Media("telegram:AgACAgIAAxkBphoto", "image/jpeg"),)  # the largest size
    assert file_id_of(photo.media[0]) == "AgACAgIAAxkBphoto"
    bare = read["photo without caption"].message
    assert bare is not None and bare.text is None and bare.media
    for kind in ("sticker", "voice"):
        assert read[kind].message is None and read[kind].replies == (Reply.UNSUPPORTED,)
        assert read[kind].chat_id == "4711"


def test_the_largest_photo_size_is_taken_whatever_the_order() -> None:
    erika = Citizen(API, 4711)
    sizes = [{"file_id": "big", "file_unique_id": "b", "file_size": 90000, "width": 1280, "height": 960},
             {"file_id": "small", "file_unique_id": "s", "file_size": 1200, "width": 90, "height": 67},
             {"file_id": "medium", "file_unique_id": "m", "file_size": 20000, "width": 320, "height": 240}]
    read = read_update(erika.message(photo=sizes), None)
    assert read.message is not None and read.message.media == (Media("telegram:big", "image/jpeg"),)
    assert read.message.text is None


def test_a_document_that_is_a_picture_is_media_other_documents_are_not_understood() -> None:
    erika = Citizen(API, 4711)
    picture = read_update(erika.message(document={"file_id": "BQACdoc", "file_unique_id": "u", "mime_type":
                                                  "image/png", "file_name": "schaden.png"}), None)
    assert picture.message is not None and picture.message.media == (Media("telegram:BQACdoc", "image/png"),)
    heic = read_update(erika.message(document={"file_id": "BQACheic", "file_unique_id": "w",
                                               "mime_type": "image/heic"}), None)
    assert heic.message is None and heic.replies == (Reply.UNSUPPORTED,)  # the case service keeps no HEIC
    pdf = read_update(erika.message(document={"file_id": "BQACpdf", "file_unique_id": "v",
                                              "mime_type": "application/pdf"}), None)
    assert pdf.message is None and pdf.replies == (Reply.UNSUPPORTED,)


def test_a_button_press_carries_its_payload_and_the_query_to_answer() -> None:
    erika = Citizen(API, 4711, language_code="en")
    menu_update = erika.text("menu")
    menu = SentMessage("sendMessage", 4711, menu_update["message"]["message_id"], "Wählen Sie", "", [],
                       {"inline_keyboard": [[{"text": "Ja", "callback_data": "/affirm"}]]}, {})
    press = erika.press(menu, 0)
    incoming = read_update(press, None)
    assert incoming.callback_query_id == press["callback_query"]["id"]
    assert incoming.message is not None
    assert (incoming.message.payload, incoming.message.text, incoming.message.language_hint) == (
        "/affirm", None, "en")


@pytest.mark.parametrize(("command", "text", "privacy"), [
    ("/start", "Hallo", True), ("/start kfz", "Hallo", True), ("/START@MkBuergerBot", "Hallo", True),
    ("/hilfe", "Hilfe", False), ("/help", "Hilfe", False), ("/sprache", "Sprache wechseln", False),
    ("/loeschen", "Meine Daten löschen", False), ("/löschen", "Meine Daten löschen", False),
    ("/unbekannt", "/unbekannt", False), ("/ start", "/ start", False),
])
def test_commands(command: str, text: str, privacy: bool) -> None:
    incoming = read_update(Citizen(API, 4711).text(command), None)
    assert incoming.message is not None and incoming.message.text == text
    assert incoming.replies == ((Reply.PRIVACY,) if privacy else ())


def test_commands_follow_an_english_client() -> None:
    incoming = read_update(Citizen(API, 4711, language_code="en").text("/loeschen"), None)
    assert incoming.message is not None and incoming.message.text == texts.DELETE_TEXT["en"]


def test_what_is_ignored_without_an_answer() -> None:
    erika = Citizen(API, 4711)
    live = erika.edited(5, "x")
    live["edited_message"].pop("text")
    live["edited_message"]["location"] = {"latitude": 51.3, "longitude": 7.6, "live_period": 900}
    pinned = erika.message(pinned_message={"message_id": 3, "date": 0, "chat": erika.chat})
    for update in (group_message(API, erika, "Hallo Bot"), channel_post(API, "Neuigkeiten"), live, pinned,
                   {"update_id": 9, "my_chat_member": {}}, {"update_id": 10}):
        incoming = read_update(update, None)
        assert incoming.message is None and incoming.replies == (), incoming.kind


@pytest.mark.parametrize("body", [
    b"not json", b"\"a string\"", b"[]", b"{}", b'{"update_id": -1}', b'{"update_id": 1.5}',
    b'{"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": {"id": 4711, "type": "private"},'
    b' "text": 42}}',
    b'{"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": {"id": 4711, "type": "private"},'
    b' "location": {"latitude": "north", "longitude": 7}}}',
    b'{"update_id": 1, "callback_query": {"id": "q", "from": {"id": 1, "is_bot": false, "first_name": "E"},'
    b' "chat_instance": "1", "data": "x", "message": {"message_id": 1, "date": 1,'
    b' "chat": {"id": true, "type": "private"}}}}',
])
def test_malformed_updates_are_bad_requests(adapter: TelegramAdapter, body: bytes) -> None:
    with pytest.raises(BadRequest):
        adapter.parse(_request(body))


def test_the_body_must_be_json(adapter: TelegramAdapter) -> None:
    with pytest.raises(BadRequest, match="application/json"):
        adapter.parse(_request(Citizen(API, 4711).text("Hallo"), content_type="text/plain"))
