"""Where the model in service would place a new training example, before it is written.

An example that the current model confidently gives to another topic usually
means the two topics overlap or the example is ambiguous; trained in, it blurs
both topics. The editor is shown the clash and decides, rather than finding
out at the regression check after a long training. The model is asked through
the Rasa server's own ``POST /model/parse``; when no Rasa answers, the check
reports that it could not run and the editor's change is not blocked by it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

RETRIEVAL_INTENT = "faq"  # config.yml: the ResponseSelector's retrieval intent
NO_PLACEMENT = {"nlu_fallback"}  # the fallback says "no topic", not "another topic"
TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Placement:
    """The model's topic id for a text (the part after ``faq/`` for FAQ topics) and its confidence."""

    topic: str | None
    confidence: float


def placement(parsed: Mapping[str, Any]) -> Placement:
    """From Rasa's parse result; an FAQ topic's confidence is P(faq) x P(topic | faq)."""
    intent = parsed.get("intent") or {}
    name = intent.get("name")
    confidence = float(intent.get("confidence") or 0.0)
    if name in NO_PLACEMENT:
        return Placement(None, 0.0)
    if name != RETRIEVAL_INTENT:
        return Placement(str(name) if name else None, confidence)
    selector = (parsed.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    response = selector.get("response") or {}
    key = str(response.get("intent_response_key") or "")
    topic = key.split("/", 1)[1] if key.startswith(f"{RETRIEVAL_INTENT}/") else None
    return Placement(topic, confidence * float(response.get("confidence") or 0.0))


class ModelCheck:
    """Asks one Rasa server (the first of RASA_URLS) where an example would go."""

    def __init__(self, rasa_url: str | None, token: str | None, threshold: float) -> None:
        self.rasa_url = rasa_url.rstrip("/") if rasa_url else None
        self.token = token
        self.threshold = threshold

    async def place(self, text: str) -> Placement | None:
        """None when the model could not be asked (no Rasa, not ready, an error)."""
        if not self.rasa_url:
            return None
        params = {"token": self.token} if self.token else None
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)) as http, \
                    http.post(f"{self.rasa_url}/model/parse", params=params, json={"text": text}) as reply:
                if reply.status != 200:
                    return None
                return placement(await reply.json())
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            return None

    def clash(self, found: Placement | None, topic: str) -> Placement | None:
        """``found`` when it is another topic at or above the threshold."""
        if found is None or found.topic in (None, topic) or found.confidence < self.threshold:
            return None
        return found
