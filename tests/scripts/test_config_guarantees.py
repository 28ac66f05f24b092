"""What the issue promises about Rasa's configuration: Redis stores with an expiry, no telemetry."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import stack
from rasa_env import ROOT, rasa_environ

TTL_S = 30 * 24 * 3600


def _endpoints() -> dict[str, Any]:
    """bot/endpoints.yml with its ${...} filled as `make run` fills them (scripts/stack.py)."""
    variables = stack.endpoint_environ("redis://:pw@127.0.0.1:6390/2", 5055, TTL_S,
                                       stack.Nlg("http://127.0.0.1:8081/nlg", "token"))
    text = (ROOT / "bot" / "endpoints.yml").read_text(encoding="utf-8")
    unset = set(re.findall(r"\$\{(\w+)\}", text)) - set(variables)
    assert not unset, f"endpoints.yml reads what `make run` does not set: {unset}"
    return yaml.safe_load(re.sub(r"\$\{(\w+)\}", lambda m: variables[m.group(1)], text))


@pytest.mark.parametrize("store", ["tracker_store", "lock_store"])
def test_tracker_and_lock_store_are_redis(store: str) -> None:
    config = _endpoints()[store]
    assert config["type"] == "redis"
    assert (config["url"], config["port"], config["db"], config["password"]) == ("127.0.0.1", 6390, 2, "pw")
    assert str(config["key_prefix"]).isalnum()  # Rasa refuses other prefixes


def test_conversations_expire_in_redis() -> None:
    """record_exp: without it a tracker in Redis lives for ever (data minimisation)."""
    assert _endpoints()["tracker_store"]["record_exp"] == TTL_S


@pytest.mark.parametrize("caller", [{}, {"RASA_TELEMETRY_ENABLED": "true"}])
def test_rasa_processes_run_without_telemetry(monkeypatch: pytest.MonkeyPatch,
                                              caller: dict[str, str]) -> None:
    """Off even when the shell or a .env line (passed on by scripts/run.py as ``extra``) turns it on."""
    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "true")
    env = rasa_environ(caller)
    assert env["RASA_TELEMETRY_ENABLED"] == "false"
    assert str(ROOT) in env["PYTHONPATH"].split(":")  # and our own components importable
