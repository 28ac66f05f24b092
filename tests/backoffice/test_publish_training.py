"""Training and evaluation steps run at the lowest CPU priority, beside live answers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from backoffice.publish.training import run_step


async def test_steps_run_at_nice_19_and_their_output_is_logged(tmp_path: Path) -> None:
    seen: list[str] = []

    async def on_line(line: str) -> None:
        seen.append(line)

    log = tmp_path / "step.log"
    lines = await run_step("niceness", [sys.executable, "-c", "import os; print('nice', os.nice(0))"], log,
                           on_line)
    assert lines == seen == [f"nice {min(19, os.nice(0) + 19)}"]
    assert "nice" in log.read_text()
