"""The steps that need the Rasa environment (Python 3.10), run as subprocesses of the console.

The console runs on the gateway's Python; Rasa 3.6 needs its own, so
training, the NLU evaluation and the conversation tests are the project's
scripts run with ``.venv-rasa/bin/python`` (one host; see the deployment
note in backoffice/README.md). Their output goes to a log file; the epoch
counter of Rasa's progress bar is read from it as it comes.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
EPOCHS = re.compile(r"Epochs:\s*\d+%\|[^|]*\|\s*(\d+)/(\d+)")
TRAINED = ("Your Rasa model is trained", "model for these inputs exists")

OnEpoch = Callable[[int, int], Awaitable[None]]
OnLine = Callable[[str], Awaitable[None]]


class StepFailed(Exception):
    """A subprocess step ended with an error; the message says which and where its log is."""


@dataclass(frozen=True)
class Workspace:
    """Where a run keeps its files: logs, the evaluation's copies, figures, test reports."""

    root: Path

    def path(self, name: str) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root / name


async def run_step(name: str, command: list[str], log_file: Path, on_line: OnLine,
                   env: dict[str, str] | None = None) -> list[str]:
    """Run ``command`` (stderr into stdout); every line and every progress-bar redraw
    goes to ``on_line`` and the log file. Returns the output's lines."""
    # at the lowest priority: training must not take the CPU from live answers (Rasa, the gateway)
    process = await asyncio.create_subprocess_exec(
        "nice", "-n", "19", *command, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, start_new_session=True)
    assert process.stdout is not None
    lines: list[str] = []
    buffer = ""
    try:
        with log_file.open("a", encoding="utf-8") as log:
            while chunk := await process.stdout.read(4096):
                text = chunk.decode("utf-8", "replace")
                log.write(text)
                buffer += text
                *complete, buffer = re.split(r"[\r\n]", buffer)
                for line in complete:
                    if line.strip():
                        lines.append(line)
                        await on_line(line)
            code = await process.wait()
    except asyncio.CancelledError:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    if buffer.strip():
        lines.append(buffer)
    if code != 0:
        raise StepFailed(f"{name} ended with exit code {code} (log: {log_file})")
    return lines


def epoch_watcher(on_epoch: OnEpoch, on_trained: Callable[[], Awaitable[None]] | None = None) -> OnLine:
    """An ``on_line`` that reports Rasa's epoch counter, and the end of training."""
    async def watch(line: str) -> None:
        if match := EPOCHS.search(line):
            await on_epoch(int(match.group(1)), int(match.group(2)))
        elif on_trained is not None and any(mark in line for mark in TRAINED):
            await on_trained()

    return watch


async def evaluate_nlu(topics: Path, config: Path, eval_dir: Path, work: Workspace,
                       on_line: OnLine) -> dict[str, float]:
    """``scripts/eval_nlu.py`` on the committed split of ``topics``: its figures. ``eval_dir`` is the
    same for every run, so the model trained on the split is reused while the examples are unchanged
    (its input hash covers the path of the training copies)."""
    out = work.path("nlu_figures.json")
    await run_step("NLU evaluation", [str(RASA_PYTHON), "scripts/eval_nlu.py", "--topics", str(topics),
                                      "--config", str(config), "--work", str(eval_dir),
                                      "--figures-out", str(out)],
                   work.path("eval_nlu.log"), on_line)
    return {k: float(v) for k, v in json.loads(out.read_text(encoding="utf-8"))["figures"].items()}


async def train(topics: Path, config: Path, out: Path, work: Workspace, on_line: OnLine) -> Path:
    """``scripts/train.py`` on all examples: the candidate model (cached per input hash)."""
    lines = await run_step("training", [str(RASA_PYTHON), "scripts/train.py", "--nlu-data", str(topics),
                                        "--config", str(config), "--out", str(out), "--tag", "bot"],
                           work.path("train.log"), on_line)
    model = Path(lines[-1].strip())
    if not model.is_file():
        raise StepFailed(f"training named no model file (log: {work.path('train.log')})")
    return model


async def conversation_tests(model: Path, target: str, work: Workspace, on_line: OnLine) -> float:
    """The end-to-end conversation tests (pytest ``target``) against ``model``: share passed."""
    report = work.path("conversations.xml")
    report.unlink(missing_ok=True)
    env = {**os.environ, "TEST_MODEL": str(model), "PYTHONPATH": str(ROOT)}
    try:
        command = [str(RASA_PYTHON), "-m", "pytest", "-q", "-p", "no:cacheprovider", *target.split(),
                   f"--junitxml={report}"]
        await run_step("conversation tests", command, work.path("conversations.log"), on_line, env)
    except StepFailed:
        if not report.is_file():  # the tests did not run at all
            raise
    return passed_share(report)


def passed_share(junit_xml: Path) -> float:
    """Share of passed tests in a JUnit report (failures and errors count against; skips are not passes)."""
    root = ET.parse(junit_xml).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = sum(int(s.get("tests", 0)) for s in suites)
    bad = sum(int(s.get(k, 0)) for s in suites for k in ("failures", "errors", "skipped"))
    if total == 0:
        raise StepFailed("the conversation tests ran no test")
    return round((total - bad) / total, 4)
