"""Out-of-scope decision from both the intent and the response confidence.

Rasa's FallbackClassifier only sees the intent. A near-domain question
("Wie beantrage ich Kindergeld?") is often a confident ``faq`` intent whose
response ranking is flat; only the ResponseSelector's confidence shows that no
single answer fits. Running as an NLU component means ``/model/parse`` itself
reports ``nlu_fallback``. Thresholds come from ``make tune-oos`` on a held-out
validation set (see ``scripts/eval_nlu.py``), not from guessing.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
)
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

from bot.components.tuning import tuned

SCORES_KEY = "oos_scores"


def scores(message_data: dict[str, Any], retrieval_intent: str) -> tuple[str | None, float, float]:
    """Intent name, intent confidence and (for retrieval intents) response confidence."""
    intent = message_data.get(INTENT) or {}
    name = intent.get(INTENT_NAME_KEY)
    intent_conf = float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
    response_conf = 1.0
    if name == retrieval_intent:
        selector = (message_data.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}).get(
            retrieval_intent
        ) or {}
        prediction = selector.get(RESPONSE_SELECTOR_PREDICTION_KEY) or {}
        response_conf = float(prediction.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
    return name, intent_conf, response_conf


def should_reject(
    name: str | None,
    intent_conf: float,
    response_conf: float,
    intent_threshold: float,
    response_threshold: float,
    retrieval_intent: str,
) -> bool:
    """The decision rule, shared with the evaluation script that tunes it."""
    if name is None:
        return True
    if intent_conf < intent_threshold:
        return True
    return name == retrieval_intent and response_conf < response_threshold


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class OutOfScopeFilter(GraphComponent, IntentClassifier):
    """Predicts ``nlu_fallback`` when intent or response confidence is too low."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intent_threshold": 0.5, "response_threshold": 0.4, "retrieval_intent": "faq"}

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = tuned(config, ("intent_threshold", "response_threshold"))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OutOfScopeFilter:
        return cls(config)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> OutOfScopeFilter:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        retrieval_intent = self.config["retrieval_intent"]
        for message in messages:
            name, intent_conf, response_conf = scores(message.data, retrieval_intent)
            message.set(
                SCORES_KEY,
                {"intent": name, "intent_confidence": intent_conf,
                 "response_confidence": response_conf},
                add_to_output=True,
            )
            if name == DEFAULT_NLU_FALLBACK_INTENT_NAME or not should_reject(
                name,
                intent_conf,
                response_conf,
                float(self.config["intent_threshold"]),
                float(self.config["response_threshold"]),
                retrieval_intent,
            ):
                continue
            fallback = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
                        PREDICTED_CONFIDENCE_KEY: intent_conf}
            message.data[INTENT] = fallback
            message.data.setdefault(INTENT_RANKING_KEY, [])
            message.data[INTENT_RANKING_KEY].insert(0, dict(fallback))
        return messages
