"""Check the content files an editor may change, and explain every problem.

Checks: one file per catalogue topic and nothing else; the intent name and
language blocks; enough examples per language; no example in two topics;
answers in German (first, unconditioned) and English with source, review
date and verification flag; Leichte Sprache where required; a short SMS
variant where the German answer is long; validity windows (dates, start
before end, and the default answer covers every day from today on); the
directories parse. ``scripts/validate_content.py`` runs it; the console runs
it on a changed file before saving (``overrides``).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from backoffice.content import variants

ROOT = Path(__file__).resolve().parent.parent.parent
LEICHTE_SPRACHE_REQUIRED = {
    "personalausweis", "wohnsitz_anmelden", "kfz_zulassung", "abfallkalender",
    "oeffnungszeiten", "kontakt", "elterngeld", "schwerbehindertenausweis", "notfall",
    "zustaendigkeit",
}
MIN_EXAMPLES = {"faq": {"de": 15, "en": 5, "uk": 3}, "other": {"de": 12, "en": 5}}
# Dialogue-control intents with their own file in topics/ but no catalogue entry
# (no answer of their own: the actions speak for them).
CONTROL_INTENTS = {"abbrechen", "termin_absagen", "termin_verschieben"}
SMS_NEEDED_ABOVE = 320
SMS_MAX = 300
LANGS = {"de", "en", "uk"}
# Characters Rasa reads as entity annotation syntax inside examples.
_ANNOTATION = re.compile(r"\[[^\]]*\]\s*[({]")


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(f"{where}: {message}")


def normalise_example(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


def examples_of(block: dict[str, Any]) -> list[str]:
    raw = block.get("examples") or ""
    return [
        line.strip()[2:].strip()
        for line in str(raw).splitlines()
        if line.strip().startswith("- ")
    ]


def _condition_value(variant: dict[str, Any]) -> str | None:
    for condition in variant.get("condition") or []:
        if condition.get("name") == "language":
            return str(condition.get("value"))
    return None


def check_metadata(where: str, variant: dict[str, Any], report: Report) -> None:
    meta = variant.get("metadata") or {}
    for key in ("source", "reviewed", "verified"):
        if key not in meta:
            report.error(where, f"metadata lacks '{key}'")
    if "reviewed" in meta:
        try:
            dt.date.fromisoformat(str(meta["reviewed"]))
        except ValueError:
            report.error(where, f"reviewed '{meta['reviewed']}' is not a date like 2026-11-30")
    for key in ("valid_from", "valid_until"):
        if key in meta:
            try:
                dt.date.fromisoformat(str(meta[key]))
            except ValueError:
                report.error(where, f"{key} '{meta[key]}' is not a date like 2026-11-30")
    try:
        start, end = variants.window(variant)
    except ValueError:
        start = end = None
    if start and end and end < start:
        report.error(where, f"valid_until {end} is before valid_from {start}")
    source = str(meta.get("source", ""))
    if source and not source.startswith("https://"):
        report.error(where, "source must be an https:// link")


def check_coverage(where: str, answers: list[dict[str, Any]], today: dt.date, report: Report) -> None:
    """Some unconditioned, channel-less variant is valid on every day from ``today`` on.

    Windows are intervals, so a gap can only start today or the day after a ``valid_until``.
    """
    default = [v for v in answers if not v.get("condition") and not v.get("channel")]
    try:
        ends = [end for _, end in map(variants.window, default) if end]
    except ValueError:
        return  # the date itself is reported by check_metadata
    for day in sorted({today, *(end + dt.timedelta(days=1) for end in ends if end >= today)}):
        if not any(variants.valid_on(v, day) for v in default):
            report.error(where, f"no German answer is valid on {day}: add one without a window "
                                "or close the gap")
            return


def check_responses(where: str, topic: dict[str, Any], data: dict[str, Any], report: Report,
                    today: dt.date) -> None:
    kind, topic_id = topic["kind"], topic["id"]
    responses = data.get("responses") or {}
    name = f"utter_faq/{topic_id}" if kind == "faq" else f"utter_{topic_id}"
    if kind == "faq" and name not in responses:
        report.error(where, f"the answer '{name}' is missing under responses:")
        return
    for response_name, answers in responses.items():
        here = f"{where} [{response_name}]"
        if not isinstance(answers, list) or not answers:
            report.error(here, "a response needs a list of variants")
            continue
        first = answers[0]
        if first.get("condition") or first.get("channel"):
            report.error(here, "the German answer must come first, without condition or channel")
        langs = {_condition_value(v) for v in answers}
        if "en" not in langs:
            report.error(here, "an English variant (condition language: en) is missing")
        if topic_id in LEICHTE_SPRACHE_REQUIRED and response_name == name and "ls" not in langs:
            report.error(here, "a Leichte Sprache variant (condition language: ls) is required")
        german = str(first.get("text") or "")
        sms = [v for v in answers if v.get("channel") == "sms" and not v.get("condition")]
        if kind == "faq" and len(german) > SMS_NEEDED_ABOVE and not sms:
            report.error(here, f"German answer has {len(german)} characters: add a "
                               f"'channel: sms' variant of at most {SMS_MAX}")
        for variant in sms:
            if len(str(variant.get("text") or "")) > SMS_MAX:
                report.error(here, f"the SMS variant is longer than {SMS_MAX} characters")
        check_coverage(here, answers, today, report)
        if kind == "faq":
            for index, variant in enumerate(answers):
                check_metadata(f"{here} variant {index + 1}", variant, report)


def check_topic(path: Path, topic: dict[str, Any], seen: dict[str, str], report: Report,
                today: dt.date | None = None, text: str | None = None) -> None:
    """``text``: the file's proposed content instead of what is on disk (a console edit)."""
    where = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8") if text is None else text) or {}
    except yaml.YAMLError as exc:
        report.error(where, f"not valid YAML: {exc}")
        return
    kind, topic_id = topic["kind"], topic["id"]
    intent = f"faq/{topic_id}" if kind == "faq" else topic_id
    counts: dict[str, int] = defaultdict(int)
    for block in data.get("nlu") or []:
        if block.get("intent") != intent:
            report.error(where, f"intent '{block.get('intent')}' found; this file may only "
                                f"hold '{intent}'")
            continue
        lang = (block.get("metadata") or {}).get("lang")
        if lang not in LANGS:
            report.error(where, f"each block needs metadata {{lang: de|en|uk}}, found {lang!r}")
            continue
        for example in examples_of(block):
            counts[lang] += 1
            if example.startswith("/"):
                report.error(where, f"example starts with '/': {example!r}")
            if _ANNOTATION.search(example):
                report.error(where, f"example looks like an entity annotation: {example!r}")
            key = normalise_example(example)
            if key in seen and seen[key] != topic_id:
                report.error(where, f"example {example!r} is also in topic '{seen[key]}'")
            elif key in seen:
                report.warn(where, f"example {example!r} appears twice")
            seen[key] = topic_id
    minimum = MIN_EXAMPLES["faq" if kind == "faq" else "other"]
    for lang, needed in minimum.items():
        if counts[lang] < needed:
            report.error(where, f"{counts[lang]} {lang} examples, at least {needed} needed")
    check_responses(where, topic, data, report, today or dt.date.today())


