"""scripts/log_retention.py: logs of `make run` are rotated by copy and truncate, old copies deleted."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from log_retention import DAY_S, rotate


def test_logs_are_rotated_and_copies_past_retention_deleted(tmp_path: Path) -> None:
    now = time.time()
    gateway = tmp_path / "gateway.log"
    gateway.write_text("line one\n")
    (tmp_path / "redis.log").write_text("")  # empty: nothing to rotate
    old = tmp_path / "gateway.log.20260101-000000"
    recent = tmp_path / "rasa.log.20261125-000000"
    for path, age_days in ((old, 15), (recent, 13)):
        path.write_text("old\n")
        os.utime(path, (now - age_days * DAY_S, now - age_days * DAY_S))

    with gateway.open("ab") as writer:  # a process holding its log open, as `make run`'s do
        assert rotate(tmp_path, keep_days=14, now=now) == (1, 1)
        writer.write(b"line two\n")
        writer.flush()

    copies = sorted(p.name for p in tmp_path.glob("gateway.log.*"))
    assert len(copies) == 1 and (tmp_path / copies[0]).read_text() == "line one\n"
    assert gateway.read_bytes() == b"line two\n"  # the process wrote on at the start of the emptied log
    assert not old.exists() and recent.exists()
    assert (tmp_path / "redis.log").exists() and not list(tmp_path.glob("redis.log.*"))
