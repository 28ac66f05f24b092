"""Which local addresses a TCP port is listened on, from /proc/net/tcp{,6} (Linux)."""

from __future__ import annotations

import ipaddress
import socket
import struct
import time
from pathlib import Path

LOOPBACKS = {"127.0.0.1", "::1"}


def _address(hex_address: str) -> str:
    if len(hex_address) == 8:
        return socket.inet_ntop(socket.AF_INET, struct.pack("<I", int(hex_address, 16)))
    words = struct.pack("<4I", *(int(hex_address[i:i + 8], 16) for i in range(0, 32, 8)))
    address = ipaddress.IPv6Address(words)
    return str(address.ipv4_mapped or address)


def listening_on(port: int) -> set[str]:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            hex_address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(_address(hex_address))
    return found


def wait_listening(port: int, timeout: float = 60) -> set[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := listening_on(port):
            return found
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on {port} after {timeout:.0f} s")
