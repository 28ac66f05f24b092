"""The gateway's part of the citizen's data-protection requests (``actions/privacy.py``).

The dialogue core never sees a phone number or chat id, so two of its answers
carry placeholders the gateway resolves after the turn:

* ``custom: {"privacy": "address"}`` becomes a sentence with the channel
  address this conversation is reached at, masked, and how long it is kept;
* ``custom: {"erase": true}`` is removed from the answer and tells the worker
  to erase the conversation once the turn is committed (``erasure.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from channels import texts
from channels.messages import Channel, Custom, InboundMessage, Response, Text

ADDRESS_TEXT = {
    "de": "Ihre Adresse in diesem Kanal ({channel}): {masked}. Wir speichern sie, damit Antworten der "
    "Verwaltung Sie erreichen, und löschen sie {days} {unit} nach Ihrer letzten Nachricht.",
    "en": "Your address on this channel ({channel}): {masked}. We keep it so that replies from the "
    "administration reach you, and delete it {days} {unit} after your last message.",
    "ls": "So erreichen wir Sie hier ({channel}):\n{masked}\nDas löschen wir {days} {unit} nach Ihrer "
    "letzten Nachricht.",
}
CHANNEL_NAMES = {Channel.WEBCHAT: "Web-Chat", Channel.TELEGRAM: "Telegram", Channel.SMS: "SMS",
                 Channel.WHATSAPP: "WhatsApp", Channel.TEST: "Test"}
WEBCHAT_ADDRESS = {"de": "eine zufällige Kennung Ihres Browsers (keine Telefonnummer)",
                   "en": "a random id of your browser (no phone number)",
                   "ls": "eine Nummer von Ihrem Browser. Nicht Ihre Telefon-Nummer."}


def mask(channel: Channel, user: str) -> str:
    """Enough to recognise one's own address, too little to learn someone else's."""
    user = user.removeprefix("whatsapp:")
    keep_start = 3 if user.startswith("+") else 0
    keep_end = 2 if channel in (Channel.SMS, Channel.WHATSAPP) else 3
    if len(user) <= keep_start + keep_end + 2:
        return "•" * len(user)
    return user[:keep_start] + "•" * (len(user) - keep_start - keep_end) + user[-keep_end:]


def address_sentence(message: InboundMessage, language: str | None, days: int) -> str:
    variant = texts.pick({"de": "de", "en": "en", "ls": "ls"}, language)
    if message.channel is Channel.WEBCHAT:
        masked = WEBCHAT_ADDRESS[variant]
    else:
        masked = mask(message.channel, message.channel_user_id)
    unit = ("day" if days == 1 else "days") if variant == "en" else ("Tag" if days == 1 else "Tage")
    return ADDRESS_TEXT[variant].format(channel=CHANNEL_NAMES[message.channel], masked=masked, days=days,
                                        unit=unit)


@dataclass(frozen=True)
class Resolved:
    responses: list[Response]
    erase: bool


def resolve(responses: Sequence[Response], message: InboundMessage, language: str | None,
            address_ttl_s: int) -> Resolved:
    """The responses with the placeholders resolved, and whether the citizen asked for erasure."""
    out: list[Response] = []
    erase = False
    days = max(1, round(address_ttl_s / 86400))
    for response in responses:
        if isinstance(response, Custom) and response.data.get("erase") is True:
            erase = True
        elif isinstance(response, Custom) and response.data.get("privacy") == "address":
            out.append(Text(address_sentence(message, language, days)))
        else:
            out.append(response)
    return Resolved(out, erase)
