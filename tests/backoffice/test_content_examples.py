"""The byte-preserving insertion of a training example, on every topic file and every language block."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from backoffice.content.examples import (
    ExampleError,
    TopicFiles,
    clean_example,
    examples,
    file_language,
    insert_example,
)

TOPICS = Path(__file__).resolve().parents[2] / "nlu_data" / "topics"
FILES = sorted(TOPICS.glob("*.yml"))
NEW = "wo kann ich mich auf corona testen lassen"


def test_there_are_topic_files() -> None:
    assert len(FILES) >= 60


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_insertion_changes_exactly_one_line_in_every_block(path: Path) -> None:
    source = path.read_bytes().decode("utf-8")
    before = examples(source)
    for language in before:
        updated = insert_example(source, language, NEW)
        inserted_at = next((i for i, (a, b) in enumerate(zip(source, updated, strict=False)) if a != b),
                           len(source))
        added = updated[inserted_at:inserted_at + len(updated) - len(source)]
        # the rest of the file is byte-identical: the update is the source with one line spliced in
        spliced = source[:inserted_at] + added + source[inserted_at:]
        assert updated.encode("utf-8") == spliced.encode("utf-8")
        assert added.strip() == f"- {NEW}" and added.endswith("\n") and added.count("\n") == 1
        after = examples(updated)
        assert after[language] == [*before[language], NEW]
        assert {k: v for k, v in after.items() if k != language} == \
               {k: v for k, v in before.items() if k != language}


def test_missing_language_block_is_refused() -> None:
    source = (TOPICS / "personalausweis.yml").read_text(encoding="utf-8")
    with pytest.raises(ExampleError):
        insert_example(source, "tr", NEW)


@pytest.mark.parametrize(("language", "block"), [("de", "de"), ("ls", "de"), ("en", "en"), ("uk", "uk"),
                                                  ("tr", "de"), ("ar", "de")])
def test_file_language(language: str, block: str) -> None:
    assert file_language(language) == block


@pytest.mark.parametrize("bad", ["", "x", "/faq", "[Meier](name) fragt", "a" * 301])
def test_clean_example_refuses(bad: str) -> None:
    with pytest.raises(ExampleError):
        clean_example(bad)


def test_add_example_writes_the_file_and_refuses_duplicates(tmp_path: Path) -> None:
    for name in ("wohngeld.yml", "personalausweis.yml"):
        shutil.copy(TOPICS / name, tmp_path / name)
    files = TopicFiles(tmp_path)
    assert [t.id for t in files.topics()] == ["personalausweis", "wohngeld"]
    assert files.topics()[1].title.startswith("Wohngeld")
    assert files.add_example("wohngeld", "ls", "  Wohngeld  für Studenten? ") == "Wohngeld für Studenten?"
    written = examples((tmp_path / "wohngeld.yml").read_text(encoding="utf-8"))
    assert written["de"][-1] == "Wohngeld für Studenten?"
    with pytest.raises(ExampleError, match="wohngeld"):
        files.add_example("personalausweis", "de", "wohngeld für studenten?")
    with pytest.raises(ExampleError):
        files.add_example("../etc", "de", "etwas anderes")
    assert not list(tmp_path.glob(".*.tmp"))
