"""The defect report form (maengelmeldung): category, place, description, photo, contact."""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content, places
from actions.forms_common import (
    SKIPPED,
    CaseParts,
    Field,
    FormSpec,
    RequestFormValidation,
    SubmitRequest,
    accepted,
    button,
    invalid,
    latest_intent,
    latest_metadata,
    latest_text,
    register,
    variant,
)
from actions.place_slot import PENDING, PLACEHOLDERS, ask_place, raw_place, validate_place
from actions.request_texts import say

FORM = "maengelmeldung_form"
CATEGORY, PLACE, DESCRIPTION = "defect_category", "defect_place", "defect_description"
PHOTO, CONTACT = "defect_photo", "defect_contact"

CATEGORIES: dict[str, dict[str, str]] = {
    "road_damage": {"de": "Schlagloch / Straßenschaden", "en": "Pothole / road damage"},
    "illegal_dumping": {"de": "Wilder Müll", "en": "Illegal dumping"},
    "damaged_sign": {"de": "Defektes Schild", "en": "Damaged sign"},
    "other": {"de": "Etwas anderes", "en": "Something else"},
}
# Stems in normalised text (umlauts folded), checked in this order.
_CATEGORY_STEMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("damaged_sign", ("schild", "verkehrszeichen", "beschilderung", "sign")),
    ("illegal_dumping", ("muell", "mull", "abfall", "abgeladen", "entsorgt", "bauschutt", "matratze",
                         "reifen", "dumping", "rubbish", "trash", "garbage", "waste", "fly tipping")),
    ("road_damage", ("schlagloch", "schlaglch", "loch", "strassenschaden", "fahrbahn", "asphalt",
                     "belag", "gully", "bankett", "pothole", "road damage", "kaputte strasse")),
    ("other", ("anderes", "sonstig", "laterne", "beleuchtung", "ampel", "leitplanke", "other",
               "something else", "street light")),
)
_SKIP_PHOTO = ("ohne foto", "kein foto", "keine foto", "kein bild", "habe keins", "without photo",
               "no photo", "no picture")
_SKIP_CONTACT = ("ohne kontakt", "keine angabe", "kein kontakt", "anonym", "without contact",
                 "no contact")
