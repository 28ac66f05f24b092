#!/usr/bin/env python3
"""`make eval-nlu` (and `make tune-oos`): measured NLU quality.

Trains on the committed 80/20 split of nlu_data/ (tests/nlu/split.json lists
the held-out examples; new examples count as training until --resplit),
starts a Rasa server with that model and parses, one request at a time:
- the held-out German examples                       -> de_acc
- held-out English/Ukrainian examples and
  tests/nlu/multilingual.yml (tr, ar, ru, pl; no training examples at all)
                                                      -> other_acc
- tests/nlu/oos_test.yml and held-out out_of_scope    -> oos_rejected
- every in-scope example above                        -> false_fallback
and prints one JSON line (also written to --figures-out, for the publish
check in backoffice/publish/). --topics evaluates another copy of the topic
files, --config another pipeline file (the publish tests train with fewer
epochs). --tune instead chooses the blend weight and the
out-of-scope thresholds on tests/nlu/validation.yml (never on the test data)
and writes them to bot/nlu_tuning.yml. Details go to data/eval/report.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import stack as st
import train as trainer
from rasa_env import RASA_PYTHON, ROOT, rasa_environ

from bot.components.out_of_scope import should_reject
from bot.components.sentence_ensemble import BLEND_KEY, blend, decision
from bot.components.tuning import tuned, tuning_path

TOPICS = ROOT / "nlu_data" / "topics"
SPLIT = ROOT / "tests" / "nlu" / "split.json"
WORK = ROOT / "data" / "eval"
REJECTED = {"nlu_fallback", "out_of_scope"}
WARMUP = 20


def _examples(block: dict[str, Any]) -> list[str]:
    return [line.strip()[2:].strip() for line in str(block.get("examples") or "").splitlines()
            if line.strip().startswith("- ")]


def _label(intent: str) -> str:
    return intent.split("/", 1)[1] if intent.startswith("faq/") else intent


def load_examples(topics: Path = TOPICS) -> list[dict[str, str]]:
    rows = []
    for path in sorted(topics.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in data.get("nlu") or []:
            lang = (block.get("metadata") or {}).get("lang", "de")
            for text in _examples(block):
                rows.append({"text": text, "lang": lang, "expected": _label(block["intent"])})
    return rows


def make_split(rows: list[dict[str, str]]) -> list[str]:
    """Every fifth example per topic and language, by a stable hash order."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in rows:
        groups[(row["expected"], row["lang"])].append(row["text"])
    held_out = []
    for texts in groups.values():
        ordered = sorted(texts, key=lambda t: hashlib.sha256(t.encode()).hexdigest())
        held_out += ordered[: max(1, round(len(ordered) * 0.2))]
    return sorted(held_out)


