#!/usr/bin/env python3
"""`make bench-nlu-clinc`: the project's NLU pipeline on CLINC150.

Trains config.yml's pipeline (minus the parts that need our content: the
ResponseSelector and the keyword extractor) on CLINC150's train split,
chooses the blend weight of the sentence-encoder classifier and the
out-of-scope threshold on the validation split (best in-scope accuracy plus
out-of-scope recall, i.e. both classes weighted alike; ``--overall``: best
accuracy over all validation examples) and reports on the test split once. Prints one JSON line:
{"in_scope_acc", "oos_recall", "train_s", "parse_ms_p50", ...}.
Data: ../shared/data/clinc150/data_full.json (or CLINC150_PATH).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stack as st
from eval_nlu import _start_plain, parse
from rasa_env import RASA_PYTHON, ROOT, rasa_environ

from bot.components.sentence_ensemble import BLEND_KEY

WORK = ROOT / "data" / "clinc"
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "clinc150" / "data_full.json"
SKIP = ("ResponseSelector", "KeywordEntityExtractor", "OutOfScopeFilter")


def write_training_data(rows: list[list[str]], path: Path) -> None:
    by_intent: dict[str, list[str]] = {}
    for text, intent in rows:
        by_intent.setdefault(intent, []).append(text)
    nlu = [{"intent": intent, "examples": "".join(f"- {t}\n" for t in texts)}
           for intent, texts in sorted(by_intent.items())]
    path.write_text(yaml.safe_dump({"version": "3.1", "nlu": nlu}, allow_unicode=True),
                    encoding="utf-8")


def write_config(path: Path) -> None:
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    pipeline = [c for c in config["pipeline"] if not any(s in c["name"] for s in SKIP)]
    path.write_text(yaml.safe_dump({"recipe": "default.v1", "language": "en",
                                    "assistant_id": "clinc-bench", "pipeline": pipeline,
                                    "policies": []}), encoding="utf-8")


def confidence_and_label(parsed: dict[str, Any]) -> tuple[str, float]:
    intent = parsed.get("intent") or {}
    return str(intent.get("name")), float(intent.get("confidence") or 0.0)


Row = tuple[dict[str, float], dict[str, float], str]  # pipeline and sentence distributions, expected


def rows_of(parsed: dict[str, Any], expected: str) -> Row:
    both = parsed.get(BLEND_KEY) or {}
    if not both:  # no sentence vector: the pipeline's own ranking is all there is
        label, confidence = confidence_and_label(parsed)
        return {label: confidence}, {}, expected
    return both["pipeline"], both["sentence"], expected


class Scored:
    """The validation or test rows as arrays, so the knobs can be searched quickly."""

    def __init__(self, rows: list[Row], labels: list[str]) -> None:
        index = {label: i for i, label in enumerate(labels)}
        self.pipeline = np.zeros((len(rows), len(labels)))
        self.sentence = np.zeros((len(rows), len(labels)))
        self.has_sentence = np.zeros(len(rows), dtype=bool)
        for row, (pipeline, sentence, _) in enumerate(rows):
            for label, p in pipeline.items():
                if label in index:
                    self.pipeline[row, index[label]] = p
            for label, p in sentence.items():
                if label in index:
                    self.sentence[row, index[label]] = p
            self.has_sentence[row] = bool(sentence)
        self.oos = np.array([expected == "oos" for *_, expected in rows])
        self.expected = np.array([index.get(expected, -1) for *_, expected in rows])

    def score(self, weight: float, threshold: float) -> tuple[float, float]:
        """(in-scope accuracy, out-of-scope recall) with blend weight ``weight`` and ``threshold``."""
        combined = np.where(self.has_sentence[:, None],
                            (1 - weight) * self.pipeline + weight * self.sentence, self.pipeline)
        label, confidence = combined.argmax(axis=1), combined.max(axis=1)
        accepted = confidence >= threshold
        in_scope = ~self.oos
        accuracy = float(np.mean((label == self.expected) & accepted, where=in_scope))
        recall = float(np.mean(~accepted, where=self.oos))
        return accuracy, recall


def choose(val: Scored, criterion: str) -> tuple[float, float]:
    """Blend weight and threshold with the best validation score.

    ``balanced``: in-scope accuracy + out-of-scope recall (both classes alike).
    ``overall``: accuracy over all validation examples, out-of-scope counted as
    a class (3,000 in-scope against 100 out-of-scope examples, so it favours
    in-scope accuracy).
    """
    grid = [(w / 10, t / 100) for w in range(11) for t in range(100)]
    in_scope, oos = int((~val.oos).sum()), int(val.oos.sum())
    weights = (1.0, 1.0) if criterion == "balanced" else (in_scope, oos)
    return max(grid, key=lambda knobs: sum(w * v for w, v in zip(weights, val.score(*knobs), strict=True)))


def main() -> int:
    criterion = "overall" if "--overall" in sys.argv[1:] else "balanced"
    data_path = Path(os.environ.get("CLINC150_PATH", DEFAULT_DATA))
    data = json.loads(data_path.read_text(encoding="utf-8"))
    WORK.mkdir(parents=True, exist_ok=True)
    write_training_data(data["train"], WORK / "nlu.yml")
    write_config(WORK / "config.yml")
    model = WORK / "models" / "clinc.tar.gz"
    started = time.monotonic()
    if not model.exists():
        subprocess.run([str(RASA_PYTHON), "-m", "rasa", "train", "nlu", "--config",
                        str(WORK / "config.yml"), "--nlu", str(WORK / "nlu.yml"), "--out",
                        str(WORK / "models"), "--fixed-model-name", "clinc"],
                       cwd=ROOT, env=rasa_environ(), check=True)
    train_s = round(time.monotonic() - started, 1)

    processes = st.Stack()
    port = st.free_port()
    try:
        _start_plain(processes, model, port, "clinc")
        url = f"http://127.0.0.1:{port}/model/parse?token=clinc"

        def run(rows: list[list[str]], oos: bool) -> tuple[list[Row], list[float]]:
            out, timings = [], []
            for text, expected in rows:
                parsed, ms = parse(url, text)
                out.append(rows_of(parsed, "oos" if oos else expected))
                timings.append(ms)
            return out, timings

        for text, _ in data["val"][:20]:
            parse(url, text)
        val_in, _ = run(data["val"], False)
        val_oos, _ = run(data["oos_val"], True)
        test_in, timings = run(data["test"], False)
        test_oos, more = run(data["oos_test"], True)
    finally:
        processes.stop()

    # Both knobs are chosen on the validation split only; the test split is scored once.
    labels = sorted({intent for _, intent in data["train"]})
    weight, threshold = choose(Scored(val_in + val_oos, labels), criterion)
    in_scope_acc, oos_recall = Scored(test_in + test_oos, labels).score(weight, threshold)
    print(json.dumps({
        "in_scope_acc": round(in_scope_acc * 100, 1),
        "oos_recall": round(oos_recall * 100, 1),
        "train_s": train_s,
        "parse_ms_p50": round(statistics.median(timings + more), 1),
        "criterion": criterion,
        "weight": weight,
        "threshold": threshold,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
