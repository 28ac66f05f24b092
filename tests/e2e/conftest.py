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
from rasa_env import RASA_PYTHON  # noqa: E402


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


@dataclass
class DialogueCore:
    rasa_url: str
    token: str
    redis_url: str
    prefix: str
    processes: st.Stack = field(repr=False)

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
        env = st.endpoint_environ(redis_url, action_port, 3600, prefix=prefix)
        env["CONTENT_IS_EXAMPLE"] = "true"
        st.start_action_server(processes, action_port, env, tmp / "actions.log")
        st.start_rasa(processes, model, rasa_port, token, env, tmp / "rasa.log")
        yield DialogueCore(f"http://127.0.0.1:{rasa_port}", token, redis_url, prefix, processes)
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
        """All reply texts of one turn, joined."""
        return "\n".join(m.get("text", "") for m in self.send(text, **metadata))


@pytest.fixture
def talk(core: DialogueCore):
    def factory(channel: str = "webchat", **metadata: Any) -> Conversation:
        return Conversation(core, channel, metadata)

    return factory
