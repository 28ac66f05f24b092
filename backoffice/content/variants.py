"""Choosing a response variant the way Rasa 3.6 does, plus validity windows.

Ported from ``rasa.core.nlg.generator.ResponseVariationFilter`` and
``rasa.core.nlg.interpolator`` (the gateway's Python cannot import Rasa), so
the NLG endpoint answers exactly what Rasa's own templated generator would.
Before Rasa's choice, variants whose ``metadata.valid_from`` /
``valid_until`` (ISO dates, inclusive, Europe/Berlin) exclude today are
dropped; after it, a variant whose window includes today wins over the
undated ones Rasa chose with it, so holiday hours added next to the normal
answer replace it for their days without the normal answer being dated.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

Variant = Mapping[str, Any]
INTERPOLATED = ("text", "image", "custom", "buttons", "attachment", "quick_replies")


def _date(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def window(variant: Variant) -> tuple[dt.date | None, dt.date | None]:
    """The variant's validity window (None = open end); ValueError on a malformed date."""
    meta = variant.get("metadata") or {}
    return _date(meta.get("valid_from")), _date(meta.get("valid_until"))


def dated(variant: Variant) -> bool:
    """The variant has a window (either end)."""
    meta = variant.get("metadata") or {}
    return bool(meta.get("valid_from") or meta.get("valid_until"))


def valid_on(variant: Variant, day: dt.date) -> bool:
    try:
        start, end = window(variant)
    except ValueError:  # the validator reports it; a broken date never hides an answer
        return True
    return (start is None or start <= day) and (end is None or day <= end)


def _matches(slots: Mapping[str, Any], variant: Variant) -> bool:
    for constraint in variant.get("condition") or []:
        value, filled = constraint.get("value"), slots.get(constraint.get("name"))
        if isinstance(filled, str) and isinstance(value, str):
            if filled.casefold() != value.casefold():
                return False
        elif filled != value:
            return False
    return True


def eligible(variants: Sequence[Variant], slots: Mapping[str, Any], channel: str | None,
             day: dt.date) -> list[Variant]:
    """Rasa's preference order: conditional + channel, default + channel, conditional, default;
    within the group, the variants dated for ``day`` if there are any."""
    current = [v for v in variants if valid_on(v, day)]
    default = [v for v in current if not v.get("condition")]
    conditional = [v for v in current if v.get("condition") and _matches(slots, v)]
    for group in ([v for v in conditional if v.get("channel") == channel],
                  [v for v in default if v.get("channel") == channel],
                  [v for v in conditional if v.get("channel") is None],
                  [v for v in default if v.get("channel") is None]):
        if group:
            return [v for v in group if dated(v)] or group
    return []


def interpolate_text(text: str, values: Mapping[str, Any]) -> str:
    """``{slot}`` filled from ``values``; text unchanged when a name is unknown (as Rasa does)."""
    try:
        filled = re.sub(r"{([^\n{}]+?)}", r"{0[\1]}", text).format(values)
        return text.format({}) if "0[" in filled else filled
    except (KeyError, IndexError, ValueError):
        return text


def interpolate(value: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        return interpolate_text(value, values)
    if isinstance(value, dict):
        return {key: interpolate(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, values) for item in value]
    return value


def generate(variants: Sequence[Variant], slots: Mapping[str, Any], channel: str | None, day: dt.date,
             arguments: Mapping[str, Any] | None = None, rng: random.Random | None = None
             ) -> dict[str, Any] | None:
    """The message for one response, or None when no variant fits (Rasa then utters nothing)."""
    choices = eligible(variants, slots, channel, day)
    if not choices:
        return None
    chosen = copy.deepcopy(dict((rng or random).choice(choices)))
    values = {**slots, **(arguments or {})}
    for key in INTERPOLATED:
        if key in chosen and values:
            chosen[key] = interpolate(chosen[key], values)
    return chosen  # condition, channel, metadata stay: Rasa keeps them in the bot event's metadata
