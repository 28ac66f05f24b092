"""Keyword entities that the dialogue rules branch on.

* ``other_authority``: a message about another authority's business
  (Finanzamt, Rentenversicherung, ...) from ``nlu_data/directory/authorities.yml``,
  so an out-of-scope question is answered with who is responsible instead of
  a bare "I don't know".
* ``language``: the language a citizen asks for ("auf Englisch bitte",
  "in Leichter Sprache").

The directory is read at run time (and re-read when the file changes), so an
editor's keyword fix needs no retraining.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

# (answer language code, lowercase stems). Leichte Sprache first: "einfach"
# must win over "deutsch" in "in einfachem Deutsch".
LANGUAGE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ls", ("leichte sprache", "leichter sprache", "einfache sprache", "einfacher sprache",
            "einfachem deutsch", "einfaches deutsch", "leichtem deutsch", "simple german",
            "easy german", "plain language", "simple language")),
    ("en", ("englisch", "english", "ingilizce", "англійськ", "английск", "angielsk",
            "الإنجليزية")),
    ("uk", ("ukrainisch", "ukrainian", "українськ", "украинск", "ukraińsk", "ukrayna")),
    ("tr", ("türkisch", "tuerkisch", "turkish", "türkçe", "turkce")),
    ("ar", ("arabisch", "arabic", "العربية", "عربي")),
    ("ru", ("russisch", "russian", "русск", "rosyjsk")),
    ("pl", ("polnisch", "polish", "polsk", "po polsku")),
    ("de", ("deutsch", "german", "almanca", "німецьк", "немецк", "niemieck", "الألمانية")),
)


class _DirectoryCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime: float | None = None
        self._keywords: list[tuple[str, str]] = []

    def keywords(self) -> list[tuple[str, str]]:
        """(lowercase keyword, authority id) in file order."""
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            return self._keywords
        if mtime != self._mtime:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
            self._keywords = [
                (str(k).lower(), a["id"])
                for a in data.get("authorities") or []
                for k in a.get("keywords") or []
                if str(k).strip()
            ]
            self._mtime = mtime
        return self._keywords


def _find(text: str, table: list[tuple[str, str]]) -> tuple[str, int, int] | None:
    lowered = text.lower()
    for keyword, value in table:
        start = lowered.find(keyword)
        if start >= 0:
            return value, start, start + len(keyword)
    return None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class KeywordEntityExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"authorities_file": "nlu_data/directory/authorities.yml"}

    def __init__(self, config: dict[str, Any], name: str) -> None:
        self.node_name = name
        path = Path(os.environ.get("AUTHORITIES_FILE", config["authorities_file"]))
        self._directory = _DirectoryCache(path)
        self._languages = [(word, code) for code, words in LANGUAGE_WORDS for word in words]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KeywordEntityExtractor:
        return cls(config, execution_context.node_name)

    def _entities(self, text: str) -> list[dict[str, Any]]:
        entities = []
        for entity_type, table in (
            ("other_authority", self._directory.keywords()),
            ("language", self._languages),
        ):
            found = _find(text, table)
            if found:
                value, start, end = found
                entities.append({
                    ENTITY_ATTRIBUTE_TYPE: entity_type,
                    ENTITY_ATTRIBUTE_VALUE: value,
                    ENTITY_ATTRIBUTE_START: start,
                    ENTITY_ATTRIBUTE_END: end,
                    EXTRACTOR: self.name,
                })
        return entities

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text or text.lstrip().startswith("/"):
                continue
            found = self._entities(text)
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
