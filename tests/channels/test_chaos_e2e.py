"""`make chaos --quick`: the whole system under load while a gateway is killed, Rasa stopped, Redis
restarted and webhooks delivered twice - nothing lost, nothing answered twice, nothing out of order.

Runs scripts/chaos.py as `make chaos ARGS=--quick` does (its own Redis, Rasa with the test model,
two gateways, the Telegram and Twilio fakes); 2-4 minutes on the 2-core machine, most of it Rasa
loading its model twice (over 6 minutes when other jobs kept the machine at a load average of 8).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.channels.real_core import _model

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
QUICK_MESSAGES = 150


def test_quick_chaos_loses_nothing_repeats_nothing_and_keeps_order() -> None:
    env = {**os.environ, "BENCH_MODEL": str(_model())}
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "chaos.py"), "--quick"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=540)
    assert run.stdout.strip(), run.stderr
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(figures) == {"accepted", "answered_once", "answered_twice", "lost", "order_violations",
                            "reply_p99_ms_outside_faults"}
    assert (figures["lost"], figures["answered_twice"], figures["order_violations"]) == (0, 0, 0), run.stderr
    assert figures["accepted"] >= QUICK_MESSAGES, run.stderr
    assert figures["answered_once"] == figures["accepted"], run.stderr
    assert run.returncode == 0, run.stderr
