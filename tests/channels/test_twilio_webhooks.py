"""Twilio's webhooks: signatures exactly as Twilio computes them, parsing, dedupe, status callbacks."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
import redis.asyncio as aioredis

from channels.adapter import AdapterDeps, WebhookRequest
from channels.adapters import enabled_adapters
from channels.adapters.twilio import TwilioAdapter
from channels.errors import BadRequest
from channels.keys import Keys
from channels.messages import Channel, Location, Media
from channels.settings import Settings
from tests.channels import fake_twilio
from tests.channels.conftest import entries_added
from tests.channels.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    INBOUND_PATH,
    PUBLIC_BASE_URL,
    STATUS_PATH,
    WHATSAPP_FROM,
    FakeTwilio,
    SmsGateway,
    inbound_params,
    message_sid,
    post_signed,
    signature,
)

start_sms, twilio_api = fake_twilio.start_sms, fake_twilio.twilio_api  # fixtures

CITIZEN = "+4915112345678"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


async def nothing_stored(rdb: aioredis.Redis, prefix: str) -> None:
    for partition in range(4):
        assert await entries_added(rdb, f"{prefix}:in:{partition}") == 0
    assert not [k async for k in rdb.scan_iter(f"{prefix}:seen:*")]
    assert not [k async for k in rdb.scan_iter(f"{prefix}:twilio:*")]
    assert await entries_added(rdb, f"{prefix}:out:sms") == 0


# --- signatures ------------------------------------------------------------------------------------


async def test_signed_message_is_acknowledged_with_empty_twiml_and_answered(start_sms, core) -> None:
    sms: SmsGateway = await start_sms()
    status, text = await sms.send(CITIZEN, "Wie melde ich mein Auto an?")
    assert (status, text) == (200, EMPTY_TWIML)
    [privacy, answer] = await sms.reply(CITIZEN, 2)
    assert "Datenschutz" in privacy.body
    assert answer.body == "echo: Wie melde ich mein Auto an?\ndone: Wie melde ich mein Auto an?"
    assert answer.params["From"] == FROM_NUMBER
    assert answer.params["StatusCallback"] == f"{PUBLIC_BASE_URL}{STATUS_PATH}"
    # the dialogue core never sees the number
    assert CITIZEN not in str([r.body for r in core.requests])


async def test_a_slow_turn_does_not_delay_the_acknowledgement(start_sms, core,
                                                              twilio_api: FakeTwilio) -> None:
    """Twilio waits at most 15 s and retries otherwise: the empty TwiML must come at once, the
    answer later through the REST API, however long the dialogue core takes."""
    core.delay = 3.0
    sms: SmsGateway = await start_sms()
    started = time.monotonic()
    status, text = await sms.send(CITIZEN, "Wie melde ich mein Auto an?")
    acknowledged = time.monotonic() - started
    assert (status, text) == (200, EMPTY_TWIML)
    assert acknowledged < 0.5, acknowledged
    await twilio_api.wait_for(lambda: any(b.startswith("echo:") for b in twilio_api.bodies(CITIZEN)), 15)
    answer = next(m for m in twilio_api.to(CITIZEN) if m.body.startswith("echo:"))
    await sms.settled(answer.sid)
    assert answer.at - started >= core.delay  # sent through the REST API after the slow turn
    assert len(core.requests) == 1  # acknowledged once, so no retry reached the core


async def test_acknowledgement_has_the_twiml_content_type(start_sms, http) -> None:
    sms: SmsGateway = await start_sms()
    params = inbound_params(CITIZEN, "Hallo")
    headers = {"X-Twilio-Signature": signature(f"{PUBLIC_BASE_URL}{INBOUND_PATH}", params)}
    async with http.post(f"{sms.gateway.url}{INBOUND_PATH}", data=params, headers=headers) as reply:
        assert reply.status == 200 and reply.content_type == "text/xml"


@pytest.mark.parametrize("case", ["wrong token", "changed parameter", "added parameter", "missing header",
                                  "signed for the proxy's URL", "signed for the Host header",
                                  "other path"])
async def test_bad_signatures_are_403_and_nothing_is_stored(start_sms, http, rdb, prefix, core,
                                                            case: str) -> None:
    sms: SmsGateway = await start_sms()
    url = f"{sms.gateway.url}{INBOUND_PATH}"
    public = f"{PUBLIC_BASE_URL}{INBOUND_PATH}"
    params = inbound_params(CITIZEN, "Hallo")
    sent = dict(params)
    headers: dict[str, str] = {"Host": "gateway.internal:8080"}
    if case == "wrong token":
        headers["X-Twilio-Signature"] = signature(public, params, token="another-accounts-token-00000")
    elif case == "changed parameter":
        headers["X-Twilio-Signature"] = signature(public, params)
        sent["Body"] = "Hallo, überweisen Sie bitte"
    elif case == "added parameter":
        headers["X-Twilio-Signature"] = signature(public, params)
        sent["Latitude"] = "51.2"
    elif case == "signed for the proxy's URL":
        headers["X-Twilio-Signature"] = signature(url, params)
    elif case == "signed for the Host header":
        headers["X-Twilio-Signature"] = signature(f"http://gateway.internal:8080{INBOUND_PATH}", params)
    elif case == "other path":
        headers["X-Twilio-Signature"] = signature(f"{PUBLIC_BASE_URL}{STATUS_PATH}", params)
    async with http.post(url, data=sent, headers=headers) as reply:
        assert reply.status == 403
        assert (await reply.json()) == {"error": "missing or wrong X-Twilio-Signature"}
    await nothing_stored(rdb, prefix)
    assert core.attempts == 0


async def test_proxy_rewritten_request_signed_over_the_public_url_is_accepted(start_sms, http, core) -> None:
    """The proxy forwards to 127.0.0.1:<port> with its own Host header; Twilio signed the public URL."""
    sms: SmsGateway = await start_sms()
    params = inbound_params(CITIZEN, "Hallo")
    status, _ = await post_signed(http, f"{sms.gateway.url}{INBOUND_PATH}", params,
                                  signed_url=f"{PUBLIC_BASE_URL}{INBOUND_PATH}",
                                  headers={"Host": "gateway.internal:8080", "X-Forwarded-Proto": "https"})
    assert status == 200
    await sms.reply(CITIZEN, 2)
    assert len(core.requests) == 1


async def test_signature_of_another_account_is_refused_even_if_valid(start_sms, http, rdb, prefix) -> None:
    sms: SmsGateway = await start_sms()
    params = inbound_params(CITIZEN, "Hallo", account_sid="AC" + "f" * 32)
    status, _ = await post_signed(http, f"{sms.gateway.url}{INBOUND_PATH}", params,
                                  signed_url=f"{PUBLIC_BASE_URL}{INBOUND_PATH}")
    assert status == 403
    await nothing_stored(rdb, prefix)


async def test_signed_request_that_is_not_a_form_is_400(start_sms, http, rdb, prefix) -> None:
    sms: SmsGateway = await start_sms()
    headers = {"X-Twilio-Signature": signature(f"{PUBLIC_BASE_URL}{INBOUND_PATH}", {}),
               "Content-Type": "application/json"}
    async with http.post(f"{sms.gateway.url}{INBOUND_PATH}", data=b'{"Body": "x"}', headers=headers) as reply:
        assert reply.status == 400
    await nothing_stored(rdb, prefix)


# --- dedupe ----------------------------------------------------------------------------------------


async def test_duplicate_message_sid_is_acknowledged_but_not_processed_again(start_sms, core, rdb,
                                                                             prefix) -> None:
    sms: SmsGateway = await start_sms()
    sid = message_sid()
    first = await sms.send(CITIZEN, "Öffnungszeiten?", sid=sid)
    await sms.reply(CITIZEN, 2)
    second = await sms.send(CITIZEN, "Öffnungszeiten?", sid=sid)
    assert first == second == (200, EMPTY_TWIML)
    await sms.send(CITIZEN, "Danke", sid=message_sid())
    await sms.reply(CITIZEN, 1)
    assert [r.body["text"] for r in core.requests] == ["Öffnungszeiten?", "Danke"]
    assert len(sms.twilio.to(CITIZEN)) == 3  # privacy notice, two answers


async def test_duplicate_keyword_is_applied_once(start_sms, rdb, prefix) -> None:
    sms: SmsGateway = await start_sms()
    sid = message_sid()
    await sms.send(CITIZEN, "HILFE", sid=sid)
    await sms.reply(CITIZEN, 2)
    await sms.send(CITIZEN, "HILFE", sid=sid)
    await sms.send(CITIZEN, "Danke")
    await sms.reply(CITIZEN, 1)
    assert sum("Bei einer Liste" in b for b in sms.twilio.bodies(CITIZEN)) == 1


# --- parsing ---------------------------------------------------------------------------------------


def _adapter(**settings: Any) -> TwilioAdapter:
    values = {"pseudonym_key": "k" * 16, "rasa_token": "t" * 8, "twilio_account_sid": ACCOUNT_SID,
              "twilio_auth_token": AUTH_TOKEN, "twilio_from_number": FROM_NUMBER,
              "twilio_whatsapp_from": WHATSAPP_FROM, **settings}
    deps = AdapterDeps(Settings(_env_file=None, **values), aioredis.Redis(), Keys("x"), None)  # type: ignore[arg-type]
    adapters = enabled_adapters(deps)
    adapter = adapters[Channel.SMS]
    assert isinstance(adapter, TwilioAdapter)
    return adapter


def _request(params: dict[str, str]) -> WebhookRequest:
    return WebhookRequest("POST", INBOUND_PATH, f"{PUBLIC_BASE_URL}{INBOUND_PATH}", {},
                          urlencode(params).encode(), "application/x-www-form-urlencoded")


def test_sms_parses_into_our_message() -> None:
    sid = message_sid()
    [message] = _adapter().parse(_request(inbound_params(CITIZEN, "Wo ist die Zulassungsstelle?", sid)))
    assert (message.channel, message.channel_user_id, message.channel_message_id, message.text) == (
        Channel.SMS, CITIZEN, sid, "Wo ist die Zulassungsstelle?")
    assert message.location is None and message.media == ()


def test_whatsapp_location_and_media() -> None:
    sender = "whatsapp:" + CITIZEN
    [located] = _adapter().parse(_request(inbound_params(
        sender, "", Latitude="51.2195", Longitude="7.6331", Address="Heedfelder Str. 45")))
    assert located.channel is Channel.WHATSAPP and located.channel_user_id == sender
    assert located.location == Location(51.2195, 7.6331) and located.text is None
    media = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media"
    [photo] = _adapter().parse(_request(inbound_params(
        sender, "Schlagloch", NumMedia="2", MediaUrl0=f"{media}/ME1", MediaContentType0="image/jpeg",
        MediaUrl1=f"{media}/ME2", MediaContentType1="image/png")))
    assert photo.text == "Schlagloch"
    assert photo.media == (Media(f"{media}/ME1", "image/jpeg"), Media(f"{media}/ME2", "image/png"))


def test_whatsapp_is_ignored_when_it_is_off_and_empty_sms_is_ignored() -> None:
    adapter = _adapter(twilio_whatsapp_from=None)
    assert adapter.parse(_request(inbound_params("whatsapp:" + CITIZEN, "Hallo"))) == []
    assert adapter.parse(_request(inbound_params(CITIZEN, "   "))) == []


@pytest.mark.parametrize("change", [
    {"MessageSid": "", "SmsMessageSid": ""}, {"MessageSid": "SM123", "SmsMessageSid": ""}, {"From": ""},
    {"From": "+49 151 123"}, {"Latitude": "north", "Longitude": "7"}, {"Latitude": "91", "Longitude": "7"},
    {"NumMedia": "1"}, {"NumMedia": "1", "MediaUrl0": "file:///etc/passwd"}, {"NumMedia": "x"},
    {"Body": "x" * 10_001},
])
def test_malformed_requests_are_bad_requests(change: dict[str, str]) -> None:
    with pytest.raises(BadRequest):
        _adapter().parse(_request({**inbound_params(CITIZEN, "Hallo"), **change}))


def test_channels_are_on_by_their_settings() -> None:
    adapter = _adapter()
    assert adapter.enabled == {Channel.SMS, Channel.WHATSAPP}
    values = {"pseudonym_key": "k" * 16, "rasa_token": "t" * 8}
    for extra, expected in [
        ({}, set()),
        ({"twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN}, set()),
        ({"twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN,
          "twilio_messaging_service_sid": "MG" + "0" * 32}, {Channel.SMS}),
        ({"twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN,
          "twilio_whatsapp_from": WHATSAPP_FROM}, {Channel.WHATSAPP}),
    ]:
        deps = AdapterDeps(Settings(_env_file=None, **values, **extra), aioredis.Redis(), Keys("x"),
                           None)  # type: ignore[arg-type]
        adapters = enabled_adapters(deps)
        assert {c for c in adapters if c in (Channel.SMS, Channel.WHATSAPP)} == expected


# --- status callbacks ------------------------------------------------------------------------------


async def _status(sms: SmsGateway, http: aiohttp.ClientSession, sid: str, status: str,
                  to: str = CITIZEN, signed_url: str | None = None, **extra: str) -> int:
    params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
              "AccountSid": ACCOUNT_SID, "To": to, "From": FROM_NUMBER, "ApiVersion": "2010-04-01", **extra}
    code, _ = await post_signed(http, f"{sms.gateway.url}{STATUS_PATH}", params,
                                signed_url=signed_url or f"{PUBLIC_BASE_URL}{STATUS_PATH}")
    return code


async def _metrics(sms: SmsGateway, http: aiohttp.ClientSession) -> str:
    async with http.get(f"{sms.gateway.internal_url}/metrics") as reply:
        return await reply.text()


async def test_status_moves_only_forward_and_failures_are_counted(start_sms, http, rdb, prefix) -> None:
    sms: SmsGateway = await start_sms()
    await sms.send(CITIZEN, "Hallo")
    [_, answer] = await sms.reply(CITIZEN, 2)
    key = f"{prefix}:twilio:status:{answer.sid}"
    assert (await rdb.hgetall(key))["status"] == "queued"
    assert await _status(sms, http, answer.sid, "sent") == 204
    assert await _status(sms, http, answer.sid, "undelivered", ErrorCode="30003") == 204
    assert await _status(sms, http, answer.sid, "sent") == 204  # late and out of order: ignored
    assert await _status(sms, http, answer.sid, "queued") == 204
    assert await _status(sms, http, answer.sid, "delivered") == 204  # final already
    stored = await rdb.hgetall(key)
    assert (stored["status"], stored["error"]) == ("undelivered", "30003")
    assert stored["item"].endswith(":0") and CITIZEN not in str(stored)
    failed = message_sid()
    assert await _status(sms, http, failed, "failed", to="whatsapp:" + CITIZEN, ErrorCode="63016") == 204
    metrics = await _metrics(sms, http)
    assert 'gateway_twilio_delivery_status_total{channel="sms",status="undelivered"} 1.0' in metrics
    assert 'gateway_twilio_delivery_status_total{channel="whatsapp",status="failed"} 1.0' in metrics
    assert 'status="delivered"' not in metrics


async def test_status_callback_needs_the_signature(start_sms, http, rdb, prefix) -> None:
    sms: SmsGateway = await start_sms()
    sid = message_sid()
    assert await _status(sms, http, sid, "failed", signed_url=f"{sms.gateway.url}{STATUS_PATH}") == 403
    async with http.post(f"{sms.gateway.url}{STATUS_PATH}", data={"MessageSid": sid}) as reply:
        assert reply.status == 403
    assert not await rdb.exists(f"{prefix}:twilio:status:{sid}")
    assert "gateway_twilio_delivery_status_total{" not in await _metrics(sms, http)


async def test_fake_twilios_own_status_callbacks_reach_the_gateway(start_sms, twilio_api: FakeTwilio,
                                                                    rdb, prefix) -> None:
    twilio_api.callbacks = ["sent", "delivered"]
    sms: SmsGateway = await start_sms()
    await sms.send(CITIZEN, "Hallo")
    [_, answer] = await sms.reply(CITIZEN, 2)
    await twilio_api.wait_for(lambda: len(twilio_api.callback_replies) == 4)
    assert twilio_api.callback_replies == [204] * 4
    assert (await rdb.hgetall(f"{prefix}:twilio:status:{answer.sid}"))["status"] == "delivered"