def training_files(held_out: set[str], out: Path, topics: Path = TOPICS) -> Path:
    """Copies of the topic files without the held-out examples."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.yml"):
        old.unlink()
    for path in sorted(topics.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in data.get("nlu") or []:
            kept = [t for t in _examples(block) if t not in held_out]
            block["examples"] = "".join(f"- {t}\n" for t in kept)
        (out / path.name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                     encoding="utf-8")
    return out


def _top(scores: dict[str, float], n: int = 3) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda kv: -kv[1])[:n]


def _load_set(name: str) -> list[dict[str, str]]:
    data = yaml.safe_load((ROOT / "tests" / "nlu" / name).read_text(encoding="utf-8"))
    return [{"text": str(e["text"]), "lang": str(e.get("lang", "de")),
             "expected": str(e["expected"])} for e in data["examples"]]


def parse(url: str, text: str) -> tuple[dict[str, Any], float]:
    request = urllib.request.Request(
        url, data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as reply:
        body = json.loads(reply.read())
    return body, (time.perf_counter() - start) * 1000


@dataclass(frozen=True)
class Knobs:
    """What `make tune-oos` chooses: blend weight and out-of-scope thresholds."""

    weight: float
    intent_threshold: float
    response_threshold: float


def configured_knobs(config_file: Path = ROOT / "config.yml") -> Knobs:
    """The knobs a model gets when loaded: bot/nlu_tuning.yml over config.yml."""
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    by_name = {c["name"].rsplit(".", 1)[-1]: c for c in config["pipeline"]}
    blend_config = tuned(by_name["SentenceEncoderBlend"], ("weight",))
    oos = tuned(by_name["OutOfScopeFilter"], ("intent_threshold", "response_threshold"))
    return Knobs(float(blend_config["weight"]), float(oos["intent_threshold"]),
                 float(oos["response_threshold"]))


def decide(row: dict[str, Any], knobs: Knobs) -> str:
    """The label the deployed model gives with these knobs, from the raw scores."""
    combined = blend(row["pipeline"], row["sentence"], knobs.weight)
    if not combined:
        return "out_of_scope"
    intent, intent_conf, topic, topic_conf = decision(combined, "faq")
    if intent in REJECTED or should_reject(intent, intent_conf, topic_conf,
                                           knobs.intent_threshold, knobs.response_threshold, "faq"):
        return "out_of_scope"
    return _label(topic) if topic else intent


def with_server(model: Path, fn: Any, work: Path = WORK) -> Any:
    processes = st.Stack()
    port = st.free_port()
    try:
        token = "eval"
        _start_plain(processes, model, port, token, work)
        return fn(f"http://127.0.0.1:{port}/model/parse?token={token}")
    finally:
        processes.stop()


def _start_plain(processes: st.Stack, model: Path, port: int, token: str, work: Path = WORK) -> None:
    """A Rasa server for parsing only: in-memory stores, no action server."""
    work.mkdir(parents=True, exist_ok=True)
    command = [str(RASA_PYTHON), "-m", "rasa", "run", "--model", str(model), "--enable-api",
               "--auth-token", token, "--interface", "127.0.0.1", "--port", str(port)]
    log = open(work / "rasa.log", "ab")  # noqa: SIM115 - handed to the child
    process = processes.add("rasa", subprocess.Popen(
        command, cwd=ROOT, env=rasa_environ(), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True))
    st.wait_http(f"http://127.0.0.1:{port}/status?token={token}", 300, process)


def run_parses(url: str, rows: list[dict[str, str]]) -> tuple[list[dict[str, Any]], list[float]]:
    """Parse every row; keep the two raw distributions the knobs act on."""
    for row in rows[:WARMUP]:
        parse(url, row["text"])
    results, timings = [], []
    for row in rows:
        parsed, ms = parse(url, row["text"])
        raw = parsed.get(BLEND_KEY) or {}
        results.append({**row, "pipeline": raw.get("pipeline") or {},
                        "sentence": raw.get("sentence") or {},
                        "deployed": parsed["intent"]["name"]})
        timings.append(ms)
    return results, timings


def _share(items: list[bool]) -> float:
    return round(sum(items) / len(items), 4) if items else 0.0


def figures(results: list[dict[str, Any]], timings: list[float]) -> dict[str, float]:
    in_scope = [r for r in results if r["expected"] != "out_of_scope"]
    german = [r for r in in_scope if r["lang"] == "de"]
    other = [r for r in in_scope if r["lang"] != "de"]
    oos = [r for r in results if r["expected"] == "out_of_scope"]
    ordered = sorted(timings)
    return {
        "de_acc": _share([r["predicted"] == r["expected"] for r in german]),
        "other_acc": _share([r["predicted"] == r["expected"] for r in other]),
        "oos_rejected": _share([r["predicted"] == "out_of_scope" for r in oos]),
        "false_fallback": _share([r["predicted"] == "out_of_scope" for r in in_scope]),
        "parse_ms_p50": round(statistics.median(ordered), 1),
        "parse_ms_p95": round(ordered[int(len(ordered) * 0.95) - 1], 1),
    }


MAX_FALSE_FALLBACK = 0.04


def tune(results: list[dict[str, Any]]) -> tuple[Knobs, float]:
    """Knobs that maximise validation accuracy with out-of-scope as a class,
    keeping false fallbacks on in-scope messages at or below 4 %."""
    best: tuple[float, Knobs] = (-1.0, configured_knobs())
    in_scope = [r for r in results if r["expected"] != "out_of_scope"]
    grid = [round(x * 0.05, 2) for x in range(0, 19)]
    for weight in (0.0, 0.2, 0.35, 0.5, 0.65, 0.8, 1.0):
        for t_intent in grid:
            for t_response in grid:
                knobs = Knobs(weight, t_intent, t_response)
                labels = [decide(r, knobs) for r in results]
                false_fb = sum(label == "out_of_scope" and r["expected"] != "out_of_scope"
                               for label, r in zip(labels, results, strict=True))
                if false_fb > MAX_FALSE_FALLBACK * len(in_scope):
                    continue
                score = sum(label == r["expected"] for label, r in zip(labels, results, strict=True))
                if score / len(results) > best[0]:
                    best = (score / len(results), knobs)
    return best[1], round(best[0], 4)


def write_knobs(knobs: Knobs, accuracy: float, model: Path) -> None:
    header = (
        "# Written by `make tune-oos`: chosen on tests/nlu/validation.yml with the model\n"
        f"# trained on the committed split ({model.name}); validation accuracy {accuracy}\n"
        f"# with out-of-scope as a class and at most {MAX_FALSE_FALLBACK:.0%} false fallbacks.\n"
    )
    tuning_path().write_text(header + yaml.safe_dump(asdict(knobs)), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tune", action="store_true", help="choose thresholds on validation.yml")
    parser.add_argument("--resplit", action="store_true", help="write a new split.json")
    parser.add_argument("--topics", type=Path, default=TOPICS, help="topic files to evaluate")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml", help="pipeline file")
    parser.add_argument("--work", type=Path, default=WORK, help="folder for training copies and reports")
    parser.add_argument("--figures-out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()
    work, topics, config = args.work.resolve(), args.topics.resolve(), args.config.resolve()
    rows = load_examples(topics)
    if args.resplit or not SPLIT.exists():
        SPLIT.write_text(json.dumps(make_split(rows), ensure_ascii=False, indent=0) + "\n",
                         encoding="utf-8")
    held_out = set(json.loads(SPLIT.read_text(encoding="utf-8")))
    data_dir = training_files(held_out, work / "train", topics)
    model = trainer.train([str(data_dir)], ROOT / "models" / "eval", "eval", str(config))

    if args.tune:
        results, _ = with_server(model, lambda url: run_parses(url, _load_set("validation.yml")), work)
        knobs, accuracy = tune(results)
        write_knobs(knobs, accuracy, model)
        print(json.dumps({"validation_acc": accuracy, **asdict(knobs)}))
        return 0

    test_rows = [r for r in rows if r["text"] in held_out]
    test_rows += _load_set("multilingual.yml") + _load_set("oos_test.yml")
    results, timings = with_server(model, lambda url: run_parses(url, test_rows), work)
    knobs = configured_knobs(config)
    for row in results:
        row["predicted"] = decide(row, knobs)
    result = figures(results, timings)
    work.mkdir(parents=True, exist_ok=True)
    errors = [r for r in results if r["predicted"] != r["expected"]]
    confusions = Counter((r["expected"], r["predicted"]) for r in errors)
    (work / "report.json").write_text(json.dumps({
        "figures": result, "model": model.name, "n": len(results),
        "knobs": asdict(knobs),
        "top_confusions": [[e, p, n] for (e, p), n in confusions.most_common(40)],
        "errors": [{k: v for k, v in e.items() if k not in ("pipeline", "sentence")} | {
            "pipeline_top": _top(e["pipeline"]), "sentence_top": _top(e["sentence"])}
            for e in errors],
    }, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.figures_out:
        args.figures_out.write_text(json.dumps({"model": model.name, "n": len(results), "figures": result}),
                                    encoding="utf-8")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
