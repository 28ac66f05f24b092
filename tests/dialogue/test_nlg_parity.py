"""Our NLG endpoint chooses what Rasa's own generator would, for every response of the trained domain.

Runs in Rasa's environment: the domain comes from Rasa's importer (as ``rasa train`` builds it), the
reference choice from ``rasa.core.nlg``; ours from ``backoffice.content`` (the NLG server's code).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import sys
from pathlib import Path

import pytest
from jsonschema import validate as validate_schema
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.nlg.callback import nlg_response_format_spec
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.shared.importers.importer import TrainingDataImporter

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from backoffice.content import variants  # noqa: E402
from backoffice.content.store import ContentStore  # noqa: E402

LANGUAGES = [None, "de", "en", "ls", "uk", "tr"]
CHANNELS = ["webchat", "telegram", "sms", "whatsapp", "gateway"]
DAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def domain_responses() -> dict:
    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "bot" / "domain"),
        [str(ROOT / "nlu_data" / "topics"), str(ROOT / "bot" / "data")])
    return importer.get_domain().responses


@pytest.fixture(scope="module")
def ours() -> dict:
    store = ContentStore(ROOT / "nlu_data", ROOT / "bot" / "domain")
    store.load()
    return store.responses


def test_the_store_holds_every_response_of_the_trained_domain(domain_responses, ours) -> None:
    assert set(ours) == set(domain_responses)
    for name, items in domain_responses.items():
        assert [v.get("text") for v in ours[name]] == [v.get("text") for v in items], name


def test_same_variants_for_every_response_language_and_channel(domain_responses, ours) -> None:
    reference = ResponseVariationFilter(domain_responses)
    checked = 0
    for name, language, channel in itertools.product(sorted(domain_responses), LANGUAGES, CHANNELS):
        slots = {"language": language}
        expected = reference.responses_for_utter_action(name, channel, slots)
        got = variants.eligible(ours[name], slots, channel, DAY)
        assert [v.get("text") for v in got] == [v.get("text") for v in expected], (name, language, channel)
        checked += 1
    assert checked > 1000


async def test_same_message_and_valid_nlg_format(domain_responses, ours) -> None:
    rasa_nlg = TemplatedNaturalLanguageGenerator(domain_responses)
    slots = {"language": "en", "town": "Iserlohn", "name": "Frau Muster"}
    for name in sorted(domain_responses):
        expected = rasa_nlg.generate_from_slots(name, slots, "telegram")
        got = variants.generate(ours[name], slots, "telegram", DAY, rng=random.Random(0))
        validate_schema(got, nlg_response_format_spec())
        if len(variants.eligible(ours[name], slots, "telegram", DAY)) == 1:
            assert got == expected, name
