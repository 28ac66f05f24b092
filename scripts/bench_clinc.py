#!/usr/bin/env python3
"""`make bench-nlu-clinc`: the project's NLU pipeline on CLINC150.

Trains config.yml's pipeline (minus the parts that need our content: the
ResponseSelector and the keyword extractor) on CLINC150's train split,
chooses the out-of-scope threshold on the validation split and reports on
the test split. Prints one JSON line:
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

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stack as st
from eval_nlu import _start_plain, parse
from rasa_env import RASA_PYTHON, ROOT, rasa_environ

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


def main() -> int:
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

        def run(rows: list[list[str]], oos: bool) -> list[tuple[str, float, str, float]]:
            out = []
            for text, expected in rows:
                parsed, ms = parse(url, text)
                label, conf = confidence_and_label(parsed)
                out.append((label, conf, "oos" if oos else expected, ms))
            return out

        for text, _ in data["val"][:20]:
            parse(url, text)
        val = run(data["val"], False) + run(data["oos_val"], True)
        test = run(data["test"], False) + run(data["oos_test"], True)
    finally:
        processes.stop()

    def score(rows: list[tuple[str, float, str, float]], threshold: float) -> tuple[float, float]:
        in_scope = [(lbl, c, e) for lbl, c, e, _ in rows if e != "oos"]
        oos = [(lbl, c, e) for lbl, c, e, _ in rows if e == "oos"]
        acc = sum(lbl == e and c >= threshold for lbl, c, e in in_scope) / len(in_scope)
        recall = sum(c < threshold for _, c, _ in oos) / len(oos)
        return acc, recall

    # The threshold that maximises accuracy over all validation examples.
    best = max((round(t * 0.01, 2) for t in range(0, 100)),
               key=lambda t: sum(score(val, t)[i] * w for i, w in ((0, 3000), (1, 100))))
    in_scope_acc, oos_recall = score(test, best)
    timings = [ms for *_, ms in test]
    print(json.dumps({
        "in_scope_acc": round(in_scope_acc * 100, 1),
        "oos_recall": round(oos_recall * 100, 1),
        "train_s": train_s,
        "parse_ms_p50": round(statistics.median(timings), 1),
        "threshold": best,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
