"""A fake Telegram: the Bot API as a local HTTP server, and citizens' updates as Telegram sends them.

:class:`FakeBotApi` serves ``{base}/bot<token>/<method>`` and
``{base}/file/bot<token>/<path>`` the way api.telegram.org does - JSON or
form parameters in, ``{"ok": true, "result": ...}`` or ``{"ok": false,
"error_code": ..., "description": ..., "parameters": {...}}`` out - so the
real ``telegram.Bot`` can be pointed at it (TELEGRAM_API_BASE). It checks
what the real API checks and the gateway could get wrong: the HTML of
``parse_mode=HTML`` (only Telegram's tags, every ``<``, ``>`` and ``&``
escaped, tags balanced), 4096 characters after parsing, 64-byte
``callback_data``. It records every call (``calls``) and every message a
citizen would see (``sent``), can fail on purpose (429 with
``retry_after``, 403 blocked, ...), queues updates for ``getUpdates`` or
posts them to the registered webhook with the secret header, like Telegram.

:class:`Citizen` builds updates as the Bot API documents them (text,
edited message, button press, location, photo, sticker, voice), and
:func:`group_message` / :func:`channel_post` the ones a bot must ignore.

Used by the tests and by ``tools/telegram_simulator.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from channels.messages import Channel
from channels.pseudonym import conversation_id, partition_of
from tests.channels.fakes import _Server

JSON_FIELDS = frozenset({"reply_markup", "allowed_updates", "link_preview_options", "commands",
                         "entities", "caption_entities", "reply_parameters"})
TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                  "tg-spoiler", "span", "blockquote", "tg-emoji"})
_TAG = re.compile(r'<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+\s*=\s*"[^"]*")*)\s*>')
_ATTRIBUTE = re.compile(r'([a-zA-Z-]+)\s*=\s*"([^"]*)"')
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")
_SECRET = re.compile(r"^[A-Za-z0-9_\-]{1,256}$")

TOKEN = "123456789:AAHfake-bot-token-for-the-tests_0123"
SECRET = "webhook-secret-for-the-tests_0123"


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Telegram's HTML parse mode: (plain text, [(href, link text)]) or ApiError 400."""
    plain: list[str] = []
    links: list[tuple[str, str]] = []
    stack: list[tuple[str, str | None, int]] = []
    position = 0

    def fail(reason: str) -> ApiError:
        offset = len(text[:position].encode("utf-8"))
        return ApiError(400, f"Bad Request: can't parse entities: {reason} at byte offset {offset}")

    while position < len(text):
        char = text[position]
        if char == "<":
            match = _TAG.match(text, position)
            name = match.group(2).lower() if match else ""
            if match is None or name not in TAGS:
                raise fail(f'Unsupported start tag "{name or text[position + 1:position + 8]}"')
            if match.group(1):
                if not stack or stack[-1][0] != name:
                    raise fail(f'Unmatched end tag "{name}"')
                _, href, start = stack.pop()
                if name == "a" and href is not None:
                    links.append((href, "".join(plain)[start:]))
            else:
                attributes = dict(_ATTRIBUTE.findall(match.group(3)))
                href = html.unescape(attributes["href"]) if "href" in attributes else None
                stack.append((name, href, len("".join(plain))))
            position = match.end()
        elif char == "&":
            entity = _ENTITY.match(text, position)
            if entity is None:
                raise fail('Character "&" must be escaped')
            plain.append(html.unescape(entity.group()))
            position = entity.end()
        elif char == ">":
            raise fail('Character ">" must be escaped')
        else:
            plain.append(char)
            position += 1
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(plain), links


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class SentMessage:
    """A message as the citizen's Telegram app would show it."""

    method: str
    chat_id: int
    message_id: int
    text: str  # plain text after parsing the HTML
    html: str  # what the bot sent
    links: list[tuple[str, str]]
    reply_markup: dict[str, Any] | None
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline keyboard buttons, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    @property
    def asks_for_location(self) -> bool:
        rows = (self.reply_markup or {}).get("keyboard") or []
        return any(isinstance(b, dict) and b.get("request_location") for row in rows for b in row)


@dataclass
class Failure:
    method: str
    status: int
    description: str
    retry_after: int | None = None
    chat_id: int | None = None
    times: int = 1


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    allowed_updates: list[str] | None
    max_connections: int


