"""Blend DIET and the ResponseSelector with a classifier on the sentence encoder alone.

DIET and the ResponseSelector learn from word and character n-grams as well
as from the multilingual sentence encoder, and on German training data they
lean on the n-grams: a Turkish or Arabic question then lands on a random
topic with high confidence. A logistic regression on the sentence encoder
alone is far better for those languages and as good for German. This
component blends both distributions (weight ``weight`` for the sentence
classifier, chosen on held-out data by ``make tune-oos``) and rewrites the
intent and the ResponseSelector's choice, so everything after it - the
out-of-scope filter, the rules, ``utter_faq`` - sees the blended result.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.tuning import tuned

BLEND_KEY = "blend"
_WEIGHTS_FILE = "sentence_classifier.npz"


def blend(pipeline: dict[str, float], sentence: dict[str, float], weight: float) -> dict[str, float]:
    """Convex combination of two distributions over labels."""
    labels = set(pipeline) | set(sentence)
    return {
        label: (1 - weight) * pipeline.get(label, 0.0) + weight * sentence.get(label, 0.0)
        for label in labels
    }


def pipeline_distribution(message_data: dict[str, Any], retrieval_intent: str) -> dict[str, float]:
    """DIET's intents and the ResponseSelector's topics as one distribution.

    A topic's probability is P(faq) * P(topic | faq).
    """
    result: dict[str, float] = {}
    faq_probability = 0.0
    for entry in message_data.get(INTENT_RANKING_KEY) or []:
        name, confidence = entry.get(INTENT_NAME_KEY), float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0)
        if name == retrieval_intent:
            faq_probability = confidence
        elif name:
            result[name] = confidence
    selector = (message_data.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}).get(retrieval_intent) or {}
    for entry in selector.get(RESPONSE_SELECTOR_RANKING_KEY) or []:
        key = entry.get(INTENT_RESPONSE_KEY)
        if key:
            result[key] = faq_probability * float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0)
    return result


def decision(combined: dict[str, float], retrieval_intent: str) -> tuple[str, float, str | None, float]:
    """(intent, intent confidence, topic key or None, topic confidence within the intent)."""
    best = max(combined, key=combined.__getitem__)
    prefix = f"{retrieval_intent}/"
    if not best.startswith(prefix):
        return best, combined[best], None, 1.0
    faq_mass = sum(v for k, v in combined.items() if k.startswith(prefix))
    return retrieval_intent, faq_mass, best, combined[best] / faq_mass if faq_mass else 0.0


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class SentenceEncoderBlend(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"weight": 0.5, "featurizer": "use", "retrieval_intent": "faq", "C": 10.0}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 weights: dict[str, np.ndarray] | None = None) -> None:
        self.config = tuned(config, ("weight",))
        self._storage = model_storage
        self._resource = resource
        self._weights = weights

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SentenceEncoderBlend:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> SentenceEncoderBlend:
        try:
            with model_storage.read_from(resource) as directory:
                data = np.load(directory / _WEIGHTS_FILE, allow_pickle=False)
                weights = {key: data[key] for key in data.files}
        except (ValueError, FileNotFoundError):
            weights = None
        return cls(config, model_storage, resource, weights)

    def _sentence_vector(self, message: Message) -> np.ndarray | None:
        _, sentence = message.get_dense_features(TEXT, [self.config["featurizer"]])
        return None if sentence is None else np.asarray(sentence.features).reshape(-1)

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        rows, labels = [], []
        for example in training_data.intent_examples:
            vector = self._sentence_vector(example)
            label = example.get(INTENT_RESPONSE_KEY) or example.get(INTENT)
            if vector is not None and label:
                rows.append(vector)
                labels.append(label)
        if len(set(labels)) < 2:
            return self._resource
        model = LogisticRegression(C=float(self.config["C"]), max_iter=3000)
        model.fit(np.vstack(rows), labels)
        self._weights = {
            "coef": model.coef_.astype(np.float32),
            "intercept": model.intercept_.astype(np.float32),
            "classes": np.array(model.classes_, dtype=str),
        }
        with self._storage.write_to(self._resource) as directory:
            np.savez(directory / _WEIGHTS_FILE, **self._weights)
        return self._resource

    def _sentence_distribution(self, vector: np.ndarray) -> dict[str, float]:
        assert self._weights is not None
        logits = self._weights["coef"] @ vector + self._weights["intercept"]
        logits = logits - logits.max()
        probabilities = np.exp(logits) / np.exp(logits).sum()
        return {str(c): float(p) for c, p in zip(self._weights["classes"], probabilities, strict=True)}

    def process(self, messages: list[Message]) -> list[Message]:
        if self._weights is None:
            return messages
        retrieval_intent = self.config["retrieval_intent"]
        weight = float(self.config["weight"])
        for message in messages:
            vector = self._sentence_vector(message)
            if vector is None or not message.get(INTENT):
                continue
            pipeline = pipeline_distribution(message.data, retrieval_intent)
            sentence = self._sentence_distribution(vector)
            combined = blend(pipeline, sentence, weight)
            top = sorted(combined.items(), key=lambda item: -item[1])[:10]
            # Both full distributions, so the evaluation can re-blend offline.
            message.set(BLEND_KEY, {
                "pipeline": {k: round(v, 5) for k, v in pipeline.items()},
                "sentence": {k: round(v, 5) for k, v in sentence.items()},
            }, add_to_output=True)
            self._apply(message, combined, top, retrieval_intent)
        return messages

    @staticmethod
    def _apply(message: Message, combined: dict[str, float], top: list[tuple[str, float]],
               retrieval_intent: str) -> None:
        intent, intent_confidence, topic, topic_confidence = decision(combined, retrieval_intent)
        message.set(INTENT, {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: intent_confidence},
                    add_to_output=True)
        intents: dict[str, float] = {}
        for label, value in combined.items():
            name = retrieval_intent if label.startswith(f"{retrieval_intent}/") else label
            intents[name] = intents.get(name, 0.0) + value
        message.set(INTENT_RANKING_KEY, [
            {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: value}
            for name, value in sorted(intents.items(), key=lambda i: -i[1])[:10]
        ], add_to_output=True)
        if topic is None:
            return
        selectors = dict(message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {})
        selector = dict(selectors.get(retrieval_intent) or {})
        previous = selector.get(RESPONSE_SELECTOR_PREDICTION_KEY) or {}
        prediction = {
            PREDICTED_CONFIDENCE_KEY: topic_confidence,
            INTENT_RESPONSE_KEY: topic,
            RESPONSE_SELECTOR_UTTER_ACTION_KEY: f"utter_{topic}",
            "responses": previous.get("responses")
            if previous.get(INTENT_RESPONSE_KEY) == topic else [],
        }
        faq_mass = intent_confidence or 1.0
        selector[RESPONSE_SELECTOR_PREDICTION_KEY] = prediction
        selector[RESPONSE_SELECTOR_RANKING_KEY] = [
            {INTENT_RESPONSE_KEY: label, PREDICTED_CONFIDENCE_KEY: value / faq_mass}
            for label, value in top if label.startswith(f"{retrieval_intent}/")
        ]
        selectors[retrieval_intent] = selector
        message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selectors, add_to_output=True)
