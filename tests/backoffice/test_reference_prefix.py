"""CASE_REFERENCE_PREFIX: the prefix of new reference numbers, and a bad one stops the service."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from backoffice.reference import damm, parse
from tests.backoffice.case_support import (  # noqa: F401 - fixtures
    FixedClock,
    clock,
    prefix,
    rdb,
    serve,
    sqlite_url,
)
from tests.backoffice.test_api_cases import body
from tests.channels.conftest import REDIS_URL, ROOT, free_port


async def test_case_created_with_prefix_abc(serve, sqlite_url, clock: FixedClock) -> None:  # noqa: F811
    served = await serve(sqlite_url, clock=clock, case_reference_prefix="ABC")
    new = body("conv-p:m1", conversation="conv-p")
    status, created, _ = await served.call("POST", "/api/v1/cases", json=new)
    assert status == 201, created
    ref = created["reference"]
    assert re.fullmatch(r"ABC-2026-\d{6}-\d", ref), ref  # the clock's year
    parsed = parse(ref)
    assert parsed is not None and parsed.prefix == "ABC" and parsed.valid
    assert damm(ref[4:].replace("-", "")) == 0  # year + sequence + check digit checks to 0
    status, view, _ = await served.call("GET", f"/api/v1/cases/{ref}", params={"conversation_id": "conv-p"})
    assert status == 200 and view["reference"] == ref
    typo = ref[:-1] + str((int(ref[-1]) + 1) % 10)
    status, _, _ = await served.call("GET", f"/api/v1/cases/{typo}", params={"conversation_id": "conv-p"})
    assert status == 422


@pytest.mark.parametrize("bad", ["abc", "A", "ABCDE", "M1", "MK-"])
def test_bad_prefix_stops_the_case_service_with_one_line(tmp_path: Path, bad: str) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT),
           "CASE_SERVICE_TOKEN": "token-for-the-prefix-test", "REDIS_URL": REDIS_URL,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'cases.db'}", "CASE_REFERENCE_PREFIX": bad}
    result = subprocess.run(
        [sys.executable, "-m", "backoffice", "--host", "127.0.0.1", "--port", str(free_port())],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("backoffice: setting CASE_REFERENCE_PREFIX:")
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "cases.db").exists()  # stopped before it touched the database
