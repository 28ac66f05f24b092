"""Responses -> Twilio message bodies: numbered menus, the SMS budget, WhatsApp without it.

A body is a plain dict (it travels through the outbox as JSON)::

    {"kind": "reply", "text": "...", "encoding": "GSM-7", "segments": 2,
     "more": ["part 2 ... Mehr: MEHR", "part 3"]}      # SMS, only when shortened
    {"kind": "reply", "text": "...", "media": ["https://..."]}   # WhatsApp image

``kind`` tells ``send`` what the body is: ``reply`` (a turn's answer),
``more`` (a part asked for with MEHR), ``privacy``, ``help`` and ``keyword``
(opt-out/opt-in confirmations). Emergency answers are recognised by their
outbox index (``e0``), not by a kind.

SMS: the whole turn becomes ONE body - one message costs fewer segments than
several (each would round up on its own) and arrives in order. If it is
longer than SMS_SEGMENT_BUDGET it is cut at a sentence end, ends with "Mehr:
MEHR", and the remaining parts ride along in ``more`` (``send`` keeps them in
Redis for the keyword). Emergency answers are never shortened.

Buttons become "1 Title" lines, numbered on across all buttons of the turn -
exactly the order in which ``dialogue.Offers`` remembers the payloads, so a
reply "2" maps back to the second button.

The bot's requests (``custom: {"request": "location" | "photo"}``) become a
sentence: on SMS asking for the address in words (and saying that photos
cannot come by SMS), on WhatsApp saying how to share the location or a photo.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from channels.adapters.twilio.sms_text import measure, paginate, split_long, to_gsm
from channels.adapters.twilio.texts import request_text
from channels.emergency import ANSWERS as EMERGENCY_ANSWERS
from channels.messages import Buttons, Channel, Custom, Image, Link, Response, Text, request_of

EMERGENCY_TEXTS = frozenset(EMERGENCY_ANSWERS.values())


class BodyKind(StrEnum):
    """What a body is; ``send`` applies the delivery rules by it."""

    REPLY = "reply"  # a turn's answer (SMS: its rest waits for MEHR)
    MORE = "more"  # the next part, asked for with MEHR
    PRIVACY = "privacy"  # the notice on first contact
    HELP = "help"  # the answer to HILFE/HELP
    KEYWORD = "keyword"  # the confirmation of STOPP or START

    @classmethod
    def of(cls, body: Any) -> BodyKind:
        try:
            return cls(str(body.get("kind") or cls.REPLY))
        except ValueError:
            return cls.REPLY


def as_text(responses: Sequence[Response], channel: Channel = Channel.SMS,
            language: str | None = None) -> list[tuple[Response, str]]:
    """Each response with its plain text; buttons as a numbered menu running on across the turn;
    a request as the channel's sentence. Responses with nothing to show (an empty ``Custom``) are
    left out."""
    out: list[tuple[Response, str]] = []
    number = 0
    for response in responses:
        block = ""
        match response:
            case Text(text):
                block = text.strip()
            case Buttons(text, buttons):
                lines = [text.strip()] if text.strip() else []
                for button in buttons:
                    number += 1
                    lines.append(f"{number} {button.title.strip()}")
                block = "\n".join(lines)
            case Image(url, alt):
                block = f"{alt}: {url}" if alt else url
            case Link(url, title):
                block = url if title.strip() in ("", url) else f"{title.strip()}: {url}"
            case Custom(data):
                text = data.get("text")
                parts = [text.strip()] if isinstance(text, str) and text.strip() else []
                if (request := request_of(response)) is not None:
                    parts.append(request_text(channel, request, language))
                block = " ".join(parts)
        if block:
            out.append((response, block))
    return out


def sms_body(text: str, kind: BodyKind = BodyKind.REPLY, more: Sequence[str] = ()) -> dict[str, Any]:
    """One SMS body with its encoding and segment count (for logs, tests and the simulator)."""
    info = measure(text)
    body: dict[str, Any] = {"kind": kind.value, "text": text, "encoding": info.encoding.value,
                            "segments": info.segments}
    if more:
        body["more"] = list(more)
    return body


def render_sms(responses: Sequence[Response], budget: int,
               language: str | None = None) -> list[dict[str, Any]]:
    """A turn as one SMS body within ``budget`` segments (emergency answers in full)."""
    blocks = [block for _, block in as_text(responses, Channel.SMS, language)]
    if not blocks:
        return []
    text = to_gsm("\n".join(blocks))
    if any(isinstance(r, Text) and r.text in EMERGENCY_TEXTS for r in responses):
        return [sms_body(part) for part in split_long(text)]
    first, *rest = paginate(text, budget)
    return [sms_body(first, more=rest)]


def render_whatsapp(responses: Sequence[Response], language: str | None = None) -> list[dict[str, Any]]:
    """One WhatsApp body per response (images as media), numbered menus, no segment budget."""
    bodies: list[dict[str, Any]] = []
    for response, block in as_text(responses, Channel.WHATSAPP, language):
        if isinstance(response, Image):
            bodies.append({"kind": BodyKind.REPLY.value, "text": response.alt or "", "media": [response.url]})
        else:
            bodies.extend({"kind": BodyKind.REPLY.value, "text": part} for part in split_long(block))
    return bodies
