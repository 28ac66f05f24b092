"""Tuned numbers read when a model is loaded, not when it is trained.

The out-of-scope thresholds and the blend weight are chosen on held-out data
by `make tune-oos` after training and written to ``bot/nlu_tuning.yml``.
Reading them at load time means a new choice takes effect at the next start
of Rasa without retraining the model; the component's config values are the
defaults when the file is absent.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "nlu_tuning.yml"


def tuning_path() -> Path:
    return Path(os.environ.get("NLU_TUNING_FILE", DEFAULT_PATH))


def tuned(config: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """``config`` with ``keys`` replaced by the tuned values, where there are any."""
    try:
        values = yaml.safe_load(tuning_path().read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return config
    return {**config, **{key: values[key] for key in keys if key in values}}
