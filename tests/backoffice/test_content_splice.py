"""The topic-file round trip: one answer changed, every other byte as it was, on every topic file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from backoffice.content import splice, validate

ROOT = Path(__file__).resolve().parents[2]
TOPIC_FILES = sorted((ROOT / "nlu_data" / "topics").glob("*.yml"))


def _responses(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {}


VARIANTS = [(path, name, index) for path in TOPIC_FILES for name, items in _responses(path).items()
            for index in range(len(items))]


EACH_VARIANT = pytest.mark.parametrize(("path", "response", "index"), VARIANTS,
                                       ids=[f"{p.stem}:{r.split('/')[-1]}:{i}" for p, r, i in VARIANTS])


def test_every_topic_file_has_answers_to_edit() -> None:
    assert len(TOPIC_FILES) >= 60 and len(VARIANTS) >= 150


@EACH_VARIANT
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


# Validity windows, new and deleted variants --------------------------------------------------------------

CATALOGUE = {t["id"]: t for t in yaml.safe_load((ROOT / "nlu_data" / "catalogue.yml").read_text(
    encoding="utf-8"))["topics"]}
TODAY = dt.date(2026, 12, 7)


def _errors(path: Path, text: str) -> set[str]:
    """The validator's findings on this one file (``text`` instead of what is on disk)."""
    report = validate.Report()
    topic = CATALOGUE.get(path.stem) or {"id": path.stem, "kind": "control"}
    validate.check_topic(path, topic, {}, report, TODAY, text)
    return set(report.errors)


def _changed(old: str, new: str) -> tuple[list[str], list[str]]:
    """(old lines, new lines) between the common first and last lines: what a diff shows."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    head = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    tail = 0
    while tail < min(len(a), len(b)) - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    return a[head:len(a) - tail], b[head:len(b) - tail]


def _window(start: str, end: str) -> dict:
    return {k: v for k, v in zip(splice.WINDOW_KEYS, (start, end), strict=True) if v}


@EACH_VARIANT
def test_window_changes_only_that_variants_metadata_and_reverts_byte_identically(path: Path, response: str,
                                                                                 index: int) -> None:
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    dated = splice.set_window(text, response, index, "2026-12-24", "2027-01-02")
    expected = yaml.safe_load(text)
    variant = expected["responses"][response][index]
    variant["metadata"] = {**(variant.get("metadata") or {}), **_window("2026-12-24", "2027-01-02")}
    assert yaml.safe_load(dated) == expected  # the other variants keep their (shared) metadata undated
    old, new = _changed(text, dated)
    assert not any("text:" in line or "condition:" in line or "channel:" in line for line in old + new)
    assert sum('valid_' in line for line in new) == 2
    moved = splice.set_window(dated, response, index, "2026-12-23", "")
    old_lines = ['      valid_from: "2026-12-24"\n', '      valid_until: "2027-01-02"\n']
    assert _changed(dated, moved) == (old_lines, ['      valid_from: "2026-12-23"\n'])
    assert splice.set_window(dated, response, index, "", "") == text
    assert yaml.safe_load(splice.set_window(text, response, index, "", "")) == data


FAQ_FIRST = [(path, name) for path, name, index in VARIANTS if index == 0 and name.startswith("utter_faq/")]


@pytest.mark.parametrize(("path", "response"), FAQ_FIRST, ids=[p.stem for p, _ in FAQ_FIRST])
def test_new_dated_variant_is_inserted_after_its_model_and_validates(path: Path, response: str) -> None:
    text = path.read_text(encoding="utf-8")
    holiday = "Vom 24.12. bis 02.01. ist das Amt geschlossen.\nIn Notfällen: 02351 966-0."
    added = splice.add_variant(text, response, 0, holiday, "2026-12-24", "2027-01-02")
    old, new = _changed(text, added)
    assert old == [] and new[0].startswith("  - ") and '"2027-01-02"' in new[-1]  # only inserted lines
    assert "&" not in "".join(new)  # the copy refers to shared metadata, it never redefines an anchor
    variants = yaml.safe_load(added)["responses"][response]
    original = yaml.safe_load(text)["responses"][response]
    assert variants[:1] + variants[2:] == original
    assert variants[1]["text"] == holiday + "\n" and variants[1]["metadata"] == {
        **original[0]["metadata"], "valid_from": "2026-12-24", "valid_until": "2027-01-02"}
    assert _errors(path, added) <= _errors(path, text)
    assert splice.delete_variant(added, response, 1) == text  # an expired variant goes, the rest unchanged


def test_dating_the_anchor_holder_keeps_the_others_undated() -> None:
    path = ROOT / "nlu_data" / "topics" / "personalausweis.yml"
    text = path.read_text(encoding="utf-8")
    response = "utter_faq/personalausweis"
    old_fee = splice.set_window(text, response, 0, "", "2026-12-31")
    new_fee = splice.add_variant(old_fee, response, 0, "Gebühr ab 2027: 50,00 €.", "2027-01-01", "")
    variants = yaml.safe_load(new_fee)["responses"][response]
    assert [v["metadata"].get("valid_until") for v in variants] == ["2026-12-31", None, None, None, None]
    assert [v["metadata"].get("valid_from") for v in variants] == [None, "2027-01-01", None, None, None]
    assert len({v["metadata"]["reviewed"] for v in variants}) == 1
    assert _errors(path, new_fee) <= _errors(path, text)
    reviewed = splice.set_reviewed(new_fee, response, 1, "2027-01-05")  # through the merge, shared as before
    assert {v["metadata"]["reviewed"] for v in yaml.safe_load(reviewed)["responses"][response]} == {
        "2027-01-05"}


@pytest.mark.parametrize(("index", "reason"), [(0, "other variants share"), (7, "no variant")])
def test_delete_refusals(index: int, reason: str) -> None:
    text = (ROOT / "nlu_data" / "topics" / "personalausweis.yml").read_text(encoding="utf-8")
    with pytest.raises(splice.SpliceError, match=reason):
        splice.delete_variant(text, "utter_faq/personalausweis", index)


def test_the_only_variant_cannot_be_deleted() -> None:
    text = "responses:\n  utter_x:\n  - text: Hallo\n    metadata: {valid_until: '2026-12-31'}\n"
    with pytest.raises(splice.SpliceError, match="only variant"):
        splice.delete_variant(text, "utter_x", 0)
