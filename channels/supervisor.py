"""The web process keeps GATEWAY_WORKER_PROCESSES worker processes running.

A worker that exits while the gateway runs is restarted after a pause that
grows with repeated failures (1 s up to 30 s), so a worker that cannot start
(e.g. Redis unreachable) does not spin. On stop every worker gets SIGTERM and
time to finish its turn in progress; one still running after that is killed
(its entries stay pending and are processed again, see ``worker.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time

from channels.tasks import cancel_until_done

log = logging.getLogger(__name__)

RESTART_MIN_S = 1.0
RESTART_MAX_S = 30.0
HEALTHY_AFTER_S = 60.0  # a worker that ran this long resets the restart pause


class WorkerSupervisor:
    def __init__(self, count: int, on_exit: list | None = None) -> None:
        self._count = count
        self._tasks: list[asyncio.Task[None]] = []
        self._children: dict[int, asyncio.subprocess.Process] = {}
        self._stopping = False
        self._on_exit = on_exit if on_exit is not None else []

    @property
    def pids(self) -> list[int]:
        return [pid for pid, child in self._children.items() if child.returncode is None]

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._keep(slot), name=f"worker process {slot}")
                       for slot in range(self._count)]

    async def _spawn(self) -> asyncio.subprocess.Process:
        env = {**os.environ, "GATEWAY_SUPERVISOR_PID": str(os.getpid()), "GATEWAY_RUN_WORKERS": "true"}
        return await asyncio.create_subprocess_exec(sys.executable, "-m", "channels.worker_process", env=env)

    async def _keep(self, slot: int) -> None:
        pause = RESTART_MIN_S
        while not self._stopping:
            started = time.monotonic()
            child = await self._spawn()
            self._children[child.pid] = child
            code = await child.wait()
            for callback in self._on_exit:
                callback(child.pid)
            del self._children[child.pid]
            if self._stopping:
                return
            pause = RESTART_MIN_S if time.monotonic() - started > HEALTHY_AFTER_S else pause
            log.warning("worker process %d (slot %d) exited with %s; restarting in %.0f s", child.pid, slot,
                        code, pause)
            await asyncio.sleep(pause)
            pause = min(RESTART_MAX_S, pause * 2)

    async def stop(self, timeout: float) -> None:
        self._stopping = True
        children = list(self._children.values())
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                child.terminate()
        waits = [asyncio.create_task(child.wait()) for child in children]
        if waits:
            _, pending = await asyncio.wait(waits, timeout=timeout)
            for child in children:
                if child.returncode is None:
                    log.warning("worker process %d did not stop in %.0f s; killing it", child.pid, timeout)
                    with contextlib.suppress(ProcessLookupError):
                        child.kill()
            if pending:
                await asyncio.wait(pending, timeout=5)
        for task in self._tasks:
            await cancel_until_done(task)
