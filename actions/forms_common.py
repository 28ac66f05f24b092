"""What every request form shares: cancel, interruptions, invalid values, confirm, correct.

A form registers a ``FormSpec`` (its fields with labels) and subclasses
``RequestFormValidation``. Its domain ``required_slots`` end with ``change``
and ``confirm``; ``required_slots()`` here drops ``change`` unless the citizen
said "nein" to the summary. The flow:

* every field: ``extract_<slot>`` (only when asked, or to pre-fill what the
  citizen already said), ``validate_<slot>``; an invalid value gets a specific
  sentence via ``invalid()`` and the question again; from the second failure on
  the citizen is also offered to stop;
* interruptions (cancel intent, asking for a person or what is stored, a faq question) are
  *not* extracted, so the form rejects and the rules in
  bot/data/requests.yml answer them (then the form asks again);
* ``confirm`` shows a summary with yes/no buttons; "nein" asks which field to
  change (``change``), clears it, asks it again and shows a new summary;
* the case is created by the form's submit action after "ja", with the
  idempotency key ``<sender_id>:<message_id of the latest user message>``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import case_service, content
from actions import faq as _faq
from actions.request_texts import say

CANCEL_INTENT = "abbrechen"
RETRIEVAL_INTENT = "faq"
HANDOFF_INTENT = "mensch_sprechen"
DATA_ACCESS_INTENT = "daten_auskunft"
# Below this, "Ein Mitarbeiter soll sich das ansehen" stays a description.
HANDOFF_CONFIDENCE = 0.7
SKIPPED = "-"  # an optional field the citizen chose to leave out
CONFIRM, CHANGE, EDITING, ATTEMPTS = "confirm", "change", "editing", "attempts"
SHARED_SLOTS = (CONFIRM, CHANGE, EDITING, ATTEMPTS)
OFFER_STOP_AFTER = 2  # invalid values in a row before the citizen is offered to stop

_QUESTION_WORDS = frozenset({
    "wie", "wo", "was", "wann", "wer", "welche", "welcher", "welches", "warum", "wieso", "weshalb",
    "kann", "muss", "brauche", "gibt", "darf", "how", "what", "where", "when", "who", "which",
    "why", "can", "do", "does", "is", "are",
})
_YES = frozenset({"ja", "jo", "jep", "genau", "richtig", "stimmt", "korrekt", "ok", "okay", "passt",
                  "yes", "yep", "correct", "sure", "absenden", "ja absenden", "yes send it"})
_NO = frozenset({"nein", "ne", "nee", "no", "nope", "falsch", "aendern", "nein aendern",
                 "no change something", "korrigieren"})


def variant(tracker: Tracker) -> str:
    return tracker.get_slot("language") or "de"


def latest_text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "").strip()


def latest_intent(tracker: Tracker) -> str:
    return str(((tracker.latest_message or {}).get("intent") or {}).get("name") or "")


def latest_metadata(tracker: Tracker) -> dict[str, Any]:
    return dict((tracker.latest_message or {}).get("metadata") or {})


def requested(tracker: Tracker) -> str | None:
    return tracker.get_slot("requested_slot")


def is_interruption(tracker: Tracker, handoff: bool = True) -> bool:
    """Cancel, asking for a person (``handoff``: the form has a rule for it) or what is stored
    about one (every form has a rule for it), or a faq question (a button topic or a sentence
    phrased as a question)."""
    intent = latest_intent(tracker)
    if intent == CANCEL_INTENT:
        return True
    confidence = float(((tracker.latest_message or {}).get("intent") or {}).get("confidence") or 0)
    if intent == HANDOFF_INTENT and handoff:
        return confidence >= HANDOFF_CONFIDENCE or latest_text(tracker).startswith("/")
    if intent == DATA_ACCESS_INTENT:
        text = latest_text(tracker)
        return confidence >= HANDOFF_CONFIDENCE or "?" in text or text.startswith("/")
    if intent != RETRIEVAL_INTENT and not intent.startswith(f"{RETRIEVAL_INTENT}/"):
        return False
    if next(tracker.get_latest_entity_values("topic"), None):
        return True
    text = latest_text(tracker)
    words = content.normalise(text).split()
    return "?" in text or bool(words and words[0] in _QUESTION_WORDS)


def yes_or_no(tracker: Tracker) -> str | None:
    """'yes', 'no' or None, from the intent or the exact words of the buttons."""
    text = content.normalise(latest_text(tracker))
    intent = latest_intent(tracker)
    if text in _YES or intent == "affirm":
        return "yes"
    first = text.split()[0] if text else ""
    if text in _NO or first in _NO or intent == "deny":
        return "no"
    return None


def idempotency_key(tracker: Tracker) -> str:
    """``<sender_id>:<message_id>`` of the latest user message (stable on a replayed turn)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            message_id = event.get("message_id") or f"t{event.get('timestamp')}"
            return f"{tracker.sender_id}:{message_id}"
    return f"{tracker.sender_id}:none"


