"""Shared helpers for scripts that drive the Rasa side (run on either venv)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
GATEWAY_PYTHON = ROOT / ".venv" / "bin" / "python"
MODELS = ROOT / "models"

# What a trained model depends on. Code of our own NLU components counts too.
TRAINING_INPUTS = (
    "config.yml",
    "bot/domain",
    "bot/data",
    "nlu_data/topics",
    "bot/components",
)


def rasa_environ(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for Rasa processes: our components importable, no telemetry."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("LOG_LEVEL_LIBRARIES", "ERROR")
    env.setdefault("MPLCONFIGDIR", str(ROOT / "data" / "tmp" / "mpl"))
    env.update(extra or {})
    # Last, so that no .env line or caller's setting turns it back on: nothing may call outside hosts.
    env["RASA_TELEMETRY_ENABLED"] = "false"
    return env


def _files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        elif path.is_file():
            files.append(path)
    return sorted(files)


def _hashed_name(file: Path) -> tuple[int, Path]:
    """A file in the checkout counts by its path in it; one outside (a temporary copy of
    nlu_data, a pipeline file for tests) by its name alone, after those, so that the same
    inputs in another temporary folder give the same hash."""
    return (0, file.relative_to(ROOT)) if file.is_relative_to(ROOT) else (1, Path(file.name))


def fingerprint(paths: Iterable[Path | str]) -> str:
    """Hash of the training inputs (bot/nlu_tuning.yml is read at load time, not here)."""
    digest = hashlib.sha256()
    for file in sorted(_files(ROOT / Path(p) for p in paths), key=_hashed_name):
        digest.update(str(_hashed_name(file)[1]).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]
