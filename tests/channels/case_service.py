"""The real case service (``python -m backoffice``) as a child process, and small real images.

Tests that store photos talk to the case service built in ``backoffice/``
exactly as the gateway does in production: over HTTP with the bearer token.
It runs on a free port with its own SQLite file in the test's tmp folder.
"""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path

from tests.channels.conftest import REDIS_URL, ROOT, free_port

TOKEN = "case-service-token-for-the-tests"


def png(width: int = 2, height: int = 2) -> bytes:
    """A valid PNG (grey pixels), made without an imaging library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + \
        chunk(b"IEND", b"")


def jpeg(size: int = 2048) -> bytes:
    """JPEG signature and JFIF header, padded to ``size`` bytes (types are judged by magic bytes)."""
    head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return head + b"\x00" * max(0, size - len(head) - 2) + b"\xff\xd9"


class CaseService:
    def __init__(self, tmp: Path, prefix: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "case-service.log"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(ROOT),
            "CASE_SERVICE_TOKEN": TOKEN,
            "DATABASE_URL": f"sqlite:///{tmp / 'cases.db'}",
            "REDIS_URL": REDIS_URL,
            "GATEWAY_REDIS_PREFIX": prefix,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        """Start and wait until it answers (blocking: it is started once per test module)."""
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "backoffice", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env, cwd=self.log.parent, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        request = urllib.request.Request(f"{self.url}/api/v1/offices",
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"case service exited with {self.process.returncode}: "
                                   f"{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(request, timeout=2):
                    return
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"case service did not start: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
