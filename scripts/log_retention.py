"""Rotation and deletion of the logs `make run` writes (DATA_DIR/logs/*.log).

The processes keep their log open in append mode, so a log is rotated by
copy and truncate: the copy ``<name>.log.<YYYYmmdd-HHMMSS>`` keeps what was
written, the process writes on at the start of the emptied file. Copies older
than LOG_RETENTION_DAYS are deleted. The logs hold no message texts or phone
numbers (issue 8), but pseudonyms and times of use are personal data too, so
they are not kept for ever. `make run` rotates at start and then daily.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

ROTATED = re.compile(r".+\.log\.\d{8}-\d{6}$")
DAY_S = 24 * 3600


def rotate(logs: Path, keep_days: int, now: float | None = None) -> tuple[int, int]:
    """Rotate every non-empty ``*.log`` and delete expired copies; (rotated, deleted)."""
    now = time.time() if now is None else now
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    rotated = deleted = 0
    for log in sorted(logs.glob("*.log")):
        if log.stat().st_size == 0:
            continue
        shutil.copy2(log, log.with_name(f"{log.name}.{stamp}"))
        with log.open("r+b") as handle:
            handle.truncate(0)
        rotated += 1
    for old in logs.iterdir():
        if ROTATED.match(old.name) and old.stat().st_mtime < now - keep_days * DAY_S:
            old.unlink()
            deleted += 1
    return rotated, deleted
