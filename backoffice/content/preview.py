"""An answer as each channel would show it, with the gateway's own renderers (imported, never copied).

Web chat: the widget's bodies. Telegram: the Bot API bodies (HTML, split at
4096 characters, inline keyboard). SMS: the body after the gateway's GSM
transliteration with encoding and segment count, and the further pages a
citizen gets with "WEITER" when the answer exceeds ``SMS_SEGMENT_BUDGET``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from channels.adapter import RenderContext
from channels.adapters.telegram.render import render as render_telegram
from channels.adapters.twilio.render import render_sms
from channels.adapters.webchat.render import render as render_webchat
from channels.messages import responses_from_connector


@dataclass(frozen=True)
class Preview:
    webchat: list[dict[str, Any]]
    telegram: list[dict[str, Any]]
    sms: list[dict[str, Any]]


def preview(message: Mapping[str, Any], sms_budget: int, language: str | None = None) -> Preview:
    """``message``: what the NLG endpoint would send (``text``, ``buttons``, ...)."""
    responses = responses_from_connector([message])
    return Preview(webchat=render_webchat(responses, RenderContext("preview", language)),
                   telegram=render_telegram(responses, language),
                   sms=render_sms(responses, sms_budget, language))
