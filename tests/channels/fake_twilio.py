"""A local fake of Twilio: the Messages API the adapter calls, and Twilio's signed webhooks.

:class:`FakeTwilio` is a real aiohttp server on 127.0.0.1 speaking the
parts of Twilio's REST API the adapter uses:
``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP Basic auth
(account SID and auth token), form parameters as twilio-python sends them
(``To``, ``From`` or ``MessagingServiceSid``, ``Body``, ``MediaUrl``,
``ContentSid``, ``StatusCallback``), answering ``201`` with Twilio's Message
JSON or an error in Twilio's error JSON (``{"code", "message", "more_info",
"status"}``). It records every accepted message with the encoding and
segment count Twilio would bill, can be told to fail (e.g. 21610 for a
recipient), and can play Twilio's status callbacks (signed, to the URL given
in ``StatusCallback``, optionally rewritten like a proxy would).

Inbound media as Twilio serves it: ``GET /2010-04-01/Accounts/{AccountSid}/
Messages/{MessageSid}/Media/{MediaSid}`` with the same Basic auth (401
without it, 404 for unknown media), answered with a redirect to a short-lived
address of the media storage (``/media-store/<key>``, no auth), which serves
the bytes. :meth:`FakeTwilio.add_media` gives the ``MediaUrl`` of a file.

:func:`signed_form` / :meth:`FakeTwilio.inbound` sign a webhook exactly as
Twilio does (``RequestValidator.compute_signature`` over the URL and params).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiohttp import web
from twilio.request_validator import RequestValidator

from channels.adapters.twilio.sms_text import measure
from channels.app import REDIS, SETTINGS
from tests.channels.fakes import _Server

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-twilio-auth-token-0123456789"
FROM_NUMBER = "+4923519660"
WHATSAPP_FROM = "whatsapp:+4923519661"

ERRORS = {
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21211: (400, "The 'To' number is not a valid phone number."),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
}


def message_sid() -> str:
    return "SM" + secrets.token_hex(16)


def signature(url: str, params: Mapping[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, dict(params))


def error_json(code: int, status: int | None = None, message: str | None = None) -> web.Response:
    http_status, text = ERRORS.get(code, (status or 400, message or "Error"))
    return web.json_response({"code": code, "message": message or text,
                              "more_info": f"https://www.twilio.com/docs/errors/{code}",
                              "status": status or http_status}, status=status or http_status)


@dataclass
class SentMessage:
    sid: str
    to: str
    params: dict[str, Any]
    body: str
    encoding: str
    segments: int
    at: float = field(default_factory=time.monotonic)

    @property
    def whatsapp(self) -> bool:
        return self.to.startswith("whatsapp:")


class FakeTwilio(_Server):
    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[SentMessage] = []  # accepted messages, in order
        self.attempts = 0  # every POST to Messages.json, refused ones included
        self.fail_next: list[int] = []  # Twilio error codes to answer with, first one first
        self.fail_for: dict[str, int] = {}  # recipient -> error code for every message to it
        self.callbacks: list[str] = []  # statuses to report to StatusCallback, e.g. ["sent", "delivered"]
        self.callback_target: str | None = None  # base URL to post callbacks to (a proxy's view)
        self.callback_replies: list[int] = []
        self.changed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.media: dict[str, tuple[bytes, str]] = {}  # media sid -> bytes, the type Twilio names
        self.media_requests: list[tuple[str, bool]] = []  # (path, with our credentials) of media GETs
        self._stored: dict[str, str] = {}  # storage key -> media sid

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create)
        app.router.add_get("/2010-04-01/Accounts/{sid}/Messages/{message}/Media/{media}", self._media)
        app.router.add_get("/media-store/{key}", self._media_store)
        return app

    def add_media(self, data: bytes, content_type: str = "image/jpeg") -> str:
        """Keep ``data`` as the media of an inbound message; its ``MediaUrl``."""
        media = "ME" + secrets.token_hex(16)
        self.media[media] = (data, content_type)
        message = "MM" + secrets.token_hex(16)
        return f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Messages/{message}/Media/{media}"

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await super().stop()

    # --- the Messages API ----------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user, self.account_sid) and hmac.compare_digest(password, self.auth_token)

    async def _create(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if not self._authorised(request) or request.match_info["sid"] != self.account_sid:
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401,
                                      "more_info": "https://www.twilio.com/docs/errors/20003"}, status=401)
        form = await request.post()
        params: dict[str, Any] = {key: form.getall(key) if key == "MediaUrl" else form[key]
                                  for key in set(form.keys())}
        to, body = str(params.get("To") or ""), str(params.get("Body") or "")
        if not to:
            return error_json(21604, 400, "A 'To' phone number is required.")
        if not params.get("From") and not params.get("MessagingServiceSid"):
            return error_json(21603, 400, "A 'From' phone number is required.")
        if not body and not params.get("MediaUrl") and not params.get("ContentSid"):
            return error_json(21602, 400, "Message body is required.")
        if len(body) > 1600:
            return error_json(21617, 400, "The concatenated message body exceeds the 1600 character limit.")
        code = self.fail_next.pop(0) if self.fail_next else self.fail_for.get(to)
        self.changed.set()
        if code is not None:
            return error_json(code)
        info = measure(body)
        sent = SentMessage(message_sid(), to, params, body, info.encoding.value, info.segments)
        self.messages.append(sent)
        if self.callbacks and params.get("StatusCallback"):
            task = asyncio.create_task(self._report(sent, str(params["StatusCallback"])))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        status = "accepted" if params.get("MessagingServiceSid") else "queued"
        now = formatdate(usegmt=True)
        return web.json_response({
            "account_sid": self.account_sid, "api_version": "2010-04-01", "body": body,
            "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": params.get("From"),
            "messaging_service_sid": params.get("MessagingServiceSid"), "num_media": "0",
            "num_segments": str(info.segments), "price": None, "price_unit": "EUR", "sid": sent.sid,
            "status": status, "subresource_uris": {}, "to": to,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sent.sid}.json",
        }, status=201)

    # --- inbound media --------------------------------------------------------------------------

    async def _media(self, request: web.Request) -> web.Response:
        authorised = self._authorised(request)
        self.media_requests.append((request.path, authorised))
        if not authorised or request.match_info["sid"] != self.account_sid:
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401,
                                      "more_info": "https://www.twilio.com/docs/errors/20003"}, status=401)
        media = request.match_info["media"]
        if media not in self.media:
            return error_json(20404, 404, "The requested resource was not found")
        key = secrets.token_urlsafe(16)
        self._stored[key] = media
        raise web.HTTPTemporaryRedirect(f"/media-store/{key}")

    async def _media_store(self, request: web.Request) -> web.Response:
        media = self._stored.get(request.match_info["key"])
        if media is None or media not in self.media:
            return web.Response(status=403, text="AccessDenied")
        if "Authorization" in request.headers:  # the storage must never see the account's credentials
            return web.Response(status=400, text="credentials sent to the media storage")
        data, content_type = self.media[media]
        return web.Response(body=data, content_type=content_type)

    async def _report(self, sent: SentMessage, url: str) -> None:
        target = url
        if self.callback_target:
            parts = urlsplit(url)
            target = f"{self.callback_target}{parts.path}"
        async with aiohttp.ClientSession() as http:
            for status in self.callbacks:
                params = {"MessageSid": sent.sid, "SmsSid": sent.sid, "MessageStatus": status,
                          "SmsStatus": status, "AccountSid": self.account_sid, "To": sent.to,
                          "From": str(sent.params.get("From") or ""), "ApiVersion": "2010-04-01"}
                if status in ("undelivered", "failed"):
                    params["ErrorCode"] = "30007"
                headers = {"X-Twilio-Signature": signature(url, params, self.auth_token)}
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.post(target, data=params, headers=headers) as reply:
                        self.callback_replies.append(reply.status)
                self.changed.set()

    # --- for tests -----------------------------------------------------------------------------

    def to(self, recipient: str) -> list[SentMessage]:
        return [m for m in self.messages if m.to == recipient]

    def bodies(self, recipient: str) -> list[str]:
        return [m.body for m in self.to(recipient)]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("condition not met in time")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(remaining, 0.1))


def inbound_params(sender: str, body: str = "", sid: str | None = None, to: str = FROM_NUMBER,
                   account_sid: str = ACCOUNT_SID, **extra: str) -> dict[str, str]:
    """An inbound message webhook's parameters as Twilio sends them."""
    sid = sid or message_sid()
    params = {"ToCountry": "DE", "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid,
              "SmsStatus": "received", "Body": body, "FromCountry": "DE", "To": to,
              "NumSegments": "1", "MessageSid": sid, "AccountSid": account_sid, "From": sender,
              "ApiVersion": "2010-04-01"}
    if sender.startswith("whatsapp:"):
        params.update(To=WHATSAPP_FROM, WaId=sender.removeprefix("whatsapp:+"), ProfileName="Bürger")
        for key in ("ToCountry", "FromCountry", "NumSegments"):
            params.pop(key)
    params.update(extra)
    return params


