"""The real dialogue core for end-to-end tests: Rasa server and action server.

The model is trained once per test run (scripts/test.sh passes its path in
TEST_MODEL; training is skipped when a model for the same inputs exists).
Redis is the machine's server (TEST_REDIS_URL, default 127.0.0.1:6379) or,
when none answers, an embedded redis-server on a free port.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import stack as st  # noqa: E402
from rasa_env import GATEWAY_PYTHON, RASA_PYTHON  # noqa: E402


def _model() -> Path:
    if os.environ.get("TEST_MODEL"):
        return Path(os.environ["TEST_MODEL"])
    out = subprocess.run([str(RASA_PYTHON), str(ROOT / "scripts" / "train.py")],
                         cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
    return Path(out.stdout.strip().splitlines()[-1])


def _redis_url(stack: st.Stack, tmp: Path) -> str:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return url
    except redis.RedisError:
        return st.start_redis(stack, st.free_port(), tmp / "redis")


@dataclass(frozen=True)
class CaseService:
    """The real case service (``python -m backoffice``, gateway venv) the actions talk to."""

    url: str
    token: str
    database: Path  # its SQLite file, for tests that check what it stored


def _start_case_service(stack: st.Stack, tmp: Path, redis_url: str, prefix: str) -> CaseService:
    port, token = st.free_port(), secrets.token_urlsafe(16)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CASE_SERVICE_TOKEN": token,
           "DATABASE_URL": f"sqlite:///{tmp / 'cases.db'}", "REDIS_URL": redis_url,
           "GATEWAY_REDIS_PREFIX": prefix}
    command = [str(GATEWAY_PYTHON), "-m", "backoffice", "--host", "127.0.0.1", "--port", str(port)]
    process = stack.add("case-service", st._popen(command, env, tmp / "case-service.log"))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"case service exited: {(tmp / 'case-service.log').read_text()[-2000:]}")
        try:
            urllib.request.urlopen(f"{url}/api/v1/offices", timeout=2).close()
            return CaseService(url, token, tmp / 'cases.db')
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return CaseService(url, token, tmp / 'cases.db')
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError("case service not ready after 60 s")


@dataclass
class DialogueCore:
    rasa_url: str
    token: str
    redis_url: str
    prefix: str
    processes: st.Stack = field(repr=False)
    case_service: CaseService | None = None
    case_service_error: str = ""

    def post(self, body: dict[str, Any], token: str | None = None) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            f"{self.rasa_url}/webhooks/gateway/webhook",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {self.token if token is None else token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


@pytest.fixture(scope="session")
def core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DialogueCore]:
    tmp = tmp_path_factory.mktemp("core")
    model = _model()
    processes = st.Stack()
    try:
        redis_url = _redis_url(processes, tmp)
        prefix = f"test{uuid.uuid4().hex[:8]}"
        action_port, rasa_port = st.free_port(), st.free_port()
        token = secrets.token_urlsafe(16)
        nlg_url = st.start_nlg(processes, {"REDIS_URL": redis_url, "GATEWAY_REDIS_PREFIX": prefix},
                               tmp / "nlg.log")
        env = st.endpoint_environ(redis_url, action_port, 3600, nlg_url, prefix=prefix)
        env["CONTENT_IS_EXAMPLE"] = "true"
        service, service_error = None, ""
        try:  # tests without forms still run when the case service cannot start
            service = _start_case_service(processes, tmp, redis_url, prefix)
            env.update(CASE_SERVICE_URL=service.url, CASE_SERVICE_TOKEN=service.token)
        except (RuntimeError, TimeoutError) as error:
            service_error = str(error)
        st.start_action_server(processes, action_port, env, tmp / "actions.log")
        st.start_rasa(processes, model, rasa_port, token, env, tmp / "rasa.log")
        yield DialogueCore(f"http://127.0.0.1:{rasa_port}", token, redis_url, prefix, processes,
                           service, service_error)
    finally:
        processes.stop()
        if "redis_url" in locals() and "prefix" in locals():
            try:
                client = redis.Redis.from_url(redis_url, socket_connect_timeout=1)
                for key in client.scan_iter(match=f"{prefix}:*"):
                    client.delete(key)
            except redis.RedisError:
                pass


class Conversation:
    """One citizen talking to the real dialogue core through the connector."""

    def __init__(self, core: DialogueCore, channel: str = "webchat",
                 metadata: dict[str, Any] | None = None) -> None:
        self.core = core
        self.sender = f"test-{uuid.uuid4().hex}"
        self.channel = channel
        self.metadata = metadata or {}
        self.count = 0

    def send(self, text: str, **metadata: Any) -> list[dict[str, Any]]:
        self.count += 1
        status, body = self.core.post({
            "sender": self.sender,
            "message_id": f"{self.sender}-{self.count}",
            "channel": self.channel,
            "text": text,
            "metadata": {**self.metadata, **metadata},
        })
        assert status == 200, body
        self.last = body
        return body["messages"]

    def texts(self, text: str, **metadata: Any) -> str:
        """All reply texts of one turn, joined (custom data such as the feedback offer has none)."""
        return "\n".join(m["text"] for m in self.send(text, **metadata) if m.get("text"))


@pytest.fixture
def case_service(core: DialogueCore) -> CaseService:
    if core.case_service is None:
        pytest.fail(f"the case service did not start: {core.case_service_error}")
    return core.case_service


@pytest.fixture
def talk(core: DialogueCore):
    def factory(channel: str = "webchat", **metadata: Any) -> Conversation:
        return Conversation(core, channel, metadata)

    return factory
