"""Settings: validated at start-up; a bad setting is one clear line and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from channels.settings import Settings
from tests.channels.conftest import ROOT

REQUIRED = {"PSEUDONYM_KEY": "a-pseudonym-key-for-tests", "RASA_TOKEN": "a-rasa-token"}


def _run(env: dict[str, str], cwd: Path, module: bool = False) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "channels"] if module else [
        sys.executable, "-c", "from channels.settings import load_settings; load_settings()"]
    full_env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(command, env=full_env, cwd=cwd, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"RASA_TOKEN": "a-rasa-token"}, "PSEUDONYM_KEY is required"),
        ({**REQUIRED, "PSEUDONYM_KEY": "short"}, "PSEUDONYM_KEY"),
        ({**REQUIRED, "GATEWAY_PORT": "eighty"}, "GATEWAY_PORT"),
        ({**REQUIRED, "RASA_URL": "ftp://rasa"}, "RASA_URL: must be an http:// or https:// URL"),
        ({**REQUIRED, "REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({**REQUIRED, "TELEGRAM_MODE": "carrier-pigeon"}, "TELEGRAM_MODE"),
        ({**REQUIRED, "WEBCHAT_ALLOWED_ORIGINS": "www.example.org"}, "WEBCHAT_ALLOWED_ORIGINS"),
        ({**REQUIRED, "SMS_SEGMENT_BUDGET": "0"}, "SMS_SEGMENT_BUDGET"),
        ({**REQUIRED, "GATEWAY_PARTITIONS": "-1"}, "GATEWAY_PARTITIONS"),
    ],
)
def test_bad_setting_is_one_line_and_exit_2(tmp_path: Path, env: dict[str, str], named: str) -> None:
    result = _run(env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0]
    assert "Traceback" not in result.stderr
    assert "a-rasa-token" not in result.stderr  # values (secrets) are never echoed


def test_the_gateway_itself_exits_2_on_a_missing_setting(tmp_path: Path) -> None:
    result = _run({}, tmp_path, module=True)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "PSEUDONYM_KEY is required" in result.stderr and "RASA_TOKEN is required" in result.stderr


def test_settings_come_from_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PSEUDONYM_KEY=from-the-dotenv-file\nRASA_TOKEN=dotenv-token\n"
                                   "GATEWAY_PARTITIONS=8\nUNRELATED_SETTING=ignored\n")
    result = subprocess.run(
        [sys.executable, "-c", "from channels.settings import load_settings; "
                               "print(load_settings().gateway_partitions)"],
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}, cwd=tmp_path,
        capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "8"


def test_defaults_and_lists() -> None:
    settings = Settings(_env_file=None, pseudonym_key="k" * 16, rasa_token="t" * 8,
                        webchat_allowed_origins="https://www.maerkischer-kreis.de/, http://localhost:8080")
    assert settings.webchat_allowed_origins == ["https://www.maerkischer-kreis.de", "http://localhost:8080"]
    assert (settings.gateway_host, settings.gateway_port) == ("0.0.0.0", 8080)
    assert (settings.internal_host, settings.internal_port) == ("127.0.0.1", 8081)
    assert settings.gateway_partitions == 32
    assert settings.telegram_api_base == "https://api.telegram.org"
    assert settings.test_channel_token is None


def test_urls_lose_their_trailing_slash() -> None:
    settings = Settings(_env_file=None, pseudonym_key="k" * 16, rasa_token="t" * 8,
                        rasa_url="http://127.0.0.1:5005/")
    assert settings.rasa_url == "http://127.0.0.1:5005"
