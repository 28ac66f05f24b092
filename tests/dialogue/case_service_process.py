"""The real case service (``python -m backoffice``) as a process for the action-level tests.

(The end-to-end tests start theirs with the dialogue core, tests/e2e/conftest.py.)

Own SQLite file per start, the machine's Redis, a random token; the action
server reaches it through ``CASE_SERVICE_URL`` / ``CASE_SERVICE_TOKEN``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import stack as st  # noqa: E402
from rasa_env import GATEWAY_PYTHON  # noqa: E402


@dataclass(frozen=True)
class CaseService:
    url: str
    token: str
    prefix: str = ""  # GATEWAY_REDIS_PREFIX: the handoff state it writes lives under it

    @property
    def environ(self) -> dict[str, str]:
        """What the action server needs to reach this service."""
        return {"CASE_SERVICE_URL": self.url, "CASE_SERVICE_TOKEN": self.token}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"{self.url}{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return reply.status, json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


def start(stack: st.Stack, tmp: Path, redis_url: str) -> CaseService:
    """Starts the service on a free loopback port and waits until it answers."""
    tmp.mkdir(parents=True, exist_ok=True)
    port, token, prefix = st.free_port(), secrets.token_urlsafe(16), f"test{secrets.token_hex(4)}"
    env = {**os.environ, "CASE_SERVICE_TOKEN": token, "REDIS_URL": redis_url,
           "GATEWAY_REDIS_PREFIX": prefix,  # own rate limits per start
           "DATABASE_URL": f"sqlite:///{tmp / 'cases.db'}", "PYTHONPATH": str(ROOT)}
    log = open(tmp / "case_service.log", "ab")  # noqa: SIM115 - handed to the child
    process = subprocess.Popen(
        [str(GATEWAY_PYTHON), "-m", "backoffice", "--host", st.LOOPBACK, "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    stack.add("case-service", process)
    deadline = time.monotonic() + 60  # it binds after its database migrations
    while not _listening(port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"case service did not start; see {tmp / 'case_service.log'}")
        time.sleep(0.2)
    return CaseService(f"http://{st.LOOPBACK}:{port}", token, prefix)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((st.LOOPBACK, port)) == 0
