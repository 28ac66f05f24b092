"""Starting and stopping test gateways for the web chat tests, robustly.

Works around a core issue (reported to the main developer): redis-py 8.1's
asyncio client sometimes swallows a task cancellation that lands while a
command is in flight. When that hits the lease keeper as the gateway stops,
``_workers_ctx`` waits for it forever and the test's teardown hangs. Until
the core re-cancels (or the library is fixed), these helpers cancel a
"lease keeper" task again while its stop is pending, and wait for the
keeper's first round before a test goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from channels.app import KEEPER, create_app
from channels.settings import Settings


async def settled(app: web.Application) -> None:
    """Until the lease keeper (if the app runs workers) holds its leases."""
    keeper = app.get(KEEPER)
    for _ in range(100):
        if keeper is None or keeper.held:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.05)


async def stop_robustly(stop: Callable[[], Awaitable[None]]) -> None:
    """Run ``stop`` while cancelling again any lease keeper whose cancellation was swallowed."""

    async def nudge() -> None:
        while True:
            await asyncio.sleep(0.5)
            for task in asyncio.all_tasks():
                if task.get_name() == "lease keeper" and task.cancelling() and not task.done():
                    task.cancel()

    nudger = asyncio.create_task(nudge())
    try:
        await stop()
    finally:
        nudger.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await nudger


@dataclass
class LiveGateway:
    """A gateway on a fixed port that can be stopped and started again (the widget must reconnect)."""

    settings: Settings
    port: int
    runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = create_app(self.settings)
        self.runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        await settled(app)

    async def stop(self) -> None:
        runner, self.runner = self.runner, None
        if runner is not None:
            await stop_robustly(runner.cleanup)
