"""One new training example into a topic file, as a text insertion: every other byte stays as it was.

A topic file (nlu_data/README.md) has one ``nlu:`` block per language
(``metadata: {lang: de|en|uk}``) with an ``examples: |`` literal block of
``    - example`` lines. The new example goes on a new line after the block's
last example, with that line's indentation, so the change is a one-line diff
and comments, anchors and answers are untouched. Parsing YAML and dumping it
again would reformat the whole file.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from backoffice.content.validate import normalise_example

FILE_LANGUAGES = ("de", "en", "uk")  # the validator's example languages (scripts/validate_content.py)
MAX_EXAMPLE = 300
_LANG_LINE = re.compile(r"^\s+metadata:\s*\{\s*lang:\s*([a-z]{2})\s*\}\s*$")
_BLOCK_START = re.compile(r"^- intent:\s*(\S+)\s*$")
_EXAMPLE = re.compile(r"^(\s+)- \S")
# Rasa reads "[text](entity)", "[text]{...}" and "[text][...]" as entity annotations, "/x" as an intent
_ANNOTATION = re.compile(r"\]\s*[({\[]")
_TITLE = re.compile(r"^# \S+ — (.+?)(?: \(.*\))?$")


class ExampleError(ValueError):
    """The example cannot go into this file; the message is for the editor (German)."""


@dataclass(frozen=True)
class TopicFile:
    id: str
    title: str
    path: Path


def file_language(message_language: str) -> str:
    """The example block a message in ``message_language`` belongs to (Leichte Sprache is German)."""
    if message_language in FILE_LANGUAGES:
        return message_language
    return "en" if message_language == "en" else "de"


def clean_example(text: str) -> str:
    example = " ".join(text.split())
    if not 2 <= len(example) <= MAX_EXAMPLE:
        raise ExampleError(f"Ein Beispiel braucht 2 bis {MAX_EXAMPLE} Zeichen.")
    if example.startswith("/") or _ANNOTATION.search(example):
        raise ExampleError("Das Beispiel darf nicht mit „/“ beginnen und keine „](“-Klammerfolgen enthalten.")
    return example


def insert_example(source: str, language: str, example: str) -> str:
    """``source`` with ``example`` appended to the ``language`` block's examples."""
    lines = source.splitlines(keepends=True)
    block_lang: str | None = None
    in_examples = False
    last: int | None = None
    for index, line in enumerate(lines):
        if _BLOCK_START.match(line) or (not line.startswith(" ") and line.strip()):
            if in_examples and block_lang == language:
                break
            block_lang, in_examples = None, False
        elif match := _LANG_LINE.match(line):
            block_lang = match[1]
        elif line.strip() == "examples: |":
            in_examples = True
        elif in_examples and block_lang == language and _EXAMPLE.match(line):
            last = index
    if last is None:
        raise ExampleError(f"Diese Themen-Datei hat keine Beispiele in der Sprache „{language}“.")
    indent = _EXAMPLE.match(lines[last])[1]  # type: ignore[index]
    ending = "\r\n" if lines[last].endswith("\r\n") else "\n"
    if not lines[last].endswith(("\n", "\r")):
        lines[last] += ending
    lines.insert(last + 1, f"{indent}- {example}{ending}")
    return "".join(lines)


def examples(source: str) -> dict[str, list[str]]:
    """The examples per language block, as Rasa reads them."""
    found: dict[str, list[str]] = {}
    for block in (yaml.safe_load(source) or {}).get("nlu") or []:
        lang = (block.get("metadata") or {}).get("lang", "?")
        lines = str(block.get("examples") or "").splitlines()
        found.setdefault(lang, []).extend(line[2:].strip() for line in lines if line.startswith("- "))
    return found


class TopicFiles:
    """The topic files in one folder (``CONTENT_DIR``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def topics(self) -> list[TopicFile]:
        found = []
        for path in sorted(self.folder.glob("*.yml")):
            title = path.stem
            for line in path.read_text(encoding="utf-8").splitlines()[:3]:
                if match := _TITLE.match(line):
                    title = match[1]
            found.append(TopicFile(path.stem, title, path))
        return found

    def path(self, topic: str) -> Path | None:
        if not re.fullmatch(r"[a-z0-9_]{1,60}", topic):
            return None
        path = self.folder / f"{topic}.yml"
        return path if path.is_file() else None

    def owner_of(self, example: str) -> str | None:
        """The topic that already has ``example`` as the content validator compares them (case,
        spacing and punctuation aside), so an assigned example never fails ``make test``'s check."""
        wanted = normalise_example(example)
        for path in sorted(self.folder.glob("*.yml")):
            for texts in examples(path.read_text(encoding="utf-8")).values():
                if any(normalise_example(t) == wanted for t in texts):
                    return path.stem
        return None

    def add_example(self, topic: str, language: str, text: str) -> str:
        """Appends the cleaned example to the topic's file (atomically); returns what was written."""
        path = self.path(topic)
        if path is None:
            raise ExampleError("Dieses Thema gibt es nicht.")
        example = clean_example(text)
        if owner := self.owner_of(example):
            raise ExampleError(f"Dieses Beispiel steht schon im Thema „{owner}“.")
        source = path.read_bytes().decode("utf-8")
        updated = insert_example(source, file_language(language), example)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(updated.encode("utf-8"))
            os.chmod(temporary, path.stat().st_mode & 0o777)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return example
