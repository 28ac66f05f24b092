"""Channel-neutral responses -> Telegram message bodies (pure and deterministic).

A body is our own small JSON (it waits in the outbox), one Bot API call each:

    {"method": "sendMessage", "text": <HTML>,
     "inline_keyboard": [[{"text": title, "callback_data": data}], ...],   # optional
     "stored_callbacks": {data: payload, ...},                             # optional
     "request_location": <button label>}          # optional: one-time reply keyboard
    {"method": "sendPhoto", "photo": <https URL>, "caption": <HTML>}        # caption optional

Why each rule:

* Text from the dialogue core is text, never markup: every ``<``, ``>`` and
  ``&`` is escaped, and only URLs we find ourselves become ``<a href>`` (the
  href escaped too), so content can neither break the HTML Telegram parses
  nor smuggle in a link.
* Telegram allows 4096 characters per message (after parsing the HTML, in
  UTF-16 units as Telegram counts). Longer texts are split at paragraphs,
  then lines, then sentence ends, then words - a cut mid-word only for a
  "word" longer than a whole message. Links are found per chunk after
  splitting, and splits happen only at white space, so a URL is never cut.
* ``callback_data`` may hold 64 bytes. A longer payload (Rasa payloads with
  entities easily are) is sent as a short key derived from the payload
  (``~`` + 22 characters of its SHA-256), and the body carries the payload
  so that ``send`` can store it in Redis before the button exists. The key
  is a hash, not a counter, so rendering stays pure and deterministic (the
  outbox dedupes by item index) and every gateway process can resolve it.
* A location request (``custom: {"request": "location"}``) becomes a
  one-time reply keyboard with one ``request_location`` button: on a phone
  that is one tap instead of finding the attachment menu. It goes on the
  question just before it (the bot's own words) unless that message already
  has an inline keyboard - a message carries one keyboard only - and then
  on a short prompt of its own. A photo request (``{"request": "photo"}``)
  is a sentence saying where the paperclip is: bots cannot open the camera.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from html import escape
from typing import Any

from channels import feedback
from channels.adapters.telegram import texts
from channels.messages import Button, Buttons, Custom, Image, Link, Request, Response, Text, request_of
from channels.texts import pick

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_BYTES = 64
STORED_PREFIX = "~"
_STORED_KEY = re.compile(r"^~[A-Za-z0-9_\-]{22}$")

# Coarse to fine: paragraphs, lines, sentence ends, words.
_BOUNDARIES = (r"\n[ \t]*\n\s*", r"\n\s*", r"(?<=[.!?…:;])\s+", r"\s+")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"»“”’"


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """``text`` in chunks of at most ``limit`` (UTF-16 units), cut only at white space if possible."""
    text = text.strip()
    return [chunk for chunk in _split(text, limit, 0) if chunk] if text else []


def _fits(text: str, limit: int) -> bool:
    return utf16_len(text.strip()) <= limit


def _split(text: str, limit: int, level: int) -> list[str]:
    if _fits(text, limit):
        return [text.strip()]
    if level >= len(_BOUNDARIES):
        return _hard_cut(text.strip(), limit)
    parts = re.split(f"({_BOUNDARIES[level]})", text)
    units, separators = parts[0::2], [*parts[1::2], ""]
    chunks: list[str] = []
    current = ""
    for unit, separator in zip(units, separators, strict=True):
        if _fits(unit, limit):
            if current.strip() and not _fits(current + unit, limit):
                chunks.append(current.strip())
                current = unit
            else:
                current += unit
        else:  # one unit too long on its own: split it finer, keep its last piece open
            if current.strip():
                chunks.append(current.strip())
            *full, current = _split(unit, limit, level + 1) or [""]
            chunks.extend(full)
        current += separator
    if current.strip():
        chunks.append(current.strip())
    return chunks


def _hard_cut(text: str, limit: int) -> list[str]:
    chunks, current, size = [], [], 0
    for char in text:
        width = utf16_len(char)
        if size + width > limit:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current:
        chunks.append("".join(current))
    return chunks


def _trim_url(url: str) -> str:
    """Sentence punctuation after a URL is not part of it; a ")" only if it closes a "(" inside."""
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url = url[:-1]
    return url


def to_html(text: str) -> str:
    """Plain text -> Telegram HTML: everything escaped, http(s) and www. URLs as links."""
    out: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        url = _trim_url(match.group())
        if not url or url.lower() in ("http://", "https://", "www."):
            continue
        out.append(escape(text[position:match.start()], quote=False))
        href = url if url.lower().startswith(("http://", "https://")) else f"https://{url}"
        out.append(f'<a href="{escape(href, quote=True)}">{escape(url, quote=False)}</a>')
        position = match.start() + len(url)
    out.append(escape(text[position:], quote=False))
    return "".join(out)


def stored_key(payload: str) -> str:
    """The short ``callback_data`` standing for a long payload (deterministic)."""
    digest = hashlib.sha256(payload.encode("utf-8")).digest()[:16]
    return STORED_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def is_stored_key(data: str) -> bool:
    return bool(_STORED_KEY.match(data))


def callback_data(payload: str) -> tuple[str, bool]:
    """(callback_data, whether it must be stored): short payloads travel as they are."""
    if len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES and not payload.startswith(STORED_PREFIX):
        return payload, False
    return stored_key(payload), True


def _text_bodies(text: str) -> list[dict[str, Any]]:
    return [{"method": "sendMessage", "text": to_html(chunk)} for chunk in split_text(text)]


def _with_keyboard(body: dict[str, Any], rows: Sequence[Sequence[Button]]) -> dict[str, Any]:
    """``body`` with ``rows`` as its inline keyboard (and the long payloads to store)."""
    keyboard: list[list[dict[str, str]]] = []
    stored: dict[str, str] = {}
    for row in rows:
        keyboard.append([])
        for button in row:
            data, store = callback_data(button.payload)
            keyboard[-1].append({"text": button.title, "callback_data": data})
            if store:
                stored[data] = button.payload
    body["inline_keyboard"] = keyboard
    if stored:
        body["stored_callbacks"] = stored
    return body


def _buttons(response: Buttons, language: str | None) -> list[dict[str, Any]]:
    bodies = _text_bodies(response.text) or _text_bodies(pick(texts.CHOOSE, language))
    _with_keyboard(bodies[-1], [[button] for button in response.buttons])
    return bodies


def _feedback(offer: feedback.Offer) -> dict[str, Any]:
    """The question as its own short message with Ja / Nein side by side in one keyboard row."""
    return _with_keyboard({"method": "sendMessage", "text": to_html(offer.question)}, [offer.buttons()])


def _request(request: Request, data: Mapping[str, Any], bodies: list[dict[str, Any]],
             language: str | None) -> list[dict[str, Any]]:
    """The bodies to add for a request; may put the location keyboard on the last body instead."""
    prompt = data.get("text")
    own = _text_bodies(prompt) if isinstance(prompt, str) and prompt.strip() else []
    if request is Request.PHOTO:
        return [*own, *_text_bodies(pick(texts.PHOTO_PROMPT, language))]
    if not own and bodies and bodies[-1].get("method") == "sendMessage" \
            and "inline_keyboard" not in bodies[-1] and "request_location" not in bodies[-1]:
        bodies[-1]["request_location"] = pick(texts.LOCATION_BUTTON, language)
        return []
    own = own or _text_bodies(pick(texts.LOCATION_PROMPT, language))
    own[-1]["request_location"] = pick(texts.LOCATION_BUTTON, language)
    return own


def _link(link: Link) -> str:
    if not link.url.lower().startswith(("https://", "http://")):  # no javascript: or tg: links
        return escape(f"{link.title}: {link.url}", quote=False)
    return f'<a href="{escape(link.url, quote=True)}">{escape(link.title, quote=False)}</a>'


def _links(links: Sequence[Link]) -> dict[str, Any]:
    return {"method": "sendMessage", "text": "\n".join(_link(link) for link in links)}


def _image(image: Image) -> list[dict[str, Any]]:
    if not image.url.lower().startswith(("https://", "http://")):
        return []
    body: dict[str, Any] = {"method": "sendPhoto", "photo": image.url}
    if image.alt and image.alt.strip():
        body["caption"] = to_html(split_text(image.alt, MAX_CAPTION)[0])
    return [body]


def _runs(responses: Sequence[Response]) -> Iterator[Response | list[Link]]:
    """Responses with consecutive links grouped, so a list of links is one message."""
    group: list[Link] = []
    for response in responses:
        if isinstance(response, Link):
            group.append(response)
            continue
        if group:
            yield group
            group = []
        yield response
    if group:
        yield group


def render(responses: Sequence[Response], language: str | None = None) -> list[dict[str, Any]]:
    """The bodies for ``responses``, in order. A feedback offer becomes "War das hilfreich?" with
    two buttons; other custom data than a request is for other channels and is left out."""
    bodies: list[dict[str, Any]] = []
    for item in _runs(responses):
        match item:
            case list():
                bodies.append(_links(item))
            case Text(text):
                bodies.extend(_text_bodies(text))
            case Buttons():
                bodies.extend(_buttons(item, language))
            case Image():
                bodies.extend(_image(item))
            case Custom() if (offer := feedback.offer_of(item)) is not None:
                bodies.append(_feedback(offer))
            case Custom(data) if (request := request_of(item)) is not None:
                bodies.extend(_request(request, data, bodies, language))
    return bodies
