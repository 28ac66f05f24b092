"""Responses -> the widget's JSON bodies: plain data, never HTML.

The widget puts every text into the page with ``textContent`` and builds
links itself, so nothing the bot (or an editor's answer) contains can become
markup in the citizen's browser. Here we only decide what the widget cannot
know: the writing direction and language of each message.

Direction follows the script of the text, not the conversation's language:
an Arabic-speaking citizen gets the English answer variant after one Arabic
sentence (see ``actions/language.py``), and only that sentence is right to
left. The conversation language (Rasa's ``user_language``, passed as
``RenderContext.language``) names the ``lang`` of a text when it fits the
script, so screen readers pronounce it right (WCAG 3.1.2).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from channels import feedback
from channels.adapter import RenderContext
from channels.messages import Buttons, Custom, Image, Link, Response, Text, request_of

# Arabic, Arabic Supplement, Arabic Extended-A, presentation forms; Hebrew.
_RTL_LETTER = re.compile("[\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_CYRILLIC_LETTER = re.compile("[\u0400-\u04ff]")
_LATIN_LANGUAGES = frozenset({"de", "en", "tr", "pl", "fr", "es", "it", "ro"})
_CYRILLIC_LANGUAGES = frozenset({"uk", "ru"})


def _base_language(language: str | None) -> str | None:
    if not language:
        return None
    code = language.lower().replace("_", "-").split("-")[0]
    return "de" if code == "ls" else code  # Leichte Sprache is German


def _letters(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.category(ch).startswith("L")]


def direction_and_language(text: str, language: str | None) -> tuple[str, str | None]:
    """("rtl" | "ltr", lang or None) of one text: the script of most of its letters decides."""
    letters = _letters(text)
    if not letters:
        return "ltr", None
    rtl = sum(1 for ch in letters if _RTL_LETTER.match(ch))
    if rtl * 2 > len(letters):
        code = _base_language(language)
        return "rtl", code if code in ("ar", "fa", "ur", "he") else "ar"
    code = _base_language(language)
    cyrillic = sum(1 for ch in letters if _CYRILLIC_LETTER.match(ch))
    if cyrillic * 2 > len(letters):
        return "ltr", code if code in _CYRILLIC_LANGUAGES else None
    return "ltr", code if code in _LATIN_LANGUAGES else None


def _safe_url(url: str) -> bool:
    return url.startswith(("https://", "http://")) and not any(ch.isspace() for ch in url)


def _texty(kind: str, text: str, context: RenderContext, **extra: Any) -> dict[str, Any]:
    direction, lang = direction_and_language(text, context.language)
    return {"kind": kind, "text": text, "dir": direction, "lang": lang, **extra}


def render(responses: Sequence[Response], context: RenderContext) -> list[dict[str, Any]]:
    """One body per response the widget can show, in order; deterministic (the outbox dedupes by index).

    A request (``custom: {"request": "location" | "photo"}``) becomes
    ``{"kind": "request", "request": ...}``: the widget shows the matching
    button. A feedback offer (``channels/feedback.py``) becomes a ``buttons`` body with
    ``"feedback": true``: the question with two small buttons Ja / Nein. Other custom
    payloads have no web chat form and are left out; an
    image or link that is not http(s) is left out too (``javascript:`` must
    never reach an href).
    """
    bodies: list[dict[str, Any]] = []
    for response in responses:
        match response:
            case Text(text):
                bodies.append(_texty("text", text, context))
            case Buttons(text, buttons):
                choices = [{"title": b.title, "payload": b.payload} for b in buttons]
                bodies.append(_texty("buttons", text, context, buttons=choices))
            case Link(url, title) if _safe_url(url):
                bodies.append(_texty("link", title, context, url=url))
            case Image(url, alt) if _safe_url(url):
                bodies.append({"kind": "image", "url": url, "alt": alt or ""})
            case Custom() if (offer := feedback.offer_of(response)) is not None:
                choices = [{"title": b.title, "payload": b.payload} for b in offer.buttons()]
                bodies.append(_texty("buttons", offer.question, context, buttons=choices, feedback=True))
            case Custom() if (request := request_of(response)) is not None:
                bodies.append({"kind": "request", "request": request.value})
            case Custom() | Link() | Image():
                continue
    return bodies