class FakeBotApi(_Server):
    def __init__(self, token: str, prefix: str = "") -> None:
        super().__init__()
        self.token = token
        self.prefix = prefix.rstrip("/")
        self.calls: list[ApiCall] = []  # every call that reached us, failed ones included
        self.sent: list[SentMessage] = []
        self.failures: list[Failure] = []
        self.blocked: set[int] = set()  # chats that blocked the bot: 403
        self.webhook: Webhook | None = None
        self.last_webhook_error: tuple[int, str] | None = None
        self.pending: list[dict[str, Any]] = []  # updates not yet confirmed (getUpdates) or delivered
        self.webhook_statuses: list[int] = []
        self.commands: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}
        self.changed = asyncio.Event()
        self.on_sent: Callable[[SentMessage], None] | None = None
        self.bot_user = {"id": int(token.split(":", 1)[0]), "is_bot": True, "first_name": "Märkischer Kreis",
                         "username": "MkBuergerBot", "can_join_groups": False,
                         "can_read_all_group_messages": False, "supports_inline_queries": False}
        self._update_id = 500_000
        self._message_id = 1
        self._poll_generation = 0
        self._closing = False
        self.conflicts = 0  # getUpdates answered 409
        self._new_update = asyncio.Condition()
        self._session: aiohttp.ClientSession | None = None

    @property
    def base(self) -> str:
        """What TELEGRAM_API_BASE must be set to."""
        return f"{self.url}{self.prefix}"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", f"{self.prefix}/bot{{token}}/{{method}}", self._api)
        app.router.add_get(f"{self.prefix}/file/bot{{token}}/{{path:.+}}", self._file)
        return app

    async def start(self) -> None:
        self._closing = False
        await super().start()

    async def stop(self) -> None:
        async with self._new_update:  # end waiting getUpdates calls now, not after their timeout
            self._closing = True
            self._new_update.notify_all()
        if self._session is not None:
            await self._session.close()
            self._session = None
        await super().stop()

    # --- test helpers ---------------------------------------------------------------------

    def next_update_id(self) -> int:
        self._update_id += 1
        return self._update_id

    def next_message_id(self) -> int:
        self._message_id += 1
        return self._message_id

    def fail(self, method: str, status: int, description: str, *, retry_after: int | None = None,
             chat_id: int | None = None, times: int = 1) -> None:
        self.failures.append(Failure(method, status, description, retry_after, chat_id, times))

    def add_file(self, file_id: str, data: bytes) -> None:
        self.files[file_id] = data

    def calls_of(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_id == chat_id]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("condition not met in time")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(remaining, 0.2))

    async def deliver(self, update: dict[str, Any]) -> int | None:
        """Send an update like Telegram: POST to the webhook (status returned) or queue it for
        getUpdates (None)."""
        if self.webhook is None:
            async with self._new_update:
                self.pending.append(update)
                self._new_update.notify_all()
            return None
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        if self.webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook.secret_token
        async with self._session.post(self.webhook.url, data=json.dumps(update), headers=headers) as reply:
            status = reply.status
        self.webhook_statuses.append(status)
        if status >= 300:
            self.last_webhook_error = (int(time.time()), f"Wrong response from the webhook: {status}")
        return status

    # --- the API --------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append(ApiCall(method, params))
        self.changed.set()
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return _error(ApiError(404, "Not Found"))
        try:
            self._injected_failure(method, params)
            result = await handler(params)
        except ApiError as exc:
            return _error(exc)
        self.changed.set()
        return web.json_response({"ok": True, "result": result})

    def _injected_failure(self, method: str, params: dict[str, Any]) -> None:
        for failure in self.failures:
            if failure.method.lower() != method.lower():
                continue
            if failure.chat_id is not None and _int(params.get("chat_id")) != failure.chat_id:
                continue
            failure.times -= 1
            if failure.times <= 0:
                self.failures.remove(failure)
            parameters = {"retry_after": failure.retry_after} if failure.retry_after is not None else None
            raise ApiError(failure.status, failure.description, parameters)

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        file_id = request.match_info["path"].rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if file_id not in self.files:
            return _error(ApiError(404, "Not Found"))
        return web.Response(body=self.files[file_id], content_type="image/jpeg")

    async def _m_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    def _chat(self, params: dict[str, Any]) -> int:
        chat_id = _int(params.get("chat_id"))
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat_id is empty")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        return {"message_id": self.next_message_id(), "from": self.bot_user, "date": int(time.time()),
                "chat": {"id": chat_id, "first_name": "Erika", "type": "private"}, **content}

    async def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        raw = str(params.get("text") or "")
        plain, links = parse_html(raw) if params.get("parse_mode") == "HTML" else (raw, [])
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        markup = _check_markup(params.get("reply_markup"))
        message = self._message(chat_id, text=plain)
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self._record(SentMessage("sendMessage", chat_id, message["message_id"], plain, raw, links, markup,
                                 params))
        return message

    async def _m_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        if not params.get("photo"):
            raise ApiError(400, "Bad Request: there is no photo in the request")
        raw = str(params.get("caption") or "")
        plain, links = parse_html(raw) if params.get("parse_mode") == "HTML" else (raw, [])
        if utf16_len(plain) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        photo = [{"file_id": "AgACAgIAAxkBAAIBfake", "file_unique_id": "AQADfake", "width": 800,
                  "height": 600}]
        message = self._message(chat_id, photo=photo, **({"caption": plain} if plain else {}))
        self._record(SentMessage("sendPhoto", chat_id, message["message_id"], plain, raw, links, None,
                                 params))
        return message

    def _record(self, message: SentMessage) -> None:
        self.sent.append(message)
        if self.on_sent is not None:
            self.on_sent(message)

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        if not params.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is "
                                "invalid")
        return True

    async def _m_setmycommands(self, params: dict[str, Any]) -> bool:
        self.commands = list(params.get("commands") or [])
        return True

    async def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET.match(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if _bool(params.get("drop_pending_updates")):
            self.pending.clear()
        if not url:
            self.webhook = None
            return True
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        allowed = params.get("allowed_updates")
        self.webhook = Webhook(url, str(secret) if secret else None, list(allowed) if allowed else None,
                               _int(params.get("max_connections")) or 40)
        return True

    async def _m_deletewebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if _bool(params.get("drop_pending_updates")):
            self.pending.clear()
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {"url": self.webhook.url if self.webhook else "",
                                "has_custom_certificate": False, "pending_update_count": len(self.pending)}
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.allowed_updates:
                info["allowed_updates"] = self.webhook.allowed_updates
        if self.last_webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self.last_webhook_error
        return info

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            self.conflicts += 1
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use "
                                "deleteWebhook to delete the webhook first")
        offset = _int(params.get("offset"))
        limit = _int(params.get("limit")) or 100
        timeout = float(_int(params.get("timeout")) or 0)
        async with self._new_update:
            self._poll_generation += 1  # a newer getUpdates ends an older one with 409, as Telegram does
            generation = self._poll_generation
            self._new_update.notify_all()
            if offset is not None:  # confirms every update before it
                self.pending = [u for u in self.pending if u["update_id"] >= offset]
            if not self.pending and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_update.wait_for(
                        lambda: bool(self.pending) or self._closing or self._poll_generation != generation),
                        timeout)
            if self._poll_generation != generation:
                self.conflicts += 1
                raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only "
                                    "one bot instance is running")
            return self.pending[:limit]

    async def _m_getfile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id") or "")
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {"file_id": file_id, "file_unique_id": f"u{file_id[:8]}",
                "file_size": len(self.files[file_id]), "file_path": f"photos/{file_id}.jpg"}


