"""The conversation-test step of the publish check, for real: pytest in the Rasa environment
against a model (the test model), its share of passed tests read from the JUnit report."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from backoffice.publish.training import RASA_PYTHON, ROOT, StepFailed, Workspace, conversation_tests

pytestmark = pytest.mark.timeout(600)


def _test_model() -> Path:
    if os.environ.get("TEST_MODEL"):
        return Path(os.environ["TEST_MODEL"])
    out = subprocess.run([str(RASA_PYTHON), str(ROOT / "scripts" / "train.py")], cwd=ROOT,
                         stdout=subprocess.PIPE, text=True, check=True)
    return Path(out.stdout.strip().splitlines()[-1])


async def test_conversation_tests_against_a_model_give_the_share_passed(tmp_path: Path) -> None:
    lines: list[str] = []

    async def on_line(line: str) -> None:
        lines.append(line)

    work = Workspace(tmp_path)
    target = "tests/e2e/test_conversations.py -k kfz_zulassung"
    assert await conversation_tests(_test_model(), target, work, on_line) == 1.0
    assert any("passed" in line for line in lines)
    with pytest.raises(StepFailed, match="ran no test"):  # a selection that matches nothing is no pass
        await conversation_tests(_test_model(), "tests/e2e/test_conversations.py -k no_such_topic", work,
                                 on_line)
