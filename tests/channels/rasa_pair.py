"""Two real Rasa servers (one action server, shared Redis tracker and lock stores) for the
publish tests: a model is loaded into one after the other while citizens' messages flow.

Session-scoped and started only when a test asks for it; both serve the model
`make test` trained (TEST_MODEL). ``candidate`` is a second file of that model under
another name, so loading it is a real model swap that the servers report by name.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.channels.real_core import REDIS_URL, _model, delete_keys

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import stack as st  # noqa: E402


@dataclass(frozen=True)
class RasaPair:
    urls: tuple[str, str]
    action_server_url: str
    token: str
    model: Path  # what both serve at the start
    candidate: Path  # the same model under another file name


@pytest.fixture(scope="session")
def rasa_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RasaPair]:
    tmp = tmp_path_factory.mktemp("rasa-pair")
    prefix = f"rp{uuid.uuid4().hex[:10]}"
    model = _model()
    candidate = tmp / f"candidate-{model.name}"
    try:
        os.link(model, candidate)
    except OSError:
        shutil.copyfile(model, candidate)
    processes = st.Stack()
    try:
        action_port, ports = st.free_port(), (st.free_port(), st.free_port())
        token = secrets.token_urlsafe(16)
        nlg = st.start_nlg(processes, {"REDIS_URL": REDIS_URL, "GATEWAY_REDIS_PREFIX": prefix},
                           tmp / "nlg.log")
        env = st.endpoint_environ(REDIS_URL, action_port, 3600, nlg, prefix=prefix)
        st.start_action_server(processes, action_port, env, tmp / "actions.log")
        with ThreadPoolExecutor(2) as pool:  # both load their model at the same time
            starts = [pool.submit(st.start_rasa, processes, model, port, token, env, tmp / f"rasa-{port}.log")
                      for port in ports]
            for done in starts:
                done.result()
        yield RasaPair((f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}"),
                       f"http://127.0.0.1:{action_port}", token, model, candidate)
    finally:
        processes.stop()
        delete_keys(prefix)
