"""The gateway's own message types: one in, one channel-neutral set out.

Adapters turn a Telegram ``Update`` or a Twilio form into an
:class:`InboundMessage` at the edge and render :data:`Response` values into
their own wire format at the other edge; nothing in between sees a vendor
type. Everything here is a frozen dataclass so a message cannot change on
its way through the queue, and everything serialises to the flat string
fields a Redis stream entry holds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    """Channels; the values are the output channel names the Rasa connector accepts."""

    WEBCHAT = "webchat"
    TELEGRAM = "telegram"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    TEST = "test"


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise ValueError("location out of range")


@dataclass(frozen=True)
class Media:
    """An attachment as the channel describes it (URL or channel file id)."""

    url: str
    content_type: str | None = None


@dataclass(frozen=True)
class InboundMessage:
    """What a citizen sent, as parsed at the adapter's edge.

    Exactly one of ``text`` and ``payload`` is usually set: ``payload`` is a
    button the citizen pressed (it is only forwarded as such when the bot
    offered it, see ``dialogue.py``). ``channel_user_id`` is personal data (a
    phone number, a Telegram chat id): it is needed to answer, so it travels
    through Redis, but it never reaches the dialogue core or the logs.
    """

    channel: Channel
    channel_user_id: str
    channel_message_id: str
    text: str | None = None
    payload: str | None = None
    location: Location | None = None
    media: tuple[Media, ...] = ()
    language_hint: str | None = None
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        if not self.channel_user_id or not self.channel_message_id:
            raise ValueError("channel user id and channel message id are required")
        if self.text is None and self.payload is None and self.location is None and not self.media:
            raise ValueError("a message needs text, a payload, a location or media")

    def to_json(self) -> str:
        data = asdict(self)
        data["channel"] = self.channel.value
        data["received_at"] = self.received_at.isoformat()
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> InboundMessage:
        data = json.loads(raw)
        location = data.get("location")
        return cls(
            channel=Channel(data["channel"]),
            channel_user_id=data["channel_user_id"],
            channel_message_id=data["channel_message_id"],
            text=data.get("text"),
            payload=data.get("payload"),
            location=Location(**location) if location else None,
            media=tuple(Media(**item) for item in data.get("media") or ()),
            language_hint=data.get("language_hint"),
            received_at=datetime.fromisoformat(data["received_at"]),
        )


@dataclass(frozen=True)
class QueuedMessage:
    """An inbound stream entry: the message plus the ids the core works with.

    ``conversation_id`` is the pseudonym (``pseudonym.py``); ``message_id`` is
    the stable internal id derived from the channel's own message id, used as
    Rasa's ``message_id`` and for outbox deduplication.
    """

    conversation_id: str
    message_id: str
    message: InboundMessage

    def to_fields(self) -> dict[str, str]:
        return {"conv": self.conversation_id, "mid": self.message_id, "msg": self.message.to_json()}

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> QueuedMessage:
        return cls(fields["conv"], fields["mid"], InboundMessage.from_json(fields["msg"]))


# --- channel-neutral responses -------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Buttons:
    """A text with quick replies; channels without buttons render a numbered menu."""

    text: str
    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class Image:
    url: str
    alt: str | None = None


@dataclass(frozen=True)
class Link:
    url: str
    title: str


@dataclass(frozen=True)
class Custom:
    """Anything else the bot sent (Rasa ``custom``); adapters may ignore it."""

    data: Mapping[str, Any]


Response = Text | Buttons | Image | Link | Custom


class Request(StrEnum):
    """What the bot asks the citizen to send: ``custom: {"request": "location" | "photo"}``.

    Each channel renders it its own way (a button in the web chat, a reply
    keyboard on Telegram, a sentence on SMS); see ``channels/README.md``."""

    LOCATION = "location"
    PHOTO = "photo"


def request_of(response: Response) -> Request | None:
    """The request a response carries, or None (also for unknown request names)."""
    if not isinstance(response, Custom):
        return None
    try:
        return Request(str(response.data.get("request")))
    except ValueError:
        return None


def _button(raw: Mapping[str, Any]) -> Button | Link | None:
    title = str(raw.get("title") or "").strip()
    payload = raw.get("payload")
    if isinstance(payload, str) and payload.strip():
        return Button(title or payload, payload)
    url = raw.get("url")
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return Link(url, title or url)
    return None


def responses_from_connector(messages: Sequence[Mapping[str, Any]]) -> list[Response]:
    """The connector's ``messages`` as responses, in order, tolerant of extra keys.

    One connector message can carry text, buttons, an image and custom data
    at once; they become separate responses in that order. URL buttons
    become links after the text they belong to.
    """
    out: list[Response] = []
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        text = message.get("text")
        text = text if isinstance(text, str) and text.strip() else ""
        parsed = [_button(b) for b in message.get("buttons") or () if isinstance(b, Mapping)]
        buttons = tuple(b for b in parsed if isinstance(b, Button))
        links = [b for b in parsed if isinstance(b, Link)]
        if buttons:
            out.append(Buttons(text, buttons))
        elif text:
            out.append(Text(text))
        out.extend(links)
        image = message.get("image")
        if isinstance(image, str) and image:
            out.append(Image(image))
        attachment = message.get("attachment")
        if isinstance(attachment, str) and attachment.startswith(("https://", "http://")):
            out.append(Link(attachment, attachment))
        custom = message.get("custom")
        if isinstance(custom, Mapping) and custom:
            link = custom.get("link")
            if isinstance(link, Mapping) and isinstance(link.get("url"), str):
                out.append(Link(link["url"], str(link.get("title") or link["url"])))
            else:
                out.append(Custom(dict(custom)))
    return out


def response_to_dict(response: Response) -> dict[str, Any]:
    """JSON form used by the test channel and by web chat history."""
    match response:
        case Text(text):
            return {"type": "text", "text": text}
        case Buttons(text, buttons):
            return {"type": "buttons", "text": text,
                    "buttons": [{"title": b.title, "payload": b.payload} for b in buttons]}
        case Image(url, alt):
            return {"type": "image", "url": url, "alt": alt}
        case Link(url, title):
            return {"type": "link", "url": url, "title": title}
        case Custom(data):
            return {"type": "custom", "data": dict(data)}
    raise TypeError(f"not a response: {type(response).__name__}")


def response_from_dict(data: Mapping[str, Any]) -> Response:
    kind = data.get("type")
    if kind == "text":
        return Text(data["text"])
    if kind == "buttons":
        return Buttons(data["text"], tuple(Button(b["title"], b["payload"]) for b in data["buttons"]))
    if kind == "image":
        return Image(data["url"], data.get("alt"))
    if kind == "link":
        return Link(data["url"], data["title"])
    if kind == "custom":
        return Custom(dict(data["data"]))
    raise ValueError(f"unknown response type {kind!r}")


# --- outbound ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outbound:
    """One item in a channel's outbox: a rendered body for one recipient.

    ``(message_id, index)`` names it uniquely: rendering is deterministic, so
    a replayed turn renders the same items with the same indexes and the
    outbox can drop the repeats. ``index`` is a string so notices and
    emergency answers (``"n"``, ``"e0"``) cannot collide with turn items.
    """

    channel: Channel
    recipient: str
    conversation_id: str
    message_id: str
    index: str
    body: Mapping[str, Any]
    rewrite_aof: bool = False  # the last item of an erasure's confirmation (channels/erasure.py)

    @property
    def key(self) -> str:
        return f"{self.message_id}:{self.index}"

    def to_json(self) -> str:
        data = asdict(self)
        data["channel"] = self.channel.value
        data["body"] = dict(self.body)
        if not self.rewrite_aof:
            del data["rewrite_aof"]
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> Outbound:
        data = json.loads(raw)
        return cls(
            channel=Channel(data["channel"]),
            recipient=data["recipient"],
            conversation_id=data["conversation_id"],
            message_id=data["message_id"],
            index=str(data["index"]),
            body=data["body"],
            rewrite_aof=bool(data.get("rewrite_aof")),
        )
