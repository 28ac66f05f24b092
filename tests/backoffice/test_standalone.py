"""``python -m backoffice`` as a process: migrates at start-up, serves the API, stops on SIGTERM,
and its log holds neither reference numbers nor PINs nor conversation ids nor message texts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.backoffice.case_support import TOKEN
from tests.backoffice.test_api_cases import body
from tests.channels.conftest import REDIS_URL, ROOT, free_port, prefix  # noqa: F401 - fixture


def _call(url: str, data: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(data).encode() if data is not None else None,
                                     headers={"Authorization": f"Bearer {TOKEN}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_python_m_backoffice(tmp_path: Path, prefix: str) -> None:  # noqa: F811
    port = free_port()
    log = tmp_path / "service.log"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT),
           "CASE_SERVICE_TOKEN": TOKEN, "DATABASE_URL": f"sqlite:///{tmp_path / 'cases.db'}",
           "REDIS_URL": REDIS_URL, "GATEWAY_REDIS_PREFIX": prefix}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "backoffice", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = _call(f"{base}/api/v1/offices")
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert status == 200
        status, created = _call(f"{base}/api/v1/cases", body(conversation="secret-conv", key="secret-conv:1"))
        assert status == 201
        query = f"conversation_id=other&pin={created['pin']}"
        status, view = _call(f"{base}/api/v1/cases/{created['reference']}?{query}")
        assert status == 200 and view["reference"] == created["reference"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    text = log.read_text()
    assert "GET /api/v1/cases/<reference> 200" in text  # the request is logged, its case masked
    for personal in (created["reference"], created["pin"], "secret-conv", "Schlagloch", "Erika",
                     "example.org"):
        assert personal not in text
    assert "Traceback" not in text
