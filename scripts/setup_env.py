#!/usr/bin/env python3
"""Create or update both virtual environments from pyproject.toml.

The Rasa side needs Python 3.10 (Rasa 3.6 does not install on 3.11+); the
gateway side runs on the interpreter this script runs on (>= 3.11). An
environment is reinstalled only when its dependency list changed, so a later
`make run` costs a second here.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
RASA_VENV = ROOT / ".venv-rasa"
GATEWAY_VENV = ROOT / ".venv"


def say(message: str) -> None:
    print(f"[setup] {message}", flush=True)


def _version_of(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout.split()
        return int(out[0]), int(out[1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def find_python310() -> str | None:
    """Python 3.10 from PATH, pyenv or uv's managed interpreters."""
    candidates: list[str] = []
    if os.environ.get("PYTHON310"):
        candidates.append(os.environ["PYTHON310"])
    on_path = shutil.which("python3.10")
    if on_path:
        candidates.append(on_path)
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    for root in filter(None, roots):
        candidates += sorted(
            (str(p) for p in Path(root, "versions").glob("3.10*/bin/python3.10")), reverse=True
        )
    candidates += sorted(
        (str(p) for p in (Path.home() / ".local/share/uv/python").glob("cpython-3.10*/bin/python3.10")),
        reverse=True,
    )
    for python in candidates:
        if _version_of(python) == (3, 10):
            return python
    return None


def extras() -> dict[str, list[str]]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        project = tomllib.load(handle)["project"]
    return {name: list(deps) for name, deps in project["optional-dependencies"].items()} | {
        "base": list(project.get("dependencies", []))
    }


def requirements(groups: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """(Rasa side, gateway side) of the development environments. The images install "rasa" or
    "gateway" alone; here the Rasa side adds its test tools ("rasa-test"), the gateway side "dev"."""
    return (groups["base"] + groups["rasa"] + groups["rasa-test"],
            groups["base"] + groups["gateway"] + groups["dev"])


def ensure(venv: Path, python: str, requirements: list[str], label: str) -> None:
    stamp = venv / ".installed.json"
    digest = hashlib.sha256(json.dumps(sorted(requirements)).encode()).hexdigest()
    if stamp.exists() and json.loads(stamp.read_text()).get("digest") == digest:
        return
    if not (venv / "bin" / "python").exists():
        say(f"creating {venv.name} ({label})")
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    say(f"installing {label} into {venv.name} (a few minutes the first time)")
    subprocess.run([*pip, "install", "--upgrade", "--progress-bar", "on", "pip", "wheel"], check=True)
    subprocess.run([*pip, "install", "--progress-bar", "on", *requirements], check=True)
    stamp.write_text(json.dumps({"digest": digest}))
    say(f"{venv.name} ready")


def main() -> int:
    if sys.version_info < (3, 11):
        print("[setup] the gateway needs Python >= 3.11 as `python3`.", file=sys.stderr)
        return 1
    groups = extras()
    python310 = find_python310()
    if python310 is None:
        print(
            "[setup] Rasa 3.6 needs Python 3.10, which was not found on PATH, in pyenv "
            "or uv. Install it with:  uv python install 3.10   (or: pyenv install 3.10)",
            file=sys.stderr,
        )
        return 1
    rasa_side, gateway_side = requirements(groups)
    ensure(RASA_VENV, python310, rasa_side, "Rasa side")
    ensure(GATEWAY_VENV, sys.executable, gateway_side, "gateway side")
    return 0


if __name__ == "__main__":
    sys.exit(main())