_URL = re.compile(r"https?://\S+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def category_of(text: str) -> str | None:
    """The category a citizen's words or a button title name, or None."""
    padded = f" {content.normalise(text)} "
    for category, stems in _CATEGORY_STEMS:
        if any(stem in padded for stem in stems):
            return category
    return None


def category_label(category: str, language: str) -> str:
    labels = CATEGORIES.get(category) or CATEGORIES["other"]
    return labels.get(language, labels["de"])


def media_of(metadata: dict[str, Any]) -> list[str]:
    """Attachment ids or URLs from ``metadata.media`` (dicts with ``url`` or plain strings)."""
    found = []
    for item in metadata.get("media") or ():
        ref = item.get("url") if isinstance(item, dict) else item
        if isinstance(ref, str) and ref.strip():
            found.append(ref.strip()[:500])
    return found


def skipped(text: str, words: tuple[str, ...], intent: str) -> bool:
    padded = f" {content.normalise(text)} "
    return intent == "deny" or any(f" {w} " in padded for w in words)


def parse_contact(text: str) -> dict[str, str | None] | None:
    """Name, phone (E.164) and e-mail from free text; None without phone and e-mail."""
    email_match = _EMAIL.search(text)
    email = email_match.group(0) if email_match else None
    rest = _EMAIL.sub(" ", text)
    phone = None
    for match in phonenumbers.PhoneNumberMatcher(rest, "DE"):
        if phonenumbers.is_valid_number(match.number):
            phone = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            rest = rest.replace(match.raw_string, " ")
            break
    if phone is None and email is None:
        return None
    name = re.sub(r"[^\w\s.'-]", " ", rest)
    name = re.sub(r"\b(tel|telefon|mail|e-mail|email|name|ich bin|mein name ist|und)\b", " ", name,
                  flags=re.IGNORECASE)
    name = " ".join(w for w in name.split() if not any(c.isdigit() for c in w))
    return {"name": name[:80] if len(name) >= 2 else None, "phone": phone, "email": email}


def _show_photo(value: Any, language: str) -> str:
    if value == SKIPPED or not value:
        return {"en": "no photo"}.get(language, "kein Foto")
    count = len(value)
    return f"{count} photo(s)" if language == "en" else f"{count} Foto(s)"


def _show_contact(value: Any, language: str) -> str:
    if value == SKIPPED or not isinstance(value, dict):
        return {"en": "none"}.get(language, "keine Angabe")
    return ", ".join(str(v) for v in (value.get("name"), value.get("phone"), value.get("email")) if v)


SPEC = register(FormSpec(
    form=FORM,
    intent="maengelmeldung",
    fields=(
        Field(CATEGORY, {"de": "Art", "en": "Kind"}, ("art", "kategorie", "category", "kind"),
              lambda v, lang: category_label(v, lang)),
        Field(PLACE, {"de": "Ort", "en": "Place"},
              ("ort", "adresse", "standort", "stelle", "place", "location", "address"),
              lambda v, _lang: places.display(v)),
        Field(DESCRIPTION, {"de": "Beschreibung", "en": "Description"},
              ("beschreibung", "description", "text"), lambda v, _lang: str(v)[:200]),
        Field(PHOTO, {"de": "Foto", "en": "Photo"}, ("foto", "bild", "photo", "picture"), _show_photo),
        Field(CONTACT, {"de": "Kontakt", "en": "Contact"},
              ("kontakt", "telefon", "telefonnummer", "e mail", "email", "name", "contact", "phone"),
              _show_contact),
    ),
    extra_slots=(PENDING,),
))


class ValidateMaengelmeldungForm(RequestFormValidation):
    handoff_rule = True

    def spec(self) -> FormSpec:
        return SPEC

    def on_change(self, slot: str) -> dict[str, Any]:
        return {PENDING: None} if slot == PLACE else {}

    # --- category ----------------------------------------------------------------------
    async def extract_defect_category(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> dict[str, Any]:
        if self.asked(tracker, CATEGORY):
            return {CATEGORY: category_of(latest_text(tracker)) or "?"}
        if self.prefill(tracker, CATEGORY):
            found = category_of(latest_text(tracker))
            return {CATEGORY: found} if found else {}
        return {}

    def validate_defect_category(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value in CATEGORIES:
            return accepted({CATEGORY: value})
        return invalid(dispatcher, tracker, CATEGORY, say("category_unknown", variant(tracker)))

    # --- place -------------------------------------------------------------------------
    async def extract_defect_place(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        if self.asked(tracker, PLACE):
            found = raw_place(tracker, prefill=False)
            return {PLACE: found or {"text": ""}}
        if self.prefill(tracker, PLACE):
            found = raw_place(tracker, prefill=True)
            return {PLACE: found} if found else {}
        return {}

    def validate_defect_place(self, value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return validate_place(PLACE, value, dispatcher, tracker, need_town=False)

    # --- description -------------------------------------------------------------------
    async def extract_defect_description(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: DomainDict) -> dict[str, Any]:
        if not self.asked(tracker, DESCRIPTION):
            return {}
        text = latest_text(tracker)
        return {DESCRIPTION: "" if text.lower() in PLACEHOLDERS else text}

    def validate_defect_description(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = " ".join(str(value or "").split())
        if len(text) < 8 or len(text.split()) < 2:
            return invalid(dispatcher, tracker, DESCRIPTION,
                           say("description_too_short", variant(tracker)))
        return accepted({DESCRIPTION: text[:1000]})

    # --- photo -------------------------------------------------------------------------
    async def extract_defect_photo(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        media = media_of(latest_metadata(tracker))
        if media and (self.asked(tracker, PHOTO) or self.prefill(tracker, PHOTO)):
            return {PHOTO: media}
        if not self.asked(tracker, PHOTO):
            return {}
        text = latest_text(tracker)
        if skipped(text, _SKIP_PHOTO, latest_intent(tracker)):
            return {PHOTO: SKIPPED}
        urls = _URL.findall(text)
        return {PHOTO: urls[:5] if urls else "?"}

    def validate_defect_photo(self, value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value == SKIPPED or (isinstance(value, list) and value):
            return accepted({PHOTO: value})
        return invalid(dispatcher, tracker, PHOTO, say("photo_missing", variant(tracker)))

    # --- contact -----------------------------------------------------------------------
    async def extract_defect_contact(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        if not self.asked(tracker, CONTACT):
            return {}
        text = latest_text(tracker)
        if skipped(text, _SKIP_CONTACT, latest_intent(tracker)):
            return {CONTACT: SKIPPED}
        return {CONTACT: parse_contact(text) or "?"}

    def validate_defect_contact(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value == SKIPPED or isinstance(value, dict):
            return accepted({CONTACT: value})
        return invalid(dispatcher, tracker, CONTACT, say("contact_unclear", variant(tracker)))


class ActionAskDefectCategory(Action):
    def name(self) -> str:
        return "action_ask_defect_category"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        language = variant(tracker)
        titles = [category_label(c, language) for c in CATEGORIES]
        dispatcher.utter_message(text=say("ask_defect_category", language),
                                 buttons=[button(t, t) for t in titles])
        return []


class ActionAskDefectPlace(Action):
    def name(self) -> str:
        return "action_ask_defect_place"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        ask_place(dispatcher, tracker, "ask_place")
        return []


class ActionAskDefectDescription(Action):
    def name(self) -> str:
        return "action_ask_defect_description"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=say("ask_defect_description", variant(tracker)))
        return []


class ActionAskDefectPhoto(Action):
    def name(self) -> str:
        return "action_ask_defect_photo"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        language = variant(tracker)
        skip = say("skip_photo", language)
        dispatcher.utter_message(text=say("ask_defect_photo", language), buttons=[button(skip, skip)],
                                 json_message={"request": "photo"})
        return []


class ActionAskDefectContact(Action):
    def name(self) -> str:
        return "action_ask_defect_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        language = variant(tracker)
        skip = say("skip_contact", language)
        dispatcher.utter_message(text=say("ask_contact", language), buttons=[button(skip, skip)])
        return []


class ActionSubmitMaengelmeldung(SubmitRequest):
    kind = "maengelmeldung"

    def spec(self) -> FormSpec:
        return SPEC

    def parts(self, tracker: Tracker) -> CaseParts:
        photo = tracker.get_slot(PHOTO)
        contact = tracker.get_slot(CONTACT)
        return CaseParts(
            data={"category": tracker.get_slot(CATEGORY),
                  "description": tracker.get_slot(DESCRIPTION)},
            place=tracker.get_slot(PLACE),
            contact=contact if isinstance(contact, dict) else None,
            media=tuple(photo) if isinstance(photo, list) else (),
        )
