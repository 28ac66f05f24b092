"""Property-based fuzzing of the gateway's parsers: whatever arrives, each either returns a value
or raises the gateway's own 4xx error - never anything else (which would be a 500 or a crash).

Parsers: Telegram updates, Twilio inbound and status forms, the web chat's frames, its session
tokens and the upload's image sniffing, SMS keywords and numbered-menu replies, the emergency
matcher, SMS segment counting and pagination.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

import redis.asyncio as aioredis
from hypothesis import given
from hypothesis import strategies as st

from channels.adapter import AdapterDeps, WebhookRequest
from channels.adapters import enabled_adapters
from channels.adapters.twilio import inbound
from channels.adapters.twilio.keywords import keyword_of
from channels.adapters.twilio.sms_text import measure, paginate
from channels.adapters.webchat import protocol
from channels.adapters.webchat.tokens import InvalidToken, SessionTokens
from channels.dialogue import Offers
from channels.emergency import answer, detect
from channels.errors import GatewayError
from channels.keys import Keys
from channels.messages import Channel, InboundMessage
from channels.settings import Settings
from channels.uploads import sniff_image
from tests.channels.conftest import REDIS_URL
from tests.channels.fake_telegram import SECRET, TOKEN
from tests.fuzzing import SPECIAL, fuzz, json_values, nasty_text, raw_bodies

SETTINGS = Settings(_env_file=None, pseudonym_key="k" * 16, rasa_token="t" * 8, telegram_bot_token=TOKEN,
                    telegram_webhook_secret=SECRET, twilio_account_sid="AC" + "0" * 32,
                    twilio_auth_token="a" * 32, twilio_from_number="+4923519660",
                    twilio_whatsapp_from="whatsapp:+4923519661",
                    webchat_session_secret="webchat-secret-for-fuzzing", webchat_allowed_origins="https://a.de")
ADAPTERS = enabled_adapters(AdapterDeps(SETTINGS, aioredis.Redis(), Keys("fuzz"), None))  # type: ignore[arg-type]
TELEGRAM, TWILIO, WEBCHAT = ADAPTERS[Channel.TELEGRAM], ADAPTERS[Channel.SMS], ADAPTERS[Channel.WEBCHAT]

USER = {"id": 4711, "is_bot": False, "first_name": "Erika"}
CHAT = {"id": 4711, "type": "private", "first_name": "Erika"}
UPDATE_KEYS = ["update_id", "message", "edited_message", "callback_query", "channel_post", "message_id",
               "from", "chat", "date", "text", "location", "photo", "caption", "data", "id", "type",
               "latitude", "longitude", "file_id", "entities", "language_code", "reply_markup"]


def request(body: bytes, content_type: str = "application/json", path: str = "/webhooks/x",
            headers: dict[str, str] | None = None) -> WebhookRequest:
    return WebhookRequest("POST", path, f"https://gw.example{path}", headers or {}, body, content_type)


def parses_or_refuses(parse: Any, *args: Any) -> Any:
    try:
        return parse(*args)
    except GatewayError as exc:
        assert 400 <= exc.status < 500, exc
        return None


def messages(update: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"message_id": st.one_of(st.integers(), json_values()),
                                  "from": st.one_of(st.just(USER), json_values(UPDATE_KEYS)),
                                  "chat": st.one_of(st.just(CHAT), json_values(UPDATE_KEYS)),
                                  "date": st.one_of(st.integers(min_value=0, max_value=2**40),
                                                    json_values())},
                                 optional={"text": nasty_text(), "caption": nasty_text(),
                                           "location": json_values(["latitude", "longitude"]),
                                           "photo": json_values(["file_id", "width", "height"]),
                                           "entities": json_values(["offset", "length", "type"])})


updates = st.one_of(
    json_values(UPDATE_KEYS),
    st.fixed_dictionaries({"update_id": st.one_of(st.integers(min_value=-5, max_value=2**63), json_values())},
                          optional={"message": st.deferred(lambda: messages({})),
                                    "edited_message": st.deferred(lambda: messages({})),
                                    "callback_query": json_values(["id", "from", "data", "message",
                                                                   "chat_instance"])}),
)


@fuzz
@given(update=updates)
def test_telegram_updates(update: Any) -> None:
    parsed = parses_or_refuses(TELEGRAM.parse, request(json.dumps(update).encode()))
    for message in parsed or []:
        assert isinstance(message, InboundMessage)


@fuzz
@given(body=raw_bodies(), content_type=st.sampled_from(["application/json", "text/plain", "", "text/x"]))
def test_telegram_raw_bodies(body: bytes, content_type: str) -> None:
    parses_or_refuses(TELEGRAM.parse, request(body, content_type))


TWILIO_KEYS = ["MessageSid", "SmsSid", "AccountSid", "From", "To", "Body", "NumMedia", "MediaUrl0",
               "MediaContentType0", "Latitude", "Longitude", "MessageStatus", "ErrorCode", "WaId",
               "ButtonPayload", "ButtonText", "ProfileName"]
forms = st.lists(st.tuples(st.one_of(st.sampled_from(TWILIO_KEYS), nasty_text(10)),
                           st.one_of(nasty_text(), st.sampled_from(["+4915112345678", "whatsapp:+491511",
                                                                    "SM" + "a" * 32, "1", "99", "-1e9"]))),
                 max_size=14)


@fuzz
@given(form=forms, raw=raw_bodies())
def test_twilio_inbound_and_status_forms(form: list[tuple[str, str]], raw: bytes) -> None:
    for body in (urlencode(form).encode(), raw):
        webhook = request(body, "application/x-www-form-urlencoded")
        parses_or_refuses(TWILIO.parse, webhook)
        parses_or_refuses(inbound.parse_status, webhook)
        assert asyncio.run(refused(TWILIO.verify, webhook)), "unsigned forms never pass"


async def refused(verify: Any, webhook: WebhookRequest) -> bool:
    try:
        await verify(webhook)
    except GatewayError as exc:
        return exc.status in (401, 403)
    return False


frames = st.one_of(
    json_values(["type", "token", "cmid", "text", "payload", "language", "location", "after", "lat", "lon"]),
    st.fixed_dictionaries({"type": st.sampled_from(["hello", "message", "location", "x", ""])},
                          optional={"token": st.one_of(nasty_text(), st.none()),
                                    "cmid": st.one_of(st.text(alphabet="abc-_019", min_size=8, max_size=64),
                                                      nasty_text()),
                                    "text": nasty_text(), "payload": nasty_text(), "language": nasty_text(),
                                    "after": json_values(), "location": json_values(["lat", "lon"])}),
)


@fuzz
@given(frame=frames, raw=raw_bodies())
def test_web_chat_frames(frame: Any, raw: bytes) -> None:
    for body in (json.dumps(frame).encode(), raw):
        data = parses_or_refuses(protocol.decode, body)
        if isinstance(data, dict):
            parses_or_refuses(protocol.Hello.parse, data)
            parses_or_refuses(protocol.ChatMessage.parse, data)
        webhook = request(body, headers={"Origin": "https://a.de"})
        assert asyncio.run(refused(WEBCHAT.verify, webhook)), "no valid token, no message"
        parses_or_refuses(WEBCHAT.parse_frame, webhook)


@fuzz
@given(token=st.one_of(nasty_text(), json_values()))
def test_web_chat_tokens(token: Any) -> None:
    tokens = SessionTokens("webchat-secret-for-fuzzing", 3600)
    try:
        tokens.verify(token)
    except InvalidToken:
        return
    raise AssertionError("a made-up token was accepted")


@fuzz
@given(data=raw_bodies())
def test_upload_sniffing(data: bytes) -> None:
    assert sniff_image(data) in (None, "image/jpeg", "image/png", "image/webp")


@fuzz
@given(text=nasty_text(), hint=st.one_of(st.none(), nasty_text(8), st.sampled_from(["de", "en", "tr", "uk"])))
def test_emergency_matcher(text: str, hint: str | None) -> None:
    match = detect(text, hint)
    if match is not None:
        assert answer(match)


@fuzz
@given(text=st.one_of(st.none(), nasty_text()), channel=st.sampled_from([Channel.SMS, Channel.WHATSAPP]))
def test_sms_keywords(text: str | None, channel: Channel) -> None:
    keyword_of(text, channel, SETTINGS)


@fuzz
@given(text=nasty_text(), budget=st.integers(min_value=1, max_value=10))
def test_sms_segments_and_pages(text: str, budget: int) -> None:
    info = measure(text)
    assert info.segments >= 1 or not text
    pages = paginate(text, budget)
    assert all(isinstance(page, str) for page in pages)


MENU_REPLIES = ["1", "2.", "3)", " 4 ", "0", "99", "100", "٣", "１", "²", "-1", "1e3", *SPECIAL]


@fuzz
@given(replies=st.lists(st.one_of(nasty_text(8), st.sampled_from(MENU_REPLIES)), min_size=1, max_size=10))
def test_sms_menu_replies(replies: list[str]) -> None:
    """Numbered menu answers map to an offered payload or to nothing (real Redis)."""

    async def run() -> None:
        client = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)
        keys = Keys("fuzzmenu")
        try:
            await client.delete(keys.menu("c1"))
            await client.rpush(keys.menu("c1"), "/ja", "/nein", "/rueckruf")
            offers = Offers(client, keys, 60)
            for reply in replies:
                choice = await offers.menu_choice("c1", reply)
                assert choice in (None, "/ja", "/nein", "/rueckruf")
        finally:
            await client.delete(keys.menu("c1"))
            await client.aclose()

    asyncio.run(run())
