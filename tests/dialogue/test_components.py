"""Our Rasa components: sentence features, keyword entities, out-of-scope rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.keyword_entities import KeywordEntityExtractor
from bot.components.out_of_scope import OutOfScopeFilter, should_reject
from bot.components.usem_featurizer import UniversalSentenceEncoderFeaturizer

ROOT = Path(__file__).resolve().parents[2]


def _sentence_vector(message: Message) -> np.ndarray:
    _, sentence = message.get_dense_features(TEXT, [])
    assert sentence is not None
    return sentence.features.reshape(-1)


def test_featurizer_maps_languages_to_the_same_space() -> None:
    featurizer = UniversalSentenceEncoderFeaturizer("use", {
        **UniversalSentenceEncoderFeaturizer.get_default_config()})
    messages = [Message(data={TEXT: t}) for t in (
        "Wie beantrage ich einen Personalausweis?",
        "Kimlik kartı için nasıl başvurabilirim?",
        "Wann wird die gelbe Tonne abgeholt?",
    )]
    featurizer.process_training_data(TrainingData(messages))
    vectors = [_sentence_vector(m) for m in messages]
    assert all(v.shape == (512,) for v in vectors)
    same_topic = float(vectors[0] @ vectors[1])
    other_topic = float(vectors[0] @ vectors[2])
    assert same_topic > other_topic + 0.1


def test_featurizer_skips_messages_without_text() -> None:
    featurizer = UniversalSentenceEncoderFeaturizer("use", {
        **UniversalSentenceEncoderFeaturizer.get_default_config()})
    message = Message(data={})
    featurizer.process([message])
    assert message.features == []


def _extractor() -> KeywordEntityExtractor:
    return KeywordEntityExtractor(
        {"authorities_file": str(ROOT / "nlu_data/directory/authorities.yml")}, "kw"
    )


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("Wie beantrage ich Kindergeld?", {"other_authority": "familienkasse"}),
        ("Können Sie das bitte auf Englisch schreiben?", {"language": "en"}),
        ("bitte in einfacher Sprache", {"language": "ls"}),
        ("in einfachem Deutsch bitte", {"language": "ls"}),
        ("Українською, будь ласка", {"language": "uk"}),
        ("Wie melde ich meinen Hund an?", {}),
        ('/sprache_wechseln{"language": "en"}', {}),
    ],
)
def test_keyword_entities(text: str, entities: dict[str, str]) -> None:
    message = Message(data={TEXT: text})
    _extractor().process([message])
    found = {e["entity"]: e["value"] for e in message.get("entities", [])}
    assert found == entities


def test_keyword_directory_is_reread_when_changed(tmp_path: Path) -> None:
    path = tmp_path / "authorities.yml"
    path.write_text("authorities:\n- id: a\n  keywords: [alpha]\n", encoding="utf-8")
    extractor = KeywordEntityExtractor({"authorities_file": str(path)}, "kw")
    assert extractor._entities("alpha beta")[0]["value"] == "a"
    path.write_text("authorities:\n- id: b\n  keywords: [beta]\n", encoding="utf-8")
    import os

    os.utime(path, (1, 1))  # a different mtime, as an editor's save gives
    assert extractor._entities("alpha beta")[0]["value"] == "b"


REJECT = [
    # name, intent conf, response conf -> rejected?
    ("faq", 0.95, 0.90, False),
    ("faq", 0.95, 0.20, True),   # confident faq, but no single answer fits
    ("faq", 0.30, 0.90, True),   # unsure which intent
    ("greet", 0.90, 1.00, False),
    ("greet", 0.20, 1.00, True),
    (None, 0.0, 0.0, True),
]


@pytest.mark.parametrize(("name", "intent_conf", "response_conf", "rejected"), REJECT)
def test_should_reject(name: str | None, intent_conf: float, response_conf: float,
                       rejected: bool) -> None:
    assert should_reject(name, intent_conf, response_conf, 0.5, 0.4, "faq") is rejected


@pytest.fixture
def no_tuning_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLU_TUNING_FILE", str(tmp_path / "absent.yml"))


def test_tuning_file_overrides_the_configured_thresholds(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tuning.yml"
    path.write_text("intent_threshold: 0.7\nresponse_threshold: 0.2\n", encoding="utf-8")
    monkeypatch.setenv("NLU_TUNING_FILE", str(path))
    component = OutOfScopeFilter(OutOfScopeFilter.get_default_config())
    assert component.config["intent_threshold"] == 0.7
    assert component.config["response_threshold"] == 0.2


@pytest.mark.usefixtures("no_tuning_file")
def test_filter_sets_nlu_fallback_and_keeps_scores() -> None:
    component = OutOfScopeFilter(OutOfScopeFilter.get_default_config())
    message = Message(data={
        TEXT: "Wie beantrage ich Kindergeld?",
        "intent": {"name": "faq", "confidence": 0.9},
        "intent_ranking": [{"name": "faq", "confidence": 0.9}],
        "response_selector": {"faq": {"response": {"confidence": 0.1}}},
    })
    component.process([message])
    assert message.get("intent")["name"] == "nlu_fallback"
    assert message.get("intent_ranking")[0]["name"] == "nlu_fallback"
    assert message.get("oos_scores") == {
        "intent": "faq", "intent_confidence": 0.9, "response_confidence": 0.1}


@pytest.mark.usefixtures("no_tuning_file")
def test_filter_leaves_confident_answers_alone() -> None:
    component = OutOfScopeFilter(OutOfScopeFilter.get_default_config())
    message = Message(data={
        TEXT: "Wie beantrage ich einen Personalausweis?",
        "intent": {"name": "faq", "confidence": 0.95},
        "response_selector": {"faq": {"response": {"confidence": 0.92}}},
    })
    component.process([message])
    assert message.get("intent")["name"] == "faq"
