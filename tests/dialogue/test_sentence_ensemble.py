"""Blending DIET/ResponseSelector with the sentence-encoder classifier."""

from __future__ import annotations

import pytest

from bot.components.sentence_ensemble import blend, decision, pipeline_distribution


def test_pipeline_distribution_multiplies_faq_with_topic() -> None:
    data = {
        "intent_ranking": [{"name": "faq", "confidence": 0.8}, {"name": "greet", "confidence": 0.2}],
        "response_selector": {"faq": {"ranking": [
            {"intent_response_key": "faq/reisepass", "confidence": 0.75},
            {"intent_response_key": "faq/personalausweis", "confidence": 0.25},
        ]}},
    }
    assert pipeline_distribution(data, "faq") == pytest.approx(
        {"greet": 0.2, "faq/reisepass": 0.6, "faq/personalausweis": 0.2})


def test_blend_is_a_convex_combination() -> None:
    combined = blend({"a": 1.0}, {"b": 1.0}, 0.25)
    assert combined == pytest.approx({"a": 0.75, "b": 0.25})


def test_decision_for_a_topic_reports_faq_mass_and_share() -> None:
    intent, intent_conf, topic, topic_conf = decision(
        {"faq/reisepass": 0.5, "faq/personalausweis": 0.3, "greet": 0.2}, "faq")
    assert (intent, topic) == ("faq", "faq/reisepass")
    assert intent_conf == pytest.approx(0.8)
    assert topic_conf == pytest.approx(0.625)


def test_decision_for_a_plain_intent() -> None:
    assert decision({"greet": 0.7, "faq/reisepass": 0.3}, "faq") == ("greet", 0.7, None, 1.0)


def test_sentence_classifier_can_overrule_a_confident_wrong_topic() -> None:
    pipeline = {"faq/notfall": 0.9, "faq/kfz_zulassung": 0.1}
    sentence = {"faq/kfz_zulassung": 0.95, "faq/notfall": 0.05}
    _, _, topic, _ = decision(blend(pipeline, sentence, 0.6), "faq")
    assert topic == "faq/kfz_zulassung"
