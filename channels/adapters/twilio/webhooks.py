"""Twilio's two webhook routes: inbound messages and delivery status callbacks.

Inbound, per message, after the signature check and parsing:

* WhatsApp: the 24-hour window opens (``state.mark_window``).
* First contact: the privacy notice, its own one-segment message outside
  the turn's budget. It goes into the outbox before the message is queued,
  so it arrives before the answer - except for an emergency, whose answer
  comes first.
* A keyword (STOPP/STOP, START, HILFE/HELP, MEHR) is handled here, once per
  MessageSid, and never reaches the dialogue core: the opt-out must hold at
  once (also for answers still queued), and MEHR continues the last answer
  without a turn. Everything else goes to the intake, which dedupes on
  MessageSid, queues, and answers emergencies.
* The answer is empty TwiML at once; replies go through the REST API.

A keyword's own reply goes straight into the channel's outbox (like the
emergency path does), so it is subject to the same delivery rules in ``send``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from channels import emergency, outbox
from channels.adapter import AdapterDeps, WebhookRequest
from channels.adapters.twilio import texts
from channels.adapters.twilio.inbound import parse_status
from channels.adapters.twilio.keywords import Keyword, keyword_of
from channels.adapters.twilio.render import BodyKind, sms_body
from channels.adapters.twilio.sms_text import to_gsm
from channels.adapters.twilio.state import FINAL, DeliveryStatus
from channels.errors import PayloadTooLarge
from channels.messages import Channel, InboundMessage, Outbound
from channels.scripts import Scripts

if TYPE_CHECKING:
    from channels.adapters.twilio.adapter import TwilioAdapter
    from channels.intake import Intake

log = logging.getLogger(__name__)


async def read_request(request: web.Request, max_bytes: int, public_base_url: str) -> WebhookRequest:
    """The request read once, with the URL Twilio called as the outside world sees it."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"body over {max_bytes} bytes")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise PayloadTooLarge(f"body over {max_bytes} bytes") from exc
    return WebhookRequest(method=request.method, path=request.path,
                          public_url=f"{public_base_url}{request.rel_url}", headers=request.headers,
                          body=body, content_type=request.content_type, query=dict(request.query))


def plain_body(channel: Channel, text: str, kind: BodyKind) -> dict[str, Any]:
    return sms_body(to_gsm(text), kind) if channel is Channel.SMS else {"kind": kind.value, "text": text}


class TwilioWebhooks:
    """The handlers of ``/webhooks/twilio/sms`` and ``/webhooks/twilio/status``."""

    def __init__(self, adapter: TwilioAdapter, intake: Intake, deps: AdapterDeps) -> None:
        self._adapter = adapter
        self._intake = intake
        self._deps = deps
        self._settings = deps.settings
        self._scripts = Scripts.register(deps.redis)
        self._state = adapter.state
        self._privacy_url = deps.settings.sms_privacy_url or f"{deps.settings.public_base_url}/datenschutz"

    async def _read(self, request: web.Request) -> WebhookRequest:
        s = self._settings
        webhook = await read_request(request, s.gateway_max_body_bytes, s.public_base_url)
        await self._adapter.verify(webhook)
        return webhook

    # --- inbound -------------------------------------------------------------------------------

    async def inbound(self, request: web.Request) -> web.StreamResponse:
        webhook = await self._read(request)
        messages = self._adapter.parse(webhook)
        for message in messages:
            await self._take(message)
        return self._adapter.acknowledge(messages)

    async def _take(self, message: InboundMessage) -> None:
        conversation, mid = self._intake.ids(message)
        channel = message.channel
        if channel is Channel.WHATSAPP:
            await self._state.mark_window(conversation)
        keyword = keyword_of(message.text, channel, self._settings) if message.payload is None else None
        privacy = keyword is not Keyword.STOP and await self._state.first_contact(conversation)
        urgent = keyword is None and emergency.detect(message.text, message.language_hint) is not None
        if privacy and not urgent:
            await self._push(message, conversation, mid, "p", self._privacy(channel))
        if keyword is None:
            await self._intake.accept(message)
        else:
            await self._keyword(message, conversation, mid, keyword)
        if privacy and urgent:
            await self._push(message, conversation, mid, "p", self._privacy(channel))

    def _privacy(self, channel: Channel) -> dict[str, Any]:
        stop = self._settings.sms_opt_out_keywords[0]
        return plain_body(channel, texts.privacy_notice(channel, self._privacy_url, stop), BodyKind.PRIVACY)

    async def _keyword(self, message: InboundMessage, conversation: str, mid: str, keyword: Keyword) -> None:
        channel = message.channel
        result = await self._state.apply_keyword(self._deps.keys.seen(mid), conversation, keyword)
        if result is None:
            log.info("duplicate keyword message dropped channel=%s mid=%s", channel.value, mid)
            return
        self._adapter.metrics.sms_keywords.labels(channel=channel.value, keyword=keyword.value).inc()
        log.info("keyword %s channel=%s conv=%s mid=%s", keyword.value, channel.value, conversation, mid)
        s = self._settings
        start, stop = s.sms_opt_in_keywords[0], s.sms_opt_out_keywords[0]
        if keyword is Keyword.STOP:
            body = plain_body(channel, texts.opted_out(channel, start), BodyKind.KEYWORD)
        elif keyword is Keyword.START:
            body = plain_body(channel, texts.opted_in(channel), BodyKind.KEYWORD)
        elif keyword is Keyword.HELP:
            body = plain_body(channel, texts.help_text(channel, stop), BodyKind.HELP)
        elif result:  # MORE with a part waiting (already cut to the budget, GSM-7 prepared)
            body = sms_body(result, BodyKind.MORE)
        else:
            body = plain_body(channel, texts.nothing_more(), BodyKind.MORE)
        await self._push(message, conversation, mid, "k", body)

    async def _push(self, message: InboundMessage, conversation: str, mid: str, index: str,
                    body: dict[str, Any]) -> None:
        item = Outbound(message.channel, message.channel_user_id, conversation, mid, index, body)
        await outbox.push(self._deps.redis, self._scripts, self._deps.keys, self._settings, message.channel,
                          [item])

    # --- delivery status -----------------------------------------------------------------------

    async def status(self, request: web.Request) -> web.StreamResponse:
        update = parse_status(await self._read(request))
        if update is not None and await self._state.record_status(update.sid, update.status,
                                                                   update.error_code):
            if update.status in FINAL:
                self._adapter.metrics.twilio_delivery_status.labels(
                    channel=update.channel.value, status=update.status.value).inc()
            if update.status in (DeliveryStatus.UNDELIVERED, DeliveryStatus.FAILED):
                log.warning("twilio message %s %s (error %s)", update.sid, update.status.value,
                            update.error_code or "-")
        return web.Response(status=204)
