"""Request bodies of the case API checked and turned into values; ``Invalid`` names the first problem."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import phonenumbers

KINDS = ("maengelmeldung", "sperrmuell_anmelden", "rueckruf")
CHANNELS = frozenset({"webchat", "telegram", "sms", "whatsapp", "test", "open311"})
LANGUAGES = frozenset({"de", "en", "ls"})
CATEGORIES = ("road_damage", "illegal_dumping", "damaged_sign", "other")
_ID = re.compile(r"^[A-Za-z0-9_.:@\-]{1,100}$")
KEY = re.compile(r"^[A-Za-z0-9_.:@\-]{1,200}$")
_MEDIA = re.compile(r"^(att_[0-9a-f]{24}|telegram:[A-Za-z0-9_\-]{1,200}|https?://\S{1,280})$")


class Invalid(ValueError):
    """A body field is missing or malformed; the message is the API's one-line error."""


@dataclass(frozen=True)
class Place:
    town: str | None = None
    address: str | None = None
    lat: float | None = None
    lon: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"town": self.town, "address": self.address, "lat": self.lat, "lon": self.lon}


@dataclass(frozen=True)
class Contact:
    name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class NewCase:
    idempotency_key: str
    kind: str
    conversation_id: str
    channel: str
    language: str
    data: dict[str, Any]
    description: str | None = None
    place: Place = field(default_factory=Place)
    contact: Contact = field(default_factory=Contact)
    media: tuple[str, ...] = ()


def text(body: dict[str, Any], name: str, limit: int, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise Invalid(f"{name} must be a non-empty string of at most {limit} characters")
    return value.strip()


def ident(body: dict[str, Any], name: str, pattern: re.Pattern[str] = _ID) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not pattern.match(value):
        raise Invalid(f"{name} must be an id of letters, digits and _.:@-")
    return value


def choice(body: dict[str, Any], name: str, allowed: frozenset[str] | tuple[str, ...],
           default: str | None = None) -> str:
    value = body.get(name, default)
    if value not in allowed:
        raise Invalid(f"{name} must be one of {', '.join(sorted(allowed))}")
    return str(value)


def phone(value: object, name: str = "phone") -> str:
    """A German or international number in E.164 (+49...)."""
    try:
        number = phonenumbers.parse(str(value), "DE")
    except phonenumbers.NumberParseException as exc:
        raise Invalid(f"{name} must be a phone number") from exc
    if not isinstance(value, str) or not phonenumbers.is_valid_number(number):
        raise Invalid(f"{name} must be a phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _coordinate(value: object, name: str, low: float, high: float) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise Invalid(f"{name} must be a number between {low} and {high}")
    return float(value)


def place(raw: object) -> Place:
    if raw is None:
        return Place()
    if not isinstance(raw, dict):
        raise Invalid("place must be an object or null")
    town = raw.get("town")
    if town is not None and (not isinstance(town, str) or not re.fullmatch(r"[a-z0-9_]{1,60}", town)):
        raise Invalid("place.town must be a town id or null")
    return Place(town, text(raw, "address", 300, required=False),
                 _coordinate(raw.get("lat"), "place.lat", -90, 90),
                 _coordinate(raw.get("lon"), "place.lon", -180, 180))


def contact(raw: object) -> Contact:
    if raw is None:
        return Contact()
    if not isinstance(raw, dict):
        raise Invalid("contact must be an object or null")
    email = text(raw, "email", 200, required=False)
    if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise Invalid("contact.email must be an e-mail address")
    number = raw.get("phone")
    return Contact(text(raw, "name", 200, required=False), phone(number, "contact.phone") if number else None,
                   email)


def media(raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > 10 or not all(isinstance(m, str) and _MEDIA.match(m)
                                                            for m in raw):
        raise Invalid("media must be a list of at most 10 att_<id>, telegram:<file_id> or URLs")
    return tuple(dict.fromkeys(raw))


def _kind_data(kind: str, data: dict[str, Any]) -> tuple[dict[str, Any], str | None, str | None]:
    """The kind's non-personal fields, and what is personal and kept apart: description, call-back phone."""
    if kind == "maengelmeldung":
        category = choice(data, "category", CATEGORIES)
        kept: dict[str, Any] = {"category": category}
        for extra, allowed in (("road", ("kreisstrasse", "other")), ("area", ("town", "outside"))):
            if data.get(extra) is not None:
                kept[extra] = choice(data, extra, allowed)
        return kept, text(data, "description", 2000), None
    if kind == "sperrmuell_anmelden":
        items = text(data, "items", 500)
        preferred = text(data, "preferred_date", 10)
        try:
            date.fromisoformat(str(preferred))
        except ValueError as exc:
            raise Invalid("data.preferred_date must be YYYY-MM-DD") from exc
        return {"items": items, "preferred_date": preferred}, None, None
    topic = text(data, "topic", 60)
    return {"topic": topic, "window": text(data, "window", 100)}, None, phone(data.get("phone"), "data.phone")


def new_case(body: object) -> NewCase:
    if not isinstance(body, dict):
        raise Invalid("body must be a JSON object")
    kind = choice(body, "kind", KINDS)
    data = body.get("data")
    if not isinstance(data, dict):
        raise Invalid("data must be an object")
    kept, description, callback = _kind_data(kind, data)
    person = contact(body.get("contact"))
    if callback:
        person = Contact(person.name, callback, person.email)
    return NewCase(
        idempotency_key=ident(body, "idempotency_key", KEY), kind=kind,
        conversation_id=ident(body, "conversation_id"), channel=choice(body, "channel", CHANNELS),
        language=choice(body, "language", LANGUAGES, "de"), data=kept, description=description,
        place=place(body.get("place")), contact=person, media=media(body.get("media")),
    )
