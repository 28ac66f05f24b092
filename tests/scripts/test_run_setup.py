"""The `make run` path, starting nothing: secrets in .env, finding Python 3.10, the retrain decision."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import run
import setup_env
import train

ENV_BEFORE = (
    b"# my settings\r\n"  # a CRLF line, kept as it is
    b"PUBLIC_BASE_URL='https://chat.example.org'\n"
    b"RASA_TOKEN=mine  \n"  # trailing blanks, kept
    b"\n"
    b"GATEWAY_PORT=9090"  # no newline at the end
)


@pytest.fixture
def no_secrets_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in run.GENERATED:
        monkeypatch.delenv(key, raising=False)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("no_secrets_in_environment")
def test_an_existing_env_is_kept_byte_for_byte_and_only_missing_secrets_are_appended(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(ENV_BEFORE)
    env_file.chmod(0o644)

    values = run.ensure_secrets(env_file)

    after = env_file.read_bytes()
    assert after.startswith(ENV_BEFORE)
    added = after[len(ENV_BEFORE):].decode().splitlines()
    keys = [line.split("=", 1)[0] for line in added if "=" in line]
    assert keys == ["PSEUDONYM_KEY", "WEBCHAT_SESSION_SECRET", "CASE_SERVICE_TOKEN"]  # not RASA_TOKEN
    assert all(not line or line.startswith("#") or "=" in line for line in added)
    assert values["RASA_TOKEN"] == "mine" and values["GATEWAY_PORT"] == "9090"  # the old last line survived
    assert all(len(values[key]) >= 32 for key in keys)
    assert _mode(env_file) == 0o600

    assert run.ensure_secrets(env_file) == values  # a second start generates nothing
    assert env_file.read_bytes() == after


def test_a_secret_set_in_the_environment_is_not_generated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          no_secrets_in_environment: None) -> None:
    env_file = tmp_path / ".env"
    for key in run.GENERATED:
        monkeypatch.setenv(key, f"from-the-environment-{key}")
    run.ensure_secrets(env_file)
    assert not env_file.exists()  # nothing was missing, nothing written


@pytest.mark.usefixtures("no_secrets_in_environment")
def test_a_new_env_is_created_owner_only_with_every_secret(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # a usual umask would give 0644
    try:
        values = run.ensure_secrets(tmp_path / ".env")
    finally:
        os.umask(old_umask)
    assert _mode(tmp_path / ".env") == 0o600
    assert set(values) == set(run.GENERATED)
    assert run.read_env_file(tmp_path / ".env") == values


def _fake_python(path: Path, version: str) -> Path:
    """An executable that answers setup_env's version question like a Python ``version`` would."""
    major, minor = version.split(".")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {major} {minor}\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def bare_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """PATH, HOME and PYENV_ROOT pointing at empty temporary folders: no Python 3.10 anywhere."""
    folders = {name: tmp_path / name for name in ("bin", "home", "pyenv")}
    for folder in folders.values():
        folder.mkdir()
    monkeypatch.setenv("PATH", str(folders["bin"]))
    monkeypatch.setenv("HOME", str(folders["home"]))
    monkeypatch.setenv("PYENV_ROOT", str(folders["pyenv"]))
    monkeypatch.delenv("PYTHON310", raising=False)
    return folders


def test_python310_is_found_on_path(bare_machine: dict[str, Path]) -> None:
    python = _fake_python(bare_machine["bin"] / "python3.10", "3.10")
    assert setup_env.find_python310() == str(python)


def test_a_wrong_version_on_path_is_passed_over_for_pyenvs_310(bare_machine: dict[str, Path]) -> None:
    _fake_python(bare_machine["bin"] / "python3.10", "3.9")  # a mislabelled interpreter
    _fake_python(bare_machine["pyenv"] / "versions/3.10.11/bin/python3.10", "3.10")
    newest = _fake_python(bare_machine["pyenv"] / "versions/3.10.14/bin/python3.10", "3.10")
    assert setup_env.find_python310() == str(newest)


def test_pyenv_under_home_and_uv_are_searched(bare_machine: dict[str, Path]) -> None:
    uv = _fake_python(bare_machine["home"] / ".local/share/uv/python/cpython-3.10.16-linux/bin/python3.10",
                      "3.10")
    assert setup_env.find_python310() == str(uv)
    in_home = _fake_python(bare_machine["home"] / ".pyenv/versions/3.10.9/bin/python3.10", "3.10")
    assert setup_env.find_python310() == str(in_home)  # pyenv before uv


def test_without_python310_setup_says_how_to_install_it(bare_machine: dict[str, Path],
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    _fake_python(bare_machine["pyenv"] / "versions/3.11.9/bin/python3.11", "3.11")

    def no_install(*_: object) -> None:
        raise AssertionError("nothing may be installed without Python 3.10")

    monkeypatch.setattr(setup_env, "ensure", no_install)
    assert setup_env.find_python310() is None
    assert setup_env.main() == 1
    message = capsys.readouterr().err
    assert "Python 3.10" in message and "uv python install 3.10" in message
    assert len(message.strip().splitlines()) == 1  # one instruction, no traceback


def test_a_model_is_trained_only_when_its_inputs_changed(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("language: de\npipeline: []\n")
    nlu = tmp_path / "topics"
    nlu.mkdir()
    (nlu / "kontakt.yml").write_text('version: "3.1"\nnlu: []\n')
    out = tmp_path / "models"

    def decision() -> tuple[Path, bool]:
        return train.decide([str(nlu)], out, "bot", str(config))

    model, must_train = decision()
    assert must_train and model.parent == out and model.name.startswith("bot-")
    out.mkdir()
    model.write_bytes(b"a trained model")  # what `rasa train` leaves
    assert decision() == (model, False)  # unchanged inputs: no retraining

    config.write_text("language: de\npipeline: []\npolicies: []\n")
    changed, must_train = decision()
    assert must_train and changed != model

    config.write_text("language: de\npipeline: []\n")  # back as it was: the old model fits again
    assert decision() == (model, False)
    (nlu / "kontakt.yml").write_text('version: "3.1"\nnlu:\n- intent: kontakt\n')
    assert decision()[1]