def channel_of(tracker: Tracker) -> str:
    channel = latest_metadata(tracker).get("channel") or tracker.get_latest_input_channel()
    return channel if channel in ("webchat", "telegram", "sms", "whatsapp", "test") else "test"


def button(title: str, payload: str) -> dict[str, str]:
    return {"title": title, "payload": payload}


@dataclass(frozen=True)
class Field:
    """One value of a form as the citizen sees it in the summary and the correction."""

    slot: str
    label: dict[str, str]
    keywords: tuple[str, ...]  # normalised words that name this field ("ort", "adresse")
    show: Callable[[Any, str], str] = lambda value, _variant: str(value)

    def title(self, language: str) -> str:
        return self.label.get(language, self.label["de"])


@dataclass(frozen=True)
class FormSpec:
    form: str
    fields: tuple[Field, ...]
    extra_slots: tuple[str, ...] = ()  # helper slots reset with the form
    intent: str = ""  # the intent that starts the form (action_start_request)

    def field(self, slot: str) -> Field | None:
        return next((f for f in self.fields if f.slot == slot), None)

    def all_slots(self) -> tuple[str, ...]:
        return (*(f.slot for f in self.fields), *self.extra_slots, *SHARED_SLOTS)

    def named_field(self, text: str) -> Field | None:
        """The field a correction names: a button title or one of its keywords."""
        words = f" {content.normalise(text)} "
        for field in self.fields:
            names = [content.normalise(t) for t in field.label.values()] + list(field.keywords)
            if any(name and f" {name} " in words for name in names):
                return field
        return None


FORMS: dict[str, FormSpec] = {}


def register(spec: FormSpec) -> FormSpec:
    FORMS[spec.form] = spec
    return spec


def reset_events(spec: FormSpec) -> list[EventType]:
    return [SlotSet(slot, None) for slot in spec.all_slots()] + [SlotSet(ATTEMPTS, 0)]


def invalid(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str,
            sentence: str) -> dict[str, Any]:
    """A specific sentence, the question again (by the form), the offer to stop after two tries."""
    attempts = int(tracker.get_slot(ATTEMPTS) or 0) + 1
    if attempts >= OFFER_STOP_AFTER:
        language = variant(tracker)
        dispatcher.utter_message(
            text=f"{sentence}\n{say('offer_stop', language)}",
            buttons=[button(say("stop_button", language), f"/{CANCEL_INTENT}")],
        )
    else:
        dispatcher.utter_message(text=sentence)
    return {slot: None, ATTEMPTS: attempts}


def accepted(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, ATTEMPTS: 0}


