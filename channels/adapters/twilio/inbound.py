"""Twilio's webhook requests at the edge: signature check and form -> our own types.

Twilio signs every webhook: HMAC-SHA1 with the account's auth token over the
URL it called followed by all POST parameters sorted by name
(``RequestValidator``). The URL is the public one, built from
PUBLIC_BASE_URL by the gateway - a reverse proxy forwards to another
host and port, and a signature over what the proxy sent us would never
match (nor should a request signed for some other URL be accepted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from multidict import MultiDict
from twilio.request_validator import RequestValidator

from channels.adapter import WebhookRequest
from channels.adapters.twilio.state import DeliveryStatus
from channels.errors import BadRequest
from channels.messages import Channel, InboundMessage, Location, Media

SIGNATURE_HEADER = "X-Twilio-Signature"
FORM = "application/x-www-form-urlencoded"
WHATSAPP_PREFIX = "whatsapp:"
MAX_TEXT = 10_000
MAX_MEDIA = 10
_ADDRESS = re.compile(r"^\+?[A-Za-z0-9]{2,32}$")
_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")


def form_params(request: WebhookRequest) -> MultiDict[str]:
    """All POST parameters (empty unless the body is a form; Twilio always sends one)."""
    if not request.content_type.startswith(FORM):
        return MultiDict()
    try:
        return MultiDict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        return MultiDict()


def signature_valid(validator: RequestValidator, request: WebhookRequest, params: MultiDict[str]) -> bool:
    """Twilio's signature over the public URL and ``params`` (all POST parameters)."""
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        return False
    return bool(validator.validate(request.public_url, params, signature))


def channel_of(address: str) -> Channel:
    return Channel.WHATSAPP if address.startswith(WHATSAPP_PREFIX) else Channel.SMS


def _require_form(request: WebhookRequest) -> MultiDict[str]:
    if not request.content_type.startswith(FORM):
        raise BadRequest(f"body must be {FORM}")
    return form_params(request)


def _location(params: MultiDict[str]) -> Location | None:
    lat, lon = params.get("Latitude"), params.get("Longitude")
    if not lat and not lon:
        return None
    try:
        return Location(float(lat or ""), float(lon or ""))
    except ValueError as exc:
        raise BadRequest("Latitude and Longitude must be numbers in range") from exc


def _media(params: MultiDict[str]) -> tuple[Media, ...]:
    try:
        count = int(params.get("NumMedia") or 0)
    except ValueError as exc:
        raise BadRequest("NumMedia must be a number") from exc
    if not 0 <= count <= MAX_MEDIA:
        raise BadRequest(f"NumMedia must be 0 to {MAX_MEDIA}")
    media = []
    for index in range(count):
        url = params.get(f"MediaUrl{index}", "")
        if not url.startswith(("https://", "http://")):
            raise BadRequest(f"MediaUrl{index} must be an http(s) URL")
        media.append(Media(url, params.get(f"MediaContentType{index}") or None))
    return tuple(media)


def parse_message(request: WebhookRequest, enabled: frozenset[Channel]) -> InboundMessage | None:
    """The message in an inbound request; None for one we ignore (empty, or its channel is off)."""
    params = _require_form(request)
    sid = params.get("MessageSid") or params.get("SmsMessageSid") or ""
    sender = params.get("From", "")
    if not _SID.match(sid):
        raise BadRequest("MessageSid is missing or malformed")
    address = sender.removeprefix(WHATSAPP_PREFIX)
    if not _ADDRESS.match(address):
        raise BadRequest("From is missing or malformed")
    channel = channel_of(sender)
    if channel not in enabled:
        return None
    body = params.get("Body", "")
    if len(body) > MAX_TEXT:
        raise BadRequest(f"Body is longer than {MAX_TEXT} characters")
    payload = params.get("ButtonPayload") or None  # WhatsApp quick reply of a template
    text = body if body.strip() else None
    location, media = _location(params), _media(params)
    if text is None and payload is None and location is None and not media:
        return None  # an empty SMS: nothing to answer
    return InboundMessage(channel=channel, channel_user_id=sender, channel_message_id=sid, text=text,
                          payload=payload, location=location, media=media)


@dataclass(frozen=True)
class StatusUpdate:
    sid: str
    status: DeliveryStatus
    channel: Channel
    error_code: str


def parse_status(request: WebhookRequest) -> StatusUpdate | None:
    """A delivery status callback; None for statuses we do not track (inbound ones)."""
    params = _require_form(request)
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    if not _SID.match(sid):
        raise BadRequest("MessageSid is missing or malformed")
    raw = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
    try:
        status = DeliveryStatus(raw)
    except ValueError:
        return None
    error = params.get("ErrorCode", "")
    return StatusUpdate(sid, status, channel_of(params.get("To", "")), error if error.isdigit() else "")
