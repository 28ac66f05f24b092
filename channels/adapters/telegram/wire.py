"""Telegram updates in, our own types out: the edge where ``telegram.Update`` ends.

``read_update`` takes the raw JSON of one update (webhook body or one item
of ``getUpdates``), lets python-telegram-bot parse it (``Update.de_json``)
and turns it into an :class:`Incoming`: what the gateway has to do for it.
Nothing past this module sees a PTB type.

python-telegram-bot does not check types (``update_id: "x"`` parses), so
the fields we use are checked here; an update we cannot trust is a
:class:`~channels.errors.BadRequest` (400, nothing stored). An update of a
kind we do not handle is not an error: it is acknowledged and ignored, or
answered with one polite sentence where the citizen expects an answer.

Decisions, and why:

* Only private chats are served. In a group the bot would answer people who
  did not ask it, and their messages would reach the dialogue core;
  group and channel posts are ignored (200, no answer).
* An edited message is a new message (its own ``update_id``), except an
  edited *location*: that is a live location moving, which would otherwise
  start a turn every few seconds.
* ``callback_data`` becomes the message's ``payload``; the core forwards it
  only if the bot offered it (``dialogue.Offers``). Long payloads arrive as
  a short key (``render.STORED_PREFIX``) that the adapter resolves.
* A photo is kept as :class:`Media` whose URL is ``telegram:<file_id>`` (of
  the largest size; the caption becomes the text): the download URL contains
  the bot token, so it is resolved only when the file is really needed
  (``TelegramAdapter.download_media``, when the case service imports the photo
  through ``GET /internal/v1/media``). A picture sent uncompressed as a file counts
  as a photo when it is JPEG, PNG or WebP, the types the case service keeps.
* Commands become texts the content editors' topics answer (``/loeschen`` ->
  "Meine Daten löschen"), so their answers stay editable in ``nlu_data/``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from telegram import Bot, CallbackQuery, Message, Update

from channels.adapters.telegram import texts
from channels.errors import BadRequest
from channels.messages import Channel, InboundMessage, Location, Media
from channels.texts import pick

FILE_PREFIX = "telegram:"  # Media.url of a Telegram file: "telegram:<file_id>" (backoffice/CONTRACT.md)
IMAGE_DOCUMENT_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
MAX_ID = 256


class Reply(StrEnum):
    """Answers the gateway gives by itself, without the dialogue core."""

    PRIVACY = "privacy"
    UNSUPPORTED = "unsupported"


class Command(StrEnum):
    START = "start"
    HELP = "hilfe"
    LANGUAGE = "sprache"
    DELETE = "loeschen"


COMMANDS: dict[str, Command] = {
    "start": Command.START,
    "hilfe": Command.HELP, "help": Command.HELP,
    "sprache": Command.LANGUAGE, "language": Command.LANGUAGE,
    "loeschen": Command.DELETE, "löschen": Command.DELETE, "delete": Command.DELETE,
}

COMMAND_TEXTS: dict[Command, dict[str, str]] = {
    Command.START: texts.START_TEXT,
    Command.HELP: texts.HELP_TEXT,
    Command.LANGUAGE: texts.LANGUAGE_TEXT,
    Command.DELETE: texts.DELETE_TEXT,
}

# Message contents a citizen sends on purpose but the bot cannot handle: one polite sentence.
UNSUPPORTED_KINDS = ("sticker", "voice", "audio", "video", "video_note", "animation", "document",
                     "contact", "poll", "dice", "game", "story", "paid_media", "checklist")


@dataclass(frozen=True)
class Incoming:
    """What one update asks of the gateway (no PTB types; ``kind`` is for logs only).

    ``message`` goes to the dialogue core through the intake, ``replies`` are
    answered by the gateway itself, ``callback_query_id`` must be answered
    so the client's spinner stops. ``chat_id`` is personal data: it is
    needed to answer and is never logged.
    """

    update_id: int
    kind: str
    chat_id: str | None = None
    language: str | None = None
    message: InboundMessage | None = None
    replies: tuple[Reply, ...] = ()
    callback_query_id: str | None = None


def read_body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # not JSON, a nesting bomb or a 10,000-digit number
        raise BadRequest("body is not JSON") from exc
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object (a Telegram update)")
    return data


def read_update(data: Mapping[str, Any], bot: Bot | None) -> Incoming:
    """One update's raw JSON -> :class:`Incoming`; ``BadRequest`` if it is malformed."""
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        raise BadRequest("update_id must be a non-negative integer")
    try:
        update = Update.de_json(dict(data), bot)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadRequest("malformed Telegram update") from exc
    return read_parsed(update)


def read_parsed(update: Update) -> Incoming:
    """An update PTB already parsed (``getUpdates``) -> :class:`Incoming`; ``BadRequest`` if malformed."""
    try:
        return _from_update(update)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadRequest("malformed Telegram update") from exc


