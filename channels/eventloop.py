"""The processes' event loop: uvloop where it is installed, else asyncio's own.

The gateway's acknowledgement latency under load is mostly event-loop and
parsing overhead on a busy machine; uvloop (libuv) and hiredis (redis-py
picks it up by itself) cut that CPU time. Tests run in pytest's asyncio
loop, so both loops are exercised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:  # e.g. on Windows, where uvloop does not exist
        return asyncio.run(main)
    return uvloop.run(main)
