"""scripts/steps.sh (sourced by scripts/test.sh): each step's wall time and the total, also on failure."""

from __future__ import annotations

import subprocess
from pathlib import Path

STEPS = Path(__file__).resolve().parents[2] / "scripts" / "steps.sh"


def _run(body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "steps-test.sh"
    # SECONDS is bash's own clock; setting it stands in for a step that takes that long.
    script.write_text(f"set -euo pipefail\n. {STEPS}\n{body}\n")
    return subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=30, check=False)


def test_each_step_and_the_total_are_timed(tmp_path: Path) -> None:
    result = _run('step "lint"\nSECONDS=65\nstep "tests"\nSECONDS=200\necho done', tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "== lint\n" in out and "-- lint: 1m05s\n" in out and "-- tests: 2m15s\n" in out
    summary = out.split("== wall time per step\n", 1)[1].splitlines()
    assert summary == ["   1m05s  lint", "   2m15s  tests", "   3m20s  total"]


def test_a_failing_step_keeps_its_exit_status_and_is_named(tmp_path: Path) -> None:
    result = _run('step "lint"\nstep "content"\nSECONDS=7\n(exit 3)\nstep "never"', tmp_path)
    assert result.returncode == 3
    out = result.stdout
    assert "never" not in out
    summary = out.split("== wall time per step\n", 1)[1].splitlines()
    assert summary == ["   0m00s  lint", "   0m07s  content", '   0m07s  total (failed in "content", exit 3)']


def test_test_sh_uses_the_timed_steps() -> None:
    text = (STEPS.parent / "test.sh").read_text()
    assert "set -euo pipefail" in text and ". scripts/steps.sh" in text
    assert "\nstep() " not in text  # the untimed step of before is gone
