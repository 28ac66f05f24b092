"""By default only the public gateway listens on all interfaces; the case service, the action
server, the embedded Redis and the internal port listen on loopback (Rasa: tests/channels/test_logs_e2e.py,
which starts it the way ``make run`` does)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import redis

from channels.settings import Settings
from tests.channels.conftest import free_port
from tests.channels.listening import LOOPBACKS, listening_on, wait_listening

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import stack as st  # noqa: E402
from rasa_env import GATEWAY_PYTHON, RASA_PYTHON  # noqa: E402


def test_listening_reads_the_kernels_table() -> None:
    """The helper itself: a socket on all interfaces is told apart from one on loopback."""
    import socket

    with socket.socket() as anywhere, socket.socket() as loopback:
        anywhere.bind(("0.0.0.0", 0))
        anywhere.listen()
        loopback.bind(("127.0.0.1", 0))
        loopback.listen()
        assert listening_on(anywhere.getsockname()[1]) == {"0.0.0.0"}
        assert listening_on(loopback.getsockname()[1]) == {"127.0.0.1"}


def test_gateway_settings_keep_the_internal_port_on_loopback() -> None:
    settings = Settings(_env_file=None, pseudonym_key="k" * 16, rasa_token="t" * 8)
    assert settings.internal_host == "127.0.0.1"
    assert str(settings.case_service_url).startswith("http://127.0.0.1")
    assert str(settings.rasa_url).startswith("http://127.0.0.1")


def _serve(command: list[str], port: int, env: dict[str, str], log: Path) -> set[str]:
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        return wait_listening(port)
    finally:
        process.terminate()
        process.wait(20)


def test_case_service_listens_on_loopback_by_default(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CASE_SERVICE_TOKEN": "t" * 20,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'cases.db'}"}
    found = _serve([str(GATEWAY_PYTHON), "-m", "backoffice", "--port", str(port)], port, env,
                   tmp_path / "backoffice.log")
    assert found and found <= LOOPBACKS


def test_action_server_listens_on_loopback_by_default(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ACTION_SERVER_HOST", None)
    found = _serve([str(RASA_PYTHON), "-m", "actions.server", "--port", str(port)], port, env,
                   tmp_path / "actions.log")
    assert found and found <= LOOPBACKS


def test_embedded_redis_listens_on_loopback_in_protected_mode(tmp_path: Path) -> None:
    stack = st.Stack()
    port = st.free_port()
    try:
        url = st.start_redis(stack, port, tmp_path / "redis")
        assert listening_on(port) <= LOOPBACKS and listening_on(port)
        client = redis.Redis.from_url(url)
        assert client.config_get("protected-mode")["protected-mode"] == "yes"
        client.close()
    finally:
        stack.stop()
