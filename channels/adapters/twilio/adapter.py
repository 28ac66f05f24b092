"""The Twilio adapter: one class, one instance per channel (``sms`` and ``whatsapp``).

Both channels share Twilio's webhook routes, its client and the Redis
state, but each has its own outbox and sender (the core keys those by
channel), so a slow WhatsApp delivery never holds up SMS.

``send`` is where the SMS rules are enforced for every outbound item,
whatever produced it (a turn, a notice, a case status update later):

1. opt-out (STOPP): nothing goes out until START - except the keyword
   confirmations and the HELP answer, which the citizen just asked for, and
   emergency answers (outbox index ``e*``), because safety comes first;
2. WhatsApp's 24-hour window: outside it only the approved template
   (TWILIO_WHATSAPP_CONTENT_SID), once, else the item is recorded as not sent;
3. the cost guard: per number and day, overall per hour (emergency answers
   exempt); a refusal is logged once per period and counted every time;
4. then Twilio; 21610 (unsubscribed at Twilio) marks the opt-out too.
Refusals are non-retryable ``DeliveryError``s, so the outbox dead-letters
them with the reason ("opted out", "number cap reached", ...).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web
from redis.exceptions import RedisError
from twilio.request_validator import RequestValidator

from channels.adapter import AdapterDeps, Capabilities, Delivery, RenderContext, WebhookRequest
from channels.adapters.twilio.client import RecipientUnsubscribed, TwilioMessages
from channels.adapters.twilio.inbound import WHATSAPP_PREFIX, form_params, parse_message, signature_valid
from channels.adapters.twilio.media import TwilioMedia
from channels.adapters.twilio.render import BodyKind, render_sms, render_whatsapp
from channels.adapters.twilio.sms_text import MAX_BODY_CHARS
from channels.adapters.twilio.state import DeliveryStatus, TwilioState
from channels.adapters.twilio.webhooks import TwilioWebhooks
from channels.errors import DeliveryError, Unauthenticated, describe
from channels.messages import Channel, InboundMessage, Media, Outbound, Response
from channels.metrics import Metrics
from channels.settings import Settings

if TYPE_CHECKING:
    from channels.intake import Intake

log = logging.getLogger(__name__)

INBOUND_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
PASS_OPT_OUT = frozenset({BodyKind.KEYWORD, BodyKind.HELP})  # what the citizen asked for just now


def sms_enabled(settings: Settings) -> bool:
    return bool(settings.twilio_account_sid and settings.twilio_auth_token
                and (settings.twilio_from_number or settings.twilio_messaging_service_sid))


def whatsapp_enabled(settings: Settings) -> bool:
    return bool(settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_whatsapp_from)


class TwilioAdapter:
    """Implements ``ChannelAdapter`` for SMS or WhatsApp through Twilio.

    ``webhook_path`` is None: the inbound route is registered through
    :meth:`routes` (by the SMS adapter, or the WhatsApp one when SMS is off),
    because keywords (STOPP, START, HILFE, MEHR) and the privacy notice must
    be handled between parsing and the intake - see ``webhooks.py``.
    """

    webhook_path: str | None = None

    def __init__(self, channel: Channel, deps: AdapterDeps, owns_routes: bool) -> None:
        settings = deps.settings
        self.channel = channel
        self.capabilities = Capabilities(buttons=False, images=channel is Channel.WHATSAPP, links=True,
                                         markup=None, max_text=MAX_BODY_CHARS)
        self._deps = deps
        self._settings = settings
        self._owns_routes = owns_routes
        token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
        self._validator = RequestValidator(token)
        self._account_sid = settings.twilio_account_sid or ""
        self._messages = TwilioMessages(settings)
        self._media = TwilioMedia(lambda: deps.http, settings.twilio_api_base, self._account_sid, token)
        self.state = TwilioState(deps.redis, deps.keys.prefix, settings)
        self.metrics = Metrics()  # replaced by the process's metrics in routes()
        self.enabled = frozenset(c for c, on in ((Channel.SMS, sms_enabled(settings)),
                                                 (Channel.WHATSAPP, whatsapp_enabled(settings))) if on)
        self._status_url = f"{settings.public_base_url}{STATUS_PATH}"
        self._sender = self._sender_params()

    def _sender_params(self) -> dict[str, str]:
        s = self._settings
        if self.channel is Channel.WHATSAPP:
            sender = s.twilio_whatsapp_from or ""
            return {"from_": sender if sender.startswith(WHATSAPP_PREFIX) else WHATSAPP_PREFIX + sender}
        if s.twilio_messaging_service_sid:
            return {"messaging_service_sid": s.twilio_messaging_service_sid}
        return {"from_": s.twilio_from_number or ""}

    # --- inbound -------------------------------------------------------------------------------

    async def verify(self, request: WebhookRequest) -> None:
        params = form_params(request)
        if not signature_valid(self._validator, request, params):
            raise Unauthenticated("missing or wrong X-Twilio-Signature")
        account = params.get("AccountSid")
        if account and account != self._account_sid:
            raise Unauthenticated("request for another Twilio account")

    def parse(self, request: WebhookRequest) -> list[InboundMessage]:
        message = parse_message(request, self.enabled)
        return [message] if message is not None else []

    def acknowledge(self, messages: Sequence[InboundMessage]) -> web.Response:
        """Empty TwiML: nothing is answered inline; replies go through the REST API later."""
        return web.Response(text=EMPTY_TWIML, content_type="text/xml", charset="utf-8")

    # --- outbound ------------------------------------------------------------------------------

    def render(self, responses: Sequence[Response], context: RenderContext) -> list[dict[str, Any]]:
        if self.channel is Channel.SMS:
            return render_sms(responses, self._settings.sms_segment_budget, context.language)
        return render_whatsapp(responses, context.language)

    async def send(self, item: Outbound) -> Delivery:
        body, conversation = item.body, item.conversation_id
        kind = BodyKind.of(body)
        emergency = item.index.startswith("e")
        if not emergency and kind not in PASS_OPT_OUT and await self.state.opted_out(conversation):
            self.metrics.sms_opted_out_sends.labels(channel=self.channel.value).inc()
            raise DeliveryError("opted out", retryable=False)
        if not emergency:
            await self._reserve(conversation)
        try:
            params = {"to": item.recipient, "status_callback": self._status_url, **self._sender,
                      **await self._content(item)}
            if self.channel is Channel.SMS and kind is BodyKind.REPLY:  # before sending: MEHR may come
                await self.state.keep_more(conversation, [str(p) for p in body.get("more") or ()])
            rate = self._settings.twilio_messages_per_second
            await self._deps.limiter.wait(f"twilio:{self.channel.value}", rate, burst=max(1, int(rate)))
            sent = await self._messages.create(**params)
        except DeliveryError as exc:
            if not emergency:  # not sent: it does not count against the caps
                try:
                    await self.state.refund(self.channel, conversation)
                except RedisError as redis_exc:  # one reply too many on the cap counter, not a failure
                    log.warning("cap refund failed: %s", describe(redis_exc))
            if isinstance(exc, RecipientUnsubscribed):
                await self.state.opt_out(conversation)
                log.info("recipient unsubscribed at Twilio; opt-out recorded conv=%s", conversation)
            raise
        try:  # Twilio has the message: from here on a Redis error must not make it a failed send
            await self.state.record_sent(sent.sid, self.channel, conversation, item.key,
                                         _status(sent.status))
        except RedisError as exc:
            log.warning("status record of sid=%s not written: %s", sent.sid, describe(exc))
        log.info("sent %s conv=%s sid=%s kind=%s segments=%s", item.key, conversation, sent.sid,
                 kind.value, body.get("segments", "-"))
        return Delivery(sent.sid)

    async def _reserve(self, conversation: str) -> None:
        """Count the reply against the cost caps; refuse it when one is reached."""
        hit = await self.state.reserve(self.channel, conversation)
        if hit is None:
            return
        self.metrics.sms_caps_reached.labels(channel=self.channel.value, cap=hit.cap).inc()
        if hit.first:
            log.warning("%s cap reached (channel=%s conv=%s); further replies are not sent", hit.cap,
                        self.channel.value, conversation)
        raise DeliveryError(f"{hit.cap} cap reached", retryable=False)

    async def _content(self, item: Outbound) -> dict[str, Any]:
        """Body and media - or, on WhatsApp outside the 24-hour window, the template or nothing."""
        if self.channel is Channel.WHATSAPP and not await self.state.in_window(item.conversation_id):
            content_sid = self._settings.twilio_whatsapp_content_sid
            if content_sid and await self.state.claim_template(item.conversation_id):
                return {"content_sid": content_sid}
            reason = "template sent already" if content_sid else "no template configured"
            raise DeliveryError(f"outside the WhatsApp 24-hour window ({reason})", retryable=False)
        content: dict[str, Any] = {}
        if item.body.get("text"):
            content["body"] = str(item.body["text"])
        if item.body.get("media") and self.channel is Channel.WHATSAPP:
            content["media_url"] = [str(url) for url in item.body["media"]]
        if not content:
            raise DeliveryError("empty message", retryable=False)
        return content

    # --- media ----------------------------------------------------------------------------------

    def owns_media(self, ref: str) -> bool:
        """Whether ``ref`` is a URL under TWILIO_API_BASE (an inbound ``MediaUrl``)."""
        return self._media.owns(ref)

    async def download_media(self, media: Media, max_bytes: int) -> bytes:
        """The bytes of a photo the citizen sent (``media.py``: only our account's media URLs)."""
        return await self._media.download(media.url, max_bytes)

    # --- lifetime ------------------------------------------------------------------------------

    def routes(self, intake: Intake) -> list[web.RouteDef]:
        # AdapterDeps carries no metrics; the intake holds the process's Metrics.
        self.metrics = intake._metrics
        if not self._owns_routes:
            return []
        hooks = TwilioWebhooks(self, intake, self._deps)
        return [web.post(INBOUND_PATH, hooks.inbound), web.post(STATUS_PATH, hooks.status)]

    async def close(self) -> None:
        await self._messages.close()


def _status(raw: str | None) -> DeliveryStatus | None:
    try:
        return DeliveryStatus(raw or "")
    except ValueError:
        return None
