"""The real dialogue core (Rasa server + action server + case service) for gateway end-to-end tests.

Session-scoped: started once per test run from the model `make test` trained
(TEST_MODEL; trained here through scripts/train.py when unset), on free
loopback ports, with its own Redis key prefix on the test Redis. The action
server talks to a real case service (``python -m backoffice``, SQLite in the
session's tmp folder) as in production, so service requests get real
reference numbers.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import stack as st  # noqa: E402
from rasa_env import RASA_PYTHON  # noqa: E402

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True)
class RealCore:
    rasa_url: str
    action_server_url: str
    token: str
    redis_prefix: str
    log_dir: Path  # actions.log, rasa.log, case-service.log: the processes' stdout and stderr
    case_service_url: str
    case_service_token: str
    # the internal port the case service expects the gateway on (GATEWAY_NOTIFY_URL): a test whose
    # gateway listens there lets the case service import channel photos (start_gateway(internal_port=))
    gateway_internal_port: int = 0

    @property
    def case_database_url(self) -> str:
        return f"sqlite:///{self.log_dir / 'cases.db'}"

    async def case(self, http: aiohttp.ClientSession, reference: str, conversation: str) -> tuple[int, Any]:
        """The case service's answer to a status lookup of ``reference`` by its conversation."""
        async with http.get(f"{self.case_service_url}/api/v1/cases/{reference}",
                            params={"conversation_id": conversation},
                            headers={"Authorization": f"Bearer {self.case_service_token}"}) as reply:
            return reply.status, await reply.json(content_type=None)


def delete_keys(prefix: str) -> None:
    """Remove every key under a test's prefix (gateway state, Rasa tracker, lock) from the test Redis."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _model() -> Path:
    if os.environ.get("TEST_MODEL"):
        return Path(os.environ["TEST_MODEL"])
    out = subprocess.run([str(RASA_PYTHON), str(ROOT / "scripts" / "train.py")],
                         cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
    return Path(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def real_core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealCore]:
    tmp = tmp_path_factory.mktemp("real-core")
    prefix = f"rc{uuid.uuid4().hex[:10]}"
    # imported here: case_service imports conftest, which imports this module
    from tests.channels.case_service import TOKEN as CASE_TOKEN
    from tests.channels.case_service import CaseService

    processes = st.Stack()
    cases = CaseService(tmp, prefix)
    gateway_port = st.free_port()
    cases.env["GATEWAY_NOTIFY_URL"] = f"http://127.0.0.1:{gateway_port}"
    try:
        cases.start()
        action_port, rasa_port = st.free_port(), st.free_port()
        token = secrets.token_urlsafe(16)
        nlg_url = st.start_nlg(processes, {"REDIS_URL": REDIS_URL, "GATEWAY_REDIS_PREFIX": prefix},
                               tmp / "nlg.log")
        env = {**st.endpoint_environ(REDIS_URL, action_port, 3600, nlg_url, prefix=prefix),
               "CASE_SERVICE_URL": cases.url, "CASE_SERVICE_TOKEN": CASE_TOKEN}
        st.start_action_server(processes, action_port, env, tmp / "actions.log")
        st.start_rasa(processes, _model(), rasa_port, token, env, tmp / "rasa.log")
        yield RealCore(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}",
                       token, prefix, tmp, cases.url, CASE_TOKEN, gateway_port)
    finally:
        processes.stop()
        cases.stop()
        delete_keys(prefix)