def _from_update(update: Update) -> Incoming:
    update_id = update.update_id
    if update.callback_query is not None:
        return _callback(update_id, update.callback_query)
    if update.message is not None:
        return _message(update_id, update.message, edited=False)
    if update.edited_message is not None:
        return _message(update_id, update.edited_message, edited=True)
    if update.channel_post is not None or update.edited_channel_post is not None:
        return Incoming(update_id, "ignored:channel post")
    return Incoming(update_id, "ignored:other update")


def _str(value: object, name: str, limit: int = MAX_ID) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise TypeError(f"{name} must be a non-empty string")
    return value


def _chat_id(value: object) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("chat id must be an integer")
    return str(value)


def _language(code: object) -> str | None:
    return code if isinstance(code, str) and 0 < len(code) <= 20 else None


def _callback(update_id: int, query: CallbackQuery) -> Incoming:
    query_id = _str(query.id, "callback query id")
    language = _language(query.from_user.language_code if query.from_user else None)
    message = query.message
    if message is None or message.chat is None:  # a button under an inline-mode message: not ours
        return Incoming(update_id, "ignored:inline callback", callback_query_id=query_id)
    chat_id = _chat_id(message.chat.id)
    if message.chat.type != "private":
        return Incoming(update_id, "ignored:group callback", callback_query_id=query_id)
    data = query.data
    if data is None:  # a game button: nothing to forward
        return Incoming(update_id, "ignored:callback without data", callback_query_id=query_id)
    payload = _str(data, "callback data", 64)
    inbound = InboundMessage(Channel.TELEGRAM, chat_id, str(update_id), payload=payload,
                             language_hint=language)
    return Incoming(update_id, "callback", chat_id, language, inbound, callback_query_id=query_id)


def _message(update_id: int, message: Message, edited: bool) -> Incoming:
    chat = message.chat
    chat_id = _chat_id(chat.id)
    if chat.type != "private":
        return Incoming(update_id, "ignored:group")
    language = _language(message.from_user.language_code if message.from_user else None)
    prefix = "edited " if edited else ""

    def incoming(kind: str, replies: tuple[Reply, ...] = (), **fields: Any) -> Incoming:
        inbound = InboundMessage(Channel.TELEGRAM, chat_id, str(update_id), language_hint=language, **fields)
        return Incoming(update_id, prefix + kind, chat_id, language, inbound, replies)

    location = message.location or (message.venue.location if message.venue else None)
    if location is not None:
        if edited:  # a live location moving
            return Incoming(update_id, "ignored:live location")
        return incoming("location", location=Location(float(location.latitude), float(location.longitude)))
    media = _media(message)
    if media is not None:
        caption = message.caption if isinstance(message.caption, str) and message.caption.strip() else None
        return incoming("photo", text=caption, media=(media,))
    text = message.text
    if text is not None:
        text = _str(text, "text", 4096 * 2)
        command = _command(text)
        if command is None:
            return incoming("text", text=text)
        replies = (Reply.PRIVACY,) if command is Command.START else ()
        return incoming(f"command {command.value}", replies, text=pick(COMMAND_TEXTS[command], language))
    if any(getattr(message, kind, None) for kind in UNSUPPORTED_KINDS):
        return Incoming(update_id, prefix + "unsupported", chat_id, language, replies=(Reply.UNSUPPORTED,))
    return Incoming(update_id, "ignored:service message")  # e.g. a pinned message: nothing to answer


def _media(message: Message) -> Media | None:
    """The largest size of a photo, or a picture sent uncompressed as a document."""
    if message.photo:  # the sizes of one photo; usually ascending, but do not rely on it
        largest = max(message.photo, key=lambda size: (size.width * size.height, size.file_size or 0))
        return Media(FILE_PREFIX + _str(largest.file_id, "file id"), "image/jpeg")
    document = message.document
    mime_type = document.mime_type if document is not None else None
    if document is not None and mime_type in IMAGE_DOCUMENT_TYPES:
        return Media(FILE_PREFIX + _str(document.file_id, "file id"), mime_type)
    return None


def _command(text: str) -> Command | None:
    """``/start``, ``/Hilfe@MkBot`` ... -> the command; other text (and unknown commands) -> None."""
    if not text.startswith("/"):
        return None
    if len(text) < 2 or text[1].isspace():
        return None
    word = text[1:].split(maxsplit=1)[0]
    return COMMANDS.get(word.split("@", 1)[0].lower())


def file_id_of(media: Media) -> str:
    """The Telegram file id of a media item this channel received; ValueError for others."""
    if not media.url.startswith(FILE_PREFIX) or len(media.url) == len(FILE_PREFIX):
        raise ValueError("not a Telegram file")
    return media.url[len(FILE_PREFIX):]
