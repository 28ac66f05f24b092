#!/usr/bin/env python3
"""Train a Rasa model unless one for exactly these inputs exists already.

Usage: train.py [--nlu-data PATH ...] [--out DIR] [--tag NAME] [--config FILE]
Prints the model path as the last line. Rasa's own progress bars (with the
epoch counter) are shown while training.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rasa_env import MODELS, RASA_PYTHON, ROOT, TRAINING_INPUTS, fingerprint, rasa_environ


def decide(nlu_data: list[str], out: Path, tag: str, config: str = "config.yml") -> tuple[Path, bool]:
    """The model file for these inputs and whether it must be trained. Its name carries the
    inputs' fingerprint, so an existing file means nothing changed since it was trained."""
    inputs = [p for p in TRAINING_INPUTS if p not in ("nlu_data/topics", "config.yml")] + nlu_data + [config]
    model = out / f"{tag}-{fingerprint(inputs)}.tar.gz"
    return model, not model.exists()


def train(nlu_data: list[str], out: Path, tag: str, config: str = "config.yml") -> Path:
    """``config``: another pipeline file (e.g. fewer epochs for the publish tests)."""
    model, must_train = decide(nlu_data, out, tag, config)
    if not must_train:
        print(f"[train] model for these inputs exists: {os.path.relpath(model, ROOT)}", flush=True)
        return model
    name = model.name.removesuffix(".tar.gz")
    out.mkdir(parents=True, exist_ok=True)
    print(f"[train] training {name} (a few minutes)", flush=True)
    command = [
        str(RASA_PYTHON), "-m", "rasa", "train",
        "--config", config,
        "--domain", "bot/domain",
        "--data", *nlu_data, "bot/data",
        "--out", str(out),
        "--fixed-model-name", name,
    ]
    subprocess.run(command, cwd=ROOT, env=rasa_environ(), check=True)
    if not model.exists():
        raise SystemExit(f"[train] rasa train finished but {model} is missing")
    return model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nlu-data", nargs="+", default=["nlu_data/topics"])
    parser.add_argument("--out", type=Path, default=MODELS)
    parser.add_argument("--tag", default="bot")
    parser.add_argument("--config", default="config.yml")
    args = parser.parse_args()
    model = train(args.nlu_data, args.out.resolve(), args.tag, args.config)
    print(model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
