"""The Telegram adapter: webhook and polling intake, sending, errors translated once.

Receiving. The webhook is the adapter's own route (``routes``), not the
core's generic handler, because one update can need more than "parse and
queue": a long button payload is looked up in Redis, a button press is
answered with ``answerCallbackQuery``, and some updates are answered by the
gateway itself (privacy notice, the sentence for stickers). The order of
the generic handler is kept: size limit (413), secret (403, nothing
stored), parse (400, nothing stored), then queue and 200. Polling
(``polling.py``) feeds every update through the same :meth:`take`, so the
rest of the path is identical.

Nothing slow happens before the 200: queueing is a Redis step, the
callback answer runs as a background task, and the turn itself runs in the
workers. The gateway's own answers go through the outbox like every other
answer (rate limits, retries, dedupe by ``message_id:index``).

Sending. ``send`` makes one Bot API call per outbox item through
``telegram.Bot`` (``base_url`` from TELEGRAM_API_BASE), after waiting for
the shared Redis rate limits: 1 message/s per chat (short bursts of 3) and
30/s for the bot. python-telegram-bot's errors become ``DeliveryError``
here and nowhere else: 429 -> retryable with Telegram's ``retry_after``
(the outbox delays that chat's lane only), blocked bot / bad request ->
not retryable, network trouble -> retryable.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web
from telegram import (
    Bot,
    File,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, InvalidToken, TelegramError

from channels import errors, outbox
from channels.adapter import AdapterDeps, Capabilities, Delivery, RenderContext, WebhookRequest
from channels.adapters.telegram import render as rendering
from channels.adapters.telegram import texts, wire
from channels.adapters.telegram.botapi import SECRET_HEADER, WEBHOOK_PATH, delivery_error, make_bot
from channels.adapters.telegram.polling import Poller
from channels.messages import Channel, InboundMessage, Media, Outbound, Response, Text
from channels.pseudonym import conversation_id, message_id
from channels.scripts import Scripts
from channels.tasks import cancel_until_done
from channels.texts import pick

if TYPE_CHECKING:
    from channels.intake import Intake

log = logging.getLogger(__name__)

PER_CHAT_PER_S, PER_CHAT_BURST = 1.0, 3
# No global burst: a burst of 30 on top of 30/s would let about 60 through in the first second,
# twice Telegram's bulk limit (about 30 messages/s over all chats). Evenly spaced instead.
GLOBAL_PER_S, GLOBAL_BURST = 30.0, 1
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # the Bot API serves files up to 20 MB

REPLY_TEXTS: dict[wire.Reply, dict[str, str]] = {
    wire.Reply.PRIVACY: texts.PRIVACY_NOTICE,
    wire.Reply.UNSUPPORTED: texts.UNSUPPORTED,
}


class CallbackStore:
    """Long button payloads by their short ``callback_data`` key, in Redis for every process."""

    def __init__(self, deps: AdapterDeps) -> None:
        self._redis = deps.redis
        self._prefix = f"{deps.keys.prefix}:tg:cb:"
        self._ttl_s = deps.settings.gateway_offer_ttl_s  # as long as the offer itself

    async def store(self, payloads: Mapping[str, str]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, payload in payloads.items():
                pipe.set(self._prefix + key, payload, ex=self._ttl_s)
            await pipe.execute()

    async def resolve(self, key: str) -> str | None:
        value = await self._redis.get(self._prefix + key)
        return value if isinstance(value, str) else None


class TelegramAdapter:
    """Implements ``ChannelAdapter`` for Telegram (python-telegram-bot 22, no PTB Application)."""

    channel = Channel.TELEGRAM
    capabilities = Capabilities(buttons=True, images=True, links=True, markup="html",
                                max_text=rendering.MAX_TEXT)
    # None: the webhook is registered by routes() (see the module docstring).
    webhook_path: str | None = None

    def __init__(self, deps: AdapterDeps, token: str, secret: str | None, polling: bool) -> None:
        settings = deps.settings
        self.deps = deps
        self.polling = polling
        self.scripts = Scripts.register(deps.redis)
        self._secret = secret.encode("utf-8") if secret else None
        self._callbacks = CallbackStore(deps)
        self._pseudonym_key = settings.pseudonym_key.get_secret_value().encode("utf-8")
        self._handle = make_bot(settings.telegram_api_base, token)
        self.bot = self._handle.bot
        self._ready = False
        self._init_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    # --- receiving ---------------------------------------------------------------------------

    async def verify(self, request: WebhookRequest) -> None:
        supplied = request.headers.get(SECRET_HEADER, "").encode("utf-8")
        if self._secret is None or not hmac.compare_digest(supplied, self._secret):
            raise errors.Unauthenticated("missing or wrong Telegram secret token")

    def read(self, request: WebhookRequest) -> wire.Incoming:
        """The verified webhook request as an :class:`~wire.Incoming`; ``BadRequest`` if malformed."""
        if not request.content_type.startswith("application/json"):
            raise errors.BadRequest("body must be application/json")
        return wire.read_update(wire.read_body(request.body), self.bot)

    def parse(self, request: WebhookRequest) -> list[InboundMessage]:
        """The ``ChannelAdapter`` view: the message for the dialogue core, if any (long button
        payloads still as their short key; :meth:`take` resolves them)."""
        incoming = self.read(request)
        return [incoming.message] if incoming.message is not None else []

    def acknowledge(self, messages: Sequence[InboundMessage]) -> web.Response:
        return web.json_response({"ok": True})

    def routes(self, intake: Intake) -> list[web.RouteDef]:
        if self.polling:  # no public route at all: nobody can post updates in polling mode
            return []

        async def webhook(request: web.Request) -> web.Response:
            return await self._webhook(request, intake)

        return [web.post(WEBHOOK_PATH, webhook)]

    async def _webhook(self, request: web.Request, intake: Intake) -> web.Response:
        limit = self.deps.settings.gateway_max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise errors.PayloadTooLarge(f"body over {limit} bytes")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge as exc:
            raise errors.PayloadTooLarge(f"body over {limit} bytes") from exc
        webhook = WebhookRequest(request.method, request.path,
                                 f"{self.deps.settings.public_base_url}{request.rel_url}",
                                 request.headers, body, request.content_type)
        await self.verify(webhook)
        incoming = self.read(webhook)
        await self.take(incoming, intake)
        return self.acknowledge([incoming.message] if incoming.message else [])

    async def take(self, incoming: wire.Incoming, intake: Intake) -> None:
        """Everything one update needs before it is acknowledged; Redis errors propagate (503,
        Telegram delivers the update again and the dedupe keeps it from being answered twice)."""
        message, toast = incoming.message, None
        if message is not None and message.payload is not None and rendering.is_stored_key(message.payload):
            payload = await self._callbacks.resolve(message.payload)
            if payload is None:  # expired or never ours: say so on the button, do not guess
                message, toast = None, pick(texts.BUTTON_EXPIRED, incoming.language)
            else:
                message = dataclasses.replace(message, payload=payload)
        if incoming.callback_query_id is not None:
            self._spawn(self._answer_callback(incoming.callback_query_id, toast))
        if incoming.replies and incoming.chat_id is not None:
            await self._reply(incoming)
        duplicate = False
        if message is not None:
            duplicate = (await intake.accept(message)).duplicate
        log.info("telegram update kind=%s%s", incoming.kind, " (duplicate)" if duplicate else "")

    async def _reply(self, incoming: wire.Incoming) -> None:
        """The gateway's own answer (privacy notice, unsupported kinds) through the outbox.

        It is queued before the message goes to the core, so the notice comes before the
        greeting; a redelivered update adds nothing (items are unique by ``message_id:index``).
        """
        assert incoming.chat_id is not None
        conversation = conversation_id(self._pseudonym_key, Channel.TELEGRAM, incoming.chat_id)
        mid = message_id(self._pseudonym_key, Channel.TELEGRAM, str(incoming.update_id))
        keys, settings = self.deps.keys, self.deps.settings
        language = await self.deps.redis.get(keys.language(conversation)) or incoming.language
        responses: list[Response] = [Text(pick(REPLY_TEXTS[reply], language)) for reply in incoming.replies]
        bodies = self.render(responses, RenderContext(conversation, language))
        items = [Outbound(Channel.TELEGRAM, incoming.chat_id, conversation, mid, f"g{index}", body)
                 for index, body in enumerate(bodies)]
        await outbox.push(self.deps.redis, self.scripts, keys, settings, Channel.TELEGRAM, items)

    async def _answer_callback(self, query_id: str, text: str | None) -> None:
        """Stop the client's spinner; best effort (an old query cannot be answered any more)."""
        try:
            bot = await self.ready_bot()
            await bot.answer_callback_query(query_id, text=text)
        except TelegramError as exc:
            log.info("answerCallbackQuery failed: %s", type(exc).__name__)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @contextlib.asynccontextmanager
    async def lifespan(self, intake: Intake) -> AsyncIterator[None]:
        """What runs beside the app while it serves: the long-polling loop in polling mode."""
        task = None
        if self.polling:
            task = asyncio.create_task(Poller(self, intake).run(), name="telegram polling")
        try:
            yield
        finally:
            if task is not None:
                await cancel_until_done(task)

    # --- sending -----------------------------------------------------------------------------

    def render(self, responses: Sequence[Response], context: RenderContext) -> list[dict[str, Any]]:
        return rendering.render(responses, context.language)

    async def ready_bot(self) -> Bot:
        """The bot after ``initialize`` (getMe, which also checks the token), once per process."""
        if not self._ready:
            async with self._init_lock:
                if not self._ready:
                    await self.bot.initialize()
                    self._ready = True
        return self.bot

    async def send(self, item: Outbound) -> Delivery:
        body = item.body
        try:
            chat_id = int(item.recipient)
        except ValueError as exc:
            raise errors.DeliveryError("recipient is not a Telegram chat id", retryable=False) from exc
        try:
            # initialised before the rate slots are reserved: a first send's getMe must not push
            # several reserved sends into the same instant
            bot = await self.ready_bot()
        except TelegramError as exc:
            raise delivery_error(exc) from exc
        # Redis errors here pass through: nothing was sent yet, the outbox waits for Redis
        if body.get("stored_callbacks"):  # before the button exists, so a press can be resolved
            await self._callbacks.store(body["stored_callbacks"])
        limiter = self.deps.limiter
        await limiter.wait(f"telegram:chat:{item.conversation_id}", PER_CHAT_PER_S, PER_CHAT_BURST)
        await limiter.wait("telegram:global", GLOBAL_PER_S, GLOBAL_BURST)
        try:
            sent = await self._call(bot, chat_id, body)
        except TelegramError as exc:
            raise delivery_error(exc) from exc
        return Delivery(str(sent.message_id))

    @staticmethod
    async def _call(bot: Bot, chat_id: int, body: Mapping[str, Any]) -> Message:
        method = body.get("method")
        if method == "sendPhoto":
            return await bot.send_photo(chat_id, body["photo"], caption=body.get("caption"),
                                        parse_mode=ParseMode.HTML)
        if method != "sendMessage":
            raise errors.DeliveryError(f"unknown body method {method!r}", retryable=False)
        markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None
        if body.get("inline_keyboard"):
            markup = InlineKeyboardMarkup([
                [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
                for row in body["inline_keyboard"]])
        elif body.get("request_location"):
            markup = ReplyKeyboardMarkup([[KeyboardButton(body["request_location"], request_location=True)]],
                                         resize_keyboard=True, one_time_keyboard=True)
        # No link previews: a preview card per answer is noise, and Telegram would fetch every link.
        return await bot.send_message(chat_id, body["text"], parse_mode=ParseMode.HTML, reply_markup=markup,
                                      link_preview_options=LinkPreviewOptions(is_disabled=True))

    # --- media -------------------------------------------------------------------------------

    def owns_media(self, ref: str) -> bool:
        """Whether ``ref`` names a Telegram file (``telegram:<file_id>``)."""
        return ref.startswith(wire.FILE_PREFIX)

    async def _file(self, media: Media, max_bytes: int) -> File:
        try:
            file_id = wire.file_id_of(media)
        except ValueError as exc:
            raise errors.BadRequest("not a Telegram file") from exc
        try:
            bot = await self.ready_bot()
            file = await bot.get_file(file_id)
        except BadRequest as exc:  # "invalid file_id": never ours, or gone from Telegram's servers
            raise errors.NotFound("Telegram does not know this file") from exc
        except TelegramError as exc:
            raise errors.Unavailable(f"telegram getFile failed: {type(exc).__name__}") from exc
        if not file.file_path:
            raise errors.NotFound("Telegram gave no file path")
        if file.file_size is not None and file.file_size > max_bytes:
            raise errors.PayloadTooLarge(f"file larger than {max_bytes} bytes")
        return file

    async def media_url(self, media: Media) -> str:
        """The download URL of a Telegram file (``getFile``), resolved only when really needed.

        The URL contains the bot token: download on the server with it, never log, store
        or show it. ``BadRequest`` for a media item that is not a Telegram file, ``NotFound``
        for one Telegram does not know; ``Unavailable`` if Telegram cannot be reached.
        """
        return str((await self._file(media, MAX_DOWNLOAD_BYTES)).file_path)

    async def download_media(self, media: Media, max_bytes: int = MAX_DOWNLOAD_BYTES) -> bytes:
        """The bytes of a Telegram file (e.g. the photo of a service request), at most ``max_bytes``
        (``PayloadTooLarge`` beyond: checked on getFile's size before anything is downloaded)."""
        file = await self._file(media, max_bytes)
        try:
            data = bytes(await file.download_as_bytearray())
        except InvalidToken as exc:  # the token just worked for getFile: a 404, the file path expired
            raise errors.NotFound("Telegram file no longer available") from exc
        except TelegramError as exc:
            raise errors.Unavailable(f"telegram file download failed: {type(exc).__name__}") from exc
        if len(data) > max_bytes:
            raise errors.PayloadTooLarge(f"file larger than {max_bytes} bytes")
        return data

    async def close(self) -> None:
        await cancel_until_done(*self._tasks)
        await self._handle.close()
