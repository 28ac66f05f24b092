"""The topic-file round trip: one answer changed, every other byte as it was, on every topic file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from backoffice.content import splice

ROOT = Path(__file__).resolve().parents[2]
TOPIC_FILES = sorted((ROOT / "nlu_data" / "topics").glob("*.yml"))


def _responses(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {}


VARIANTS = [(path, name, index) for path in TOPIC_FILES for name, items in _responses(path).items()
            for index in range(len(items))]


def test_every_topic_file_has_answers_to_edit() -> None:
    assert len(TOPIC_FILES) >= 60 and len(VARIANTS) >= 150


@pytest.mark.parametrize(("path", "response", "index"), VARIANTS,
                         ids=[f"{p.stem}:{r.split('/')[-1]}:{i}" for p, r, i in VARIANTS])
def test_edit_changes_only_that_answer_and_reverts_byte_identically(path: Path, response: str,
                                                                    index: int) -> None:
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    old = data["responses"][response][index]["text"]
    new_answer = "Geänderte Antwort: 12,50 € – gültig ab 1. Januar.\n\nZweiter Absatz mit \"Zitat\" & {slot}"
    edited = splice.set_answer(text, response, index, new_answer)

    expected = yaml.safe_load(text)
    expected["responses"][response][index]["text"] = new_answer + "\n"
    assert yaml.safe_load(edited) == expected
    # unchanged parts stay byte-identical: same prefix up to the answer, same suffix after it
    start = next(i for i, (a, b) in enumerate(zip(text, edited, strict=False)) if a != b)
    tail = next(i for i, (a, b) in enumerate(zip(reversed(text), reversed(edited), strict=False)) if a != b)
    assert text[:start] == edited[:start] and text[len(text) - tail:] == edited[len(edited) - tail:]
    changed_old = text[start:len(text) - tail]
    assert "metadata" not in changed_old and "condition" not in changed_old

    reverted = splice.set_answer(edited, response, index, old)
    if old.endswith("\n"):  # block answers come back byte for byte
        assert reverted == text
    else:  # a quoted one-liner that became a block stays one, its text then ends with a line break
        again = yaml.safe_load(reverted)
        assert again["responses"][response][index]["text"] == old + "\n"
        again["responses"][response][index]["text"] = old
        assert again == data
    one_line = splice.set_answer(text, response, index, "Kurz.")
    assert splice.set_answer(one_line, response, index, old) == text


def test_same_text_is_a_no_op() -> None:
    path = ROOT / "nlu_data" / "topics" / "personalausweis.yml"
    text = path.read_text(encoding="utf-8")
    old = yaml.safe_load(text)["responses"]["utter_faq/personalausweis"][0]["text"]
    assert splice.set_answer(text, "utter_faq/personalausweis", 0, old + "  \r\n") == text


def test_review_date_of_anchored_metadata_changes_for_all_its_variants() -> None:
    path = ROOT / "nlu_data" / "topics" / "personalausweis.yml"
    text = path.read_text(encoding="utf-8")
    new = splice.set_reviewed(text, "utter_faq/personalausweis", 2, "2027-02-01")
    variants = yaml.safe_load(new)["responses"]["utter_faq/personalausweis"]
    assert {v["metadata"]["reviewed"] for v in variants} == {"2027-02-01"}
    assert new.count("2027-02-01") == 1 and len(new.splitlines()) == len(text.splitlines())


@pytest.mark.parametrize(("response", "index", "answer", "reason"), [
    ("utter_faq/nope", 0, "x", "no response"),
    ("utter_faq/personalausweis", 9, "x", "no variant"),
    ("utter_faq/personalausweis", 0, "   ", "empty"),
])
def test_refusals(response: str, index: int, answer: str, reason: str) -> None:
    text = (ROOT / "nlu_data" / "topics" / "personalausweis.yml").read_text(encoding="utf-8")
    with pytest.raises(splice.SpliceError, match=reason):
        splice.set_answer(text, response, index, answer)


def test_malformed_file_is_refused() -> None:
    with pytest.raises(splice.SpliceError, match="not valid YAML"):
        splice.set_answer("responses: [\n", "utter_x", 0, "x")