def _error(exc: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": exc.status, "description": exc.description}
    if exc.parameters:
        body["parameters"] = exc.parameters
    return web.json_response(body, status=exc.status)


async def _params(request: web.Request) -> dict[str, Any]:
    """Parameters as the Bot API takes them: query string, JSON body or (multipart) form."""
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            params.update(await request.json())
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    for name in JSON_FIELDS & params.keys():
        if isinstance(params[name], str):
            try:
                params[name] = json.loads(params[name])
            except ValueError as exc:
                raise web.HTTPBadRequest(text=f"{name} is not JSON") from exc
    return params


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    return None


def _bool(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _check_markup(markup: object) -> dict[str, Any] | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            if not str(button.get("text") or "").strip():
                raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    for row in markup.get("keyboard") or []:
        for button in row:
            if not str(button.get("text") if isinstance(button, dict) else button).strip():
                raise ApiError(400, "Bad Request: keyboard button text is empty")
    return markup


# --- updates, as Telegram sends them ------------------------------------------------------------


class Citizen:
    """A Telegram user in a private chat with the bot; builds the updates their app causes."""

    def __init__(self, api: FakeBotApi, user_id: int, first_name: str = "Erika",
                 language_code: str | None = "de") -> None:
        self.api = api
        self.id = user_id
        self.first_name = first_name
        self.language_code = language_code

    @property
    def user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name,
                                "last_name": "Mustermann", "username": f"user{self.id}"}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "first_name": self.first_name, "last_name": "Mustermann",
                "username": f"user{self.id}", "type": "private"}

    def message(self, **content: Any) -> dict[str, Any]:
        message = {"message_id": self.api.next_message_id(), "from": self.user, "chat": self.chat,
                   "date": int(time.time()), **content}
        return {"update_id": self.api.next_update_id(), "message": message}

    def text(self, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
        return self.message(**content)

    def edited(self, message_id: int, text: str) -> dict[str, Any]:
        now = int(time.time())
        message = {"message_id": message_id, "from": self.user, "chat": self.chat, "date": now - 60,
                   "edit_date": now, "text": text}
        return {"update_id": self.api.next_update_id(), "edited_message": message}

    def location(self, latitude: float, longitude: float) -> dict[str, Any]:
        return self.message(location={"latitude": latitude, "longitude": longitude})

    def photo(self, file_id: str, caption: str | None = None) -> dict[str, Any]:
        sizes = [{"file_id": f"{file_id}-small", "file_unique_id": "AQADs", "file_size": 1200, "width": 90,
                  "height": 67},
                 {"file_id": file_id, "file_unique_id": "AQADl", "file_size": 64000, "width": 1280,
                  "height": 960}]
        return self.message(photo=sizes, **({"caption": caption} if caption else {}))

    def sticker(self) -> dict[str, Any]:
        return self.message(sticker={
            "width": 512, "height": 512, "emoji": "👍", "set_name": "HotCherry", "is_animated": False,
            "is_video": False, "type": "regular", "file_id": "CAACAgIAAxkBAAIBZ2fake",
            "file_unique_id": "AgADfake", "file_size": 23456,
            "thumbnail": {"file_id": "AAMCAgADfake", "file_unique_id": "AQADthumb", "file_size": 5000,
                          "width": 128, "height": 128}})

    def voice(self) -> dict[str, Any]:
        return self.message(voice={"duration": 3, "mime_type": "audio/ogg", "file_id": "AwACAgIAAxkBfake",
                                   "file_unique_id": "AgADvoice", "file_size": 8000})

    def press(self, sent: SentMessage, index: int) -> dict[str, Any]:
        """The update for pressing button ``index`` under ``sent``."""
        button = sent.buttons[index]
        message = {"message_id": sent.message_id, "from": self.api.bot_user, "chat": self.chat,
                   "date": int(time.time()), "text": sent.text, "reply_markup": sent.reply_markup}
        query = {"id": f"{self.id}{sent.message_id}{index}", "from": self.user, "message": message,
                 "chat_instance": "-4563217788935543210", "data": button["callback_data"]}
        return {"update_id": self.api.next_update_id(), "callback_query": query}


def group_message(api: FakeBotApi, user: Citizen, text: str) -> dict[str, Any]:
    message = {"message_id": api.next_message_id(), "from": user.user, "date": int(time.time()),
               "chat": {"id": -1001234567890, "title": "Nachbarschaft Altena", "type": "supergroup"},
               "text": text}
    return {"update_id": api.next_update_id(), "message": message}


def channel_post(api: FakeBotApi, text: str) -> dict[str, Any]:
    chat = {"id": -1009876543210, "title": "Kreisnachrichten", "type": "channel"}
    post = {"message_id": api.next_message_id(), "sender_chat": chat, "chat": chat, "date": int(time.time()),
            "text": text}
    return {"update_id": api.next_update_id(), "channel_post": post}


async def post_update(http: aiohttp.ClientSession, webhook_url: str, update: dict[str, Any] | bytes,
                      secret: str | None = SECRET, content_type: str = "application/json") -> int:
    """Telegram's webhook call (or a forgery of it); returns the status."""
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    headers = {"Content-Type": content_type}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    async with http.post(webhook_url, data=body, headers=headers) as reply:
        return reply.status


def chats_in_different_partitions(pseudonym_key: str, partitions: int) -> tuple[int, int]:
    """Two chat ids whose conversations are processed in different inbound partitions."""
    def partition(chat: int) -> int:
        return partition_of(conversation_id(pseudonym_key.encode(), Channel.TELEGRAM, str(chat)), partitions)

    first = 4711
    return first, next(chat for chat in range(4712, 5000) if partition(chat) != partition(first))
