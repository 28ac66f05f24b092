"""Data protection in the chat: what is stored about the citizen, and its erasure.

``action_data_access`` (after the editors' ``utter_daten_auskunft``) lists the
conversation (messages, since when, retention), the citizen's cases from the
case service and, as ``custom: {"privacy": "address"}``, a placeholder that the
gateway fills with the masked channel address: only the gateway knows it.

``action_data_erase`` asks first (yes/no buttons, ``/affirm`` and ``/deny``).
On yes it only answers and returns ``custom: {"erase": true}``: Rasa writes the
tracker back at the end of the turn, so the erasure itself must run in the
gateway after the turn, under the conversation's partition lease
(``channels/erasure.py``), which also anonymises the cases.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import case_service
from actions.dateparse import BERLIN
from actions.forms_common import button, latest_intent, variant
from actions.privacy_texts import count, kind_name, say
from actions.status import STATUS_NAMES

PENDING = "erase_pending"
ERASE = {"erase": True}
ADDRESS = {"privacy": "address"}
DEFAULT_TRACKER_TTL_S = 30 * 24 * 3600


def tracker_days() -> int:
    """The tracker store's ``record_exp`` (bot/endpoints.yml), in whole days."""
    try:
        seconds = int(os.environ.get("TRACKER_TTL_SECONDS") or DEFAULT_TRACKER_TTL_S)
    except ValueError:
        seconds = DEFAULT_TRACKER_TTL_S
    return max(1, round(seconds / 86400))


def conversation_facts(tracker: Tracker) -> tuple[int, datetime | None]:
    """How many messages the citizen wrote in this conversation, and when the first came."""
    stamps = [float(e["timestamp"]) for e in tracker.events
              if e.get("event") == "user" and e.get("timestamp") is not None]
    return len(stamps), datetime.fromtimestamp(min(stamps), BERLIN) if stamps else None


def _case_line(case: dict[str, Any], language: str) -> str:
    status = STATUS_NAMES.get(str(case.get("status"))) or {"de": str(case.get("status"))}
    return (f"{case.get('reference')} ({kind_name(str(case.get('kind')), language)}, "
            f"{status.get(language, status['de'])})")


class ActionDataAccess(Action):
    def name(self) -> str:
        return "action_data_access"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        language = variant(tracker)
        messages, since = conversation_facts(tracker)
        days = tracker_days()
        dispatcher.utter_message(text=say(
            "conversation", language, messages=count(messages, "message", language),
            since=f"{since:%d.%m.%Y}" if since else "-", period=count(days, "day", language),
            period_dative=count(days, "day_dative", language)))
        try:
            found = await case_service.privacy_summary(tracker.sender_id)
        except case_service.CaseServiceError:
            dispatcher.utter_message(text=say("cases_unavailable", language))
        else:
            if found.cases:
                separator = "\n" if language == "ls" else "; "
                cases = separator.join(_case_line(case, language) for case in found.cases)
                dispatcher.utter_message(text=say("cases", language, cases=cases,
                                                  period=count(found.retention_days, "day", language)))
            else:
                dispatcher.utter_message(text=say("no_cases", language))
        dispatcher.utter_message(json_message=ADDRESS)
        return []


class ActionDataErase(Action):
    """Ask; on yes hand the erasure to the gateway; on no keep everything."""

    def name(self) -> str:
        return "action_data_erase"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        language, intent = variant(tracker), latest_intent(tracker)
        pending = bool(tracker.get_slot(PENDING))
        if intent == "affirm" and pending:
            dispatcher.utter_message(text=say("erase_done", language))
            dispatcher.utter_message(json_message=ERASE)
            return [SlotSet(PENDING, None)]
        if intent == "deny" and pending:
            dispatcher.utter_message(text=say("erase_kept", language))
            return [SlotSet(PENDING, None)]
        if intent in ("affirm", "deny"):  # a yes or no long after the question: the usual answer
            dispatcher.utter_message(response=f"utter_{intent}")
            return []
        dispatcher.utter_message(text=say("erase_question", language), buttons=[
            button(say("erase_yes", language), "/affirm"), button(say("erase_no", language), "/deny")])
        return [SlotSet(PENDING, True)]
