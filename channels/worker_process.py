"""``python -m channels.worker_process``: a gateway process that runs turns and senders, no HTTP.

Started by ``python -m channels`` (GATEWAY_WORKER_PROCESSES) or on its own in
a deployment that scales web and worker processes separately. It builds the
same application as the web process, runs its start-up and clean-up (Redis,
HTTP client, adapters, lease keeper with the partition workers and outbox
senders), but binds no port. Its CPU priority is lowered (GATEWAY_WORKER_NICE)
so that the web process, which must acknowledge webhooks within
milliseconds, wins the CPU whenever both want it.

A worker whose parent (the supervising web process) disappears exits at once
without draining, exactly like a crash: its unacknowledged entries stay
pending and the next lease holder processes them again (see ``worker.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys

from aiohttp import web

from channels import eventloop, logmask
from channels.settings import Settings, load_settings

log = logging.getLogger("channels.worker_process")

PARENT_POLL_S = 0.5
ORPHANED_EXIT = 70


async def serve(settings: Settings, supervisor: int | None) -> None:
    from channels.app import create_app  # after the metrics mode is fixed by the environment

    app = create_app(settings.model_copy(update={"gateway_run_workers": True}))
    runner = web.AppRunner(app, handle_signals=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runner.setup()
    log.info("worker process %d running (nice %d)", os.getpid(), os.nice(0))
    try:
        while not stop.is_set():
            if supervisor is not None and os.getppid() != supervisor:
                log.error("worker process %d: the gateway process is gone; exiting", os.getpid())
                os._exit(ORPHANED_EXIT)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), PARENT_POLL_S)
        log.info("worker process %d stopping", os.getpid())
    finally:
        await runner.cleanup()


def main() -> int:
    settings = load_settings()
    logmask.configure(settings.gateway_log_level)
    if settings.gateway_worker_nice:
        os.nice(settings.gateway_worker_nice)
    if settings.gateway_worker_sched_idle and hasattr(os, "SCHED_IDLE"):  # Linux only
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    # the supervisor's pid comes from the environment: it may die before we could ask for our parent
    supervisor = os.environ.get("GATEWAY_SUPERVISOR_PID")
    eventloop.run(serve(settings, int(supervisor) if supervisor and supervisor.isdigit() else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