async def post_signed(http: aiohttp.ClientSession, url: str, params: Mapping[str, str],
                      signed_url: str | None = None, token: str = AUTH_TOKEN,
                      headers: Mapping[str, str] | None = None) -> tuple[int, str]:
    """POST ``params`` as Twilio does, signed over ``signed_url`` (default: ``url``)."""
    all_headers = {"X-Twilio-Signature": signature(signed_url or url, params, token), **(headers or {})}
    async with http.post(url, data=dict(params), headers=all_headers) as reply:
        return reply.status, await reply.text()


# --- fixtures: a gateway with the Twilio channels, pointed at the fake -----------------------------

PUBLIC_BASE_URL = "https://buergerservice.example.de"  # what Twilio calls (the tests call the gateway)
INBOUND_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"


def twilio_settings(fake: FakeTwilio, **overrides: Any) -> dict[str, Any]:
    """The Twilio channels pointed at ``fake``. The lease TTL is the default one, not the tests'
    1.2 s: these tests do not test takeovers, and with fewer lease renewals a gateway's stop
    rarely meets one - a cancellation arriving during a renewal can be lost in
    ``LeaseKeeper._tick`` on Python 3.11, and the stop then hangs (a core issue, reported)."""
    return {"twilio_account_sid": fake.account_sid, "twilio_auth_token": fake.auth_token,
            "twilio_from_number": FROM_NUMBER, "twilio_api_base": fake.url,
            "public_base_url": PUBLIC_BASE_URL, "gateway_lease_ttl_ms": 15_000, **overrides}