class RequestFormValidation(FormValidationAction):
    """Base of the request forms' validation actions (abstract: not registered itself)."""

    # True when bot/data has the rule "mensch_sprechen during this form -> action_handoff
    # -> the form"; without it, asking for a person stays a value of the form.
    handoff_rule = False

    @abstractmethod
    def spec(self) -> FormSpec:
        """The form's fields."""

    def name(self) -> str:
        return f"validate_{self.spec().form}"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        fields = [f.slot for f in self.spec().fields]
        return [*fields, *([CHANGE] if tracker.get_slot(EDITING) else []), CONFIRM]

    def asked(self, tracker: Tracker, slot: str) -> bool:
        """Extract ``slot`` from this message: it was asked for, and it is not an interruption."""
        return requested(tracker) == slot and not is_interruption(tracker, self.handoff_rule)

    def prefill(self, tracker: Tracker, slot: str) -> bool:
        """Extract ``slot`` unasked (said ahead of time): it is still empty and not being edited."""
        return (requested(tracker) != slot and tracker.get_slot(slot) is None
                and not tracker.get_slot(EDITING) and requested(tracker) != CONFIRM
                and not is_interruption(tracker, self.handoff_rule))

    # --- confirm -----------------------------------------------------------------------
    async def extract_confirm(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        if not self.asked(tracker, CONFIRM):
            return {}
        return {CONFIRM: yes_or_no(tracker) or "?"}

    def validate_confirm(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        if value is True or value == "yes":
            return accepted({CONFIRM: True})
        if value == "no":
            field = self.spec().named_field(latest_text(tracker))
            if field is not None:  # "nein, der Ort stimmt nicht": straight to that field
                return accepted({CONFIRM: None, field.slot: None, **self.on_change(field.slot)})
            return accepted({CONFIRM: None, EDITING: True, CHANGE: None})
        return invalid(dispatcher, tracker, CONFIRM, say("confirm_unclear", variant(tracker)))

    # --- change ------------------------------------------------------------------------
    async def extract_change(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        if not self.asked(tracker, CHANGE):
            return {}
        field = self.spec().named_field(latest_text(tracker))
        return {CHANGE: field.slot if field else "?"}

    def validate_change(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                        domain: DomainDict) -> dict[str, Any]:
        field = self.spec().field(str(value))
        if field is None:
            return invalid(dispatcher, tracker, CHANGE, say("change_unclear", variant(tracker)))
        return accepted({CHANGE: None, EDITING: None, CONFIRM: None, field.slot: None,
                         **self.on_change(field.slot)})

    def on_change(self, slot: str) -> dict[str, Any]:
        """Helper slots to clear when ``slot`` is asked again (override where needed)."""
        return {}


class ActionAskConfirm(Action):
    """The summary of all values with yes/no buttons (any registered form)."""

    def name(self) -> str:
        return "action_ask_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        spec = FORMS.get(tracker.active_loop.get("name") or "")
        if spec is None:
            return []
        language = variant(tracker)
        lines = [say("summary_intro", language)]
        for field in spec.fields:
            value = tracker.get_slot(field.slot)
            if value is not None:
                lines.append(f"• {field.title(language)}: {field.show(value, language)}")
        lines.append(say("summary_question", language))
        dispatcher.utter_message(text="\n".join(lines), buttons=[
            button(say("yes", language), "/affirm"), button(say("no", language), "/deny")])
        return []


class ActionAskChange(Action):
    """Which value to change: one button per field."""

    def name(self) -> str:
        return "action_ask_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        spec = FORMS.get(tracker.active_loop.get("name") or "")
        if spec is None:
            return []
        language = variant(tracker)
        titles = [f.title(language) for f in spec.fields]
        dispatcher.utter_message(text=say("ask_change", language),
                                 buttons=[button(t, t) for t in titles])
        return []


class ActionStartRequest(Action):
    """Before a form starts: forget the values of an earlier, abandoned run of it.

    The form's own extraction then pre-fills what this first message says.
    """

    def name(self) -> str:
        return "action_start_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        intent = latest_intent(tracker)
        spec = next((s for s in FORMS.values() if s.intent and s.intent == intent), None)
        return reset_events(spec) if spec else []


class ActionCancelRequest(Action):
    """Stops the active form, forgets its values, says that nothing was sent."""

    def name(self) -> str:
        return "action_cancel_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        form = tracker.active_loop.get("name")
        language = variant(tracker)
        if not form:
            dispatcher.utter_message(text=say("nothing_to_cancel", language))
            return []
        spec = FORMS.get(form)
        slots = spec.all_slots() if spec else tuple(
            (domain.get("forms", {}).get(form) or {}).get("required_slots") or ())
        dispatcher.utter_message(text=say("cancelled", language))
        return [ActiveLoop(None), SlotSet("requested_slot", None),
                *(SlotSet(slot, None) for slot in slots), SlotSet(ATTEMPTS, 0)]


class ActionAnswerDuringForm(_faq._TopicRouting, Action):
    """A faq question in the middle of a form: the answer, without asking for the town.

    The form then asks its open question again (rules in bot/data/requests.yml).
    """

    def name(self) -> str:
        return "action_answer_during_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        topic = content.catalogue().get(_faq.predicted_topic(tracker) or "")
        if topic is None or topic.kind != "faq":
            dispatcher.utter_message(response="utter_default")
            return []
        events = self._context(topic, dispatcher, tracker, allow_asking=False) or []
        dispatcher.utter_message(response=f"utter_{RETRIEVAL_INTENT}/{topic.id}")
        dispatcher.utter_message(text=say("answer_then_continue", variant(tracker)))
        return [e for e in events if e.get("name") != "town"]


@dataclass(frozen=True)
class CaseParts:
    """What a form contributes to POST /api/v1/cases besides the common fields."""

    data: dict[str, Any]
    place: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None
    media: tuple[str, ...] = ()


class SubmitRequest(Action, ABC):
    """Creates the case after "ja" and confirms it (abstract: one subclass per form)."""

    kind: str = ""

    @abstractmethod
    def spec(self) -> FormSpec:
        """The form whose values are sent."""

    @abstractmethod
    def parts(self, tracker: Tracker) -> CaseParts:
        """The kind fields, place, contact and media of this form."""

    def name(self) -> str:
        return f"action_submit_{self.kind}"

    def extra_confirmation(self, language: str) -> str | None:
        return None

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        spec = self.spec()
        if tracker.get_slot(CONFIRM) is not True:  # only ever after "ja"
            return reset_events(spec)
        language = variant(tracker)
        parts = self.parts(tracker)
        body = {
            "idempotency_key": idempotency_key(tracker),
            "kind": self.kind,
            "conversation_id": tracker.sender_id,
            "channel": channel_of(tracker),
            "language": language,
            "data": parts.data,
            "place": parts.place,
            "contact": parts.contact,
            "media": list(parts.media),
        }
        try:
            created = await case_service.create_case(body)
        except case_service.CaseServiceError:
            dispatcher.utter_message(text=say("send_failed", language))
            return [SlotSet(CONFIRM, None), FollowupAction(spec.form)]
        lines = [say("created", language, reference=created.reference, pin=created.pin)]
        if created.forwarded and created.routed_to.get("name"):
            lines.append(say("forwarded", language, name=created.routed_to["name"]))
        extra = self.extra_confirmation(language)
        if extra:
            lines.append(extra)
        dispatcher.utter_message(text="\n".join(lines))
        return reset_events(spec)
