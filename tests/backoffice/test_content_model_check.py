"""Reading the model's placement of an example from Rasa's parse result, and when it clashes."""

from __future__ import annotations

import pytest

from backoffice.content.model_check import ModelCheck, Placement, placement


def faq(topic: str, intent_conf: float, topic_conf: float) -> dict:
    return {"text": "x", "intent": {"name": "faq", "confidence": intent_conf},
            "response_selector": {"faq": {"response": {"intent_response_key": f"faq/{topic}",
                                                       "confidence": topic_conf}}}}


@pytest.mark.parametrize(("parsed", "expected"), [
    (faq("personalausweis", 0.9, 0.8), Placement("personalausweis", pytest.approx(0.72))),
    ({"intent": {"name": "maengelmeldung", "confidence": 0.95}}, Placement("maengelmeldung", 0.95)),
    ({"intent": {"name": "nlu_fallback", "confidence": 0.7}}, Placement(None, 0.0)),
    ({"intent": {"name": "faq", "confidence": 0.9}}, Placement(None, 0.0)),  # no selector output
    ({}, Placement(None, 0.0)),
])
def test_placement_from_a_parse_result(parsed: dict, expected: Placement) -> None:
    assert placement(parsed) == expected


def test_only_another_topic_at_or_above_the_threshold_clashes() -> None:
    check = ModelCheck("http://127.0.0.1:9", None, threshold=0.8)
    passport = Placement("personalausweis", 0.8)
    assert check.clash(passport, "abfallkalender") == passport
    assert check.clash(Placement("personalausweis", 0.79), "abfallkalender") is None
    assert check.clash(Placement("personalausweis", 0.99), "personalausweis") is None
    assert check.clash(Placement(None, 0.0), "abfallkalender") is None
    assert check.clash(None, "abfallkalender") is None


async def test_no_rasa_means_unchecked() -> None:
    assert await ModelCheck("http://127.0.0.1:9", None, 0.8).place("Hallo") is None
    assert await ModelCheck(None, None, 0.8).place("Hallo") is None