@dataclass
class SmsGateway:
    """A running gateway with SMS (and WhatsApp if configured) and the fake Twilio behind it."""

    gateway: Any  # tests.channels.conftest.Gateway
    twilio: FakeTwilio
    http: aiohttp.ClientSession

    async def send(self, sender: str, body: str = "", sid: str | None = None,
                   **extra: str) -> tuple[int, str]:
        """The citizen's message, as Twilio posts it (signed over the public URL)."""
        params = inbound_params(sender, body, sid, **extra)
        return await post_signed(self.http, f"{self.gateway.url}{INBOUND_PATH}", params,
                                 signed_url=f"{PUBLIC_BASE_URL}{INBOUND_PATH}")

    async def reply(self, sender: str, count: int = 1, timeout: float = 10.0) -> list[SentMessage]:
        """Wait until ``sender`` got ``count`` more messages than before; return those."""
        before = len(self.twilio.to(sender))
        await self.twilio.wait_for(lambda: len(self.twilio.to(sender)) >= before + count, timeout)
        messages = self.twilio.to(sender)[before:]
        await self.settled(messages[-1].sid)
        return messages

    async def settled(self, sid: str, timeout: float = 5.0) -> None:
        """Wait until the adapter has recorded the message it sent (its send is complete), so a
        test's next step - or the gateway's shutdown - does not race the end of the send."""
        redis, prefix = self.gateway.public[REDIS], self.gateway.public[SETTINGS].gateway_redis_prefix
        deadline = time.monotonic() + timeout
        while not await redis.exists(f"{prefix}:twilio:status:{sid}") and time.monotonic() < deadline:
            await asyncio.sleep(0.005)


@pytest.fixture
async def twilio_api() -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def start_sms(make_settings: Callable[..., Any], start_gateway: Callable[..., Any], twilio_api: FakeTwilio,
              http: aiohttp.ClientSession) -> Callable[..., Any]:
    async def start(**overrides: Any) -> SmsGateway:
        gateway = await start_gateway(make_settings(**twilio_settings(twilio_api, **overrides)))
        twilio_api.callback_target = gateway.url
        return SmsGateway(gateway, twilio_api, http)

    return start