def validate(content_dir: Path, overrides: dict[str, str] | None = None,
             today: dt.date | None = None) -> Report:
    """Every check over ``content_dir``; ``overrides`` maps a topic id to its proposed file text."""
    report = Report()
    overrides = overrides or {}
    catalogue = yaml.safe_load((content_dir / "catalogue.yml").read_text(encoding="utf-8"))
    topics = {t["id"]: t for t in catalogue["topics"]}
    files = {p.stem: p for p in (content_dir / "topics").glob("*.yml")}
    for extra in sorted(set(files) - set(topics) - CONTROL_INTENTS):
        report.error(str(files[extra]), "no topic with this id in catalogue.yml")
    seen: dict[str, str] = {}
    for topic_id, topic in topics.items():
        if topic_id not in files:
            report.error(f"topics/{topic_id}.yml", "missing: every catalogue topic needs a file")
            continue
        check_topic(files[topic_id], topic, seen, report, today, overrides.get(topic_id))
    for control in sorted(CONTROL_INTENTS):
        if control not in files:
            report.error(f"topics/{control}.yml", "missing: the dialogue-control intent needs a file")
            continue
        check_topic(files[control], {"id": control, "kind": "control"}, seen, report, today,
                    overrides.get(control))
    for name in ("municipalities.yml", "authorities.yml"):
        path = content_dir / "directory" / name
        try:
            yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            report.error(str(path), f"cannot be read: {exc}")
    return report


def main() -> int:
    content_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "nlu_data"
    report = validate(content_dir)
    for line in report.warnings:
        print(f"warning: {line}")
    for line in report.errors:
        print(f"error: {line}")
    print(f"{len(report.errors)} errors, {len(report.warnings)} warnings")
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
