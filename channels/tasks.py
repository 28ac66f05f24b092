"""Stopping asyncio tasks reliably."""

from __future__ import annotations

import asyncio


async def cancel_until_done(*tasks: asyncio.Task[object]) -> None:
    """Cancel and wait, cancelling again while a task still runs.

    A cancellation that lands inside a redis-py command or ``asyncio.wait_for``
    can be lost (redis-py 8, Python 3.11); one lost cancellation must not hang
    a shutdown.
    """
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=1.0)
