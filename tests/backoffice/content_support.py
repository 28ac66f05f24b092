"""Shared fixture of the content tests: a private copy of ``nlu_data/`` that a test may change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def content(tmp_path: Path) -> Path:
    copy = tmp_path / "nlu_data"
    shutil.copytree(ROOT / "nlu_data", copy)
    return copy
