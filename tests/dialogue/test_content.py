"""The content files and the validator editors rely on."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from validate_content import validate  # noqa: E402

SHARED_CATALOGUE = ROOT.parent / "shared" / "topics.yml"


def test_repository_content_is_valid() -> None:
    report = validate(ROOT / "nlu_data")
    assert report.errors == []


@pytest.mark.skipif(not SHARED_CATALOGUE.exists(), reason="../shared/topics.yml not beside the clone")
def test_catalogue_copy_matches_the_shared_catalogue() -> None:
    ours = yaml.safe_load((ROOT / "nlu_data" / "catalogue.yml").read_text("utf-8"))
    shared = yaml.safe_load(SHARED_CATALOGUE.read_text("utf-8"))
    assert ours == shared


@pytest.fixture
def content(tmp_path: Path) -> Path:
    copy = tmp_path / "nlu_data"
    shutil.copytree(ROOT / "nlu_data", copy)
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_missing_topic_file_is_named(content: Path) -> None:
    (content / "topics" / "jagdschein.yml").unlink()
    errors = validate(content).errors
    assert any("jagdschein.yml" in e and "missing" in e for e in errors)


def test_example_in_two_topics_is_reported(content: Path) -> None:
    _edit(content / "topics" / "reisepass.yml", "examples: |\n",
          "examples: |\n    - Wie beantrage ich einen neuen Personalausweis?\n")
    errors = validate(content).errors
    assert any("reisepass.yml" in e and "also in topic 'personalausweis'" in e for e in errors)


def test_missing_english_answer_is_reported(content: Path) -> None:
    path = content / "topics" / "personalausweis.yml"
    data = yaml.safe_load(path.read_text("utf-8"))
    variants = data["responses"]["utter_faq/personalausweis"]
    data["responses"]["utter_faq/personalausweis"] = [
        v for v in variants
        if not any(c.get("value") == "en" for c in v.get("condition") or [])
    ]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    errors = validate(content).errors
    assert any("English variant" in e for e in errors)


def test_too_long_sms_variant_is_reported(content: Path) -> None:
    path = content / "topics" / "personalausweis.yml"
    data = yaml.safe_load(path.read_text("utf-8"))
    for variant in data["responses"]["utter_faq/personalausweis"]:
        if variant.get("channel") == "sms":
            variant["text"] = "x" * 301
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    assert any("SMS variant is longer" in e for e in validate(content).errors)


def test_bad_review_date_is_reported(content: Path) -> None:
    _edit(content / "topics" / "personalausweis.yml", 'reviewed: "2026-11-30"',
          'reviewed: "letzte Woche"')
    assert any("not a date" in e for e in validate(content).errors)


def test_too_few_examples_are_reported(content: Path) -> None:
    path = content / "topics" / "jagdschein.yml"
    data = yaml.safe_load(path.read_text("utf-8"))
    for block in data["nlu"]:
        if block["metadata"]["lang"] == "uk":
            block["examples"] = "- Мисливський квиток\n"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    assert any("1 uk examples, at least 3 needed" in e for e in validate(content).errors)
