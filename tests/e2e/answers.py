"""Expected answers, read from the topic files the bot is trained on."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


@cache
def _topic(topic_id: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "nlu_data" / "topics" / f"{topic_id}.yml").read_text("utf-8"))


@cache
def catalogue() -> list[dict[str, Any]]:
    return yaml.safe_load((ROOT / "nlu_data" / "catalogue.yml").read_text("utf-8"))["topics"]


def response_name(topic_id: str) -> str:
    kind = next(t["kind"] for t in catalogue() if t["id"] == topic_id)
    return f"utter_faq/{topic_id}" if kind == "faq" else f"utter_{topic_id}"


def answer(topic_id: str, language: str = "de", channel: str | None = None,
           name: str | None = None) -> str:
    """The text of the variant Rasa should pick for this language and channel."""
    variants = _topic(topic_id)["responses"][name or response_name(topic_id)]

    def lang(v: dict[str, Any]) -> str | None:
        return next((c["value"] for c in v.get("condition") or [] if c["name"] == "language"),
                    None)

    conditional = [v for v in variants if lang(v) == language]
    if conditional:
        with_channel = [v for v in conditional if v.get("channel") == channel]
        chosen = with_channel or [v for v in conditional if not v.get("channel")]
        return str(chosen[0]["text"]).strip()
    defaults = [v for v in variants if lang(v) is None]
    with_channel = [v for v in defaults if v.get("channel") == channel]
    chosen = with_channel or [v for v in defaults if not v.get("channel")]
    return str(chosen[0]["text"]).strip()


def first_example(topic_id: str, lang: str = "de") -> str:
    kind = next(t["kind"] for t in catalogue() if t["id"] == topic_id)
    intent = f"faq/{topic_id}" if kind == "faq" else topic_id
    for block in _topic(topic_id)["nlu"]:
        if block["intent"] == intent and (block.get("metadata") or {}).get("lang") == lang:
            return str(block["examples"]).splitlines()[0].strip()[2:]
    raise KeyError(topic_id)
