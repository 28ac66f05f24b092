"""``python -m channels``: run the gateway until SIGINT or SIGTERM.

Starts the public app (webhooks) and the internal app (health, metrics) and,
unless GATEWAY_WORKER_PROCESSES is 0, that many worker processes
(``worker_process.py``) that run the partition workers and outbox senders at
a lower CPU priority; with 0 this process runs them itself. Says which
channels are on. Settings come from the environment / ``.env``; a bad
setting stops it with one line and exit code 2.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from aiohttp import web

from channels import eventloop, logmask
from channels.settings import Settings, load_settings

log = logging.getLogger("channels")

WORKER_STOP_S = 20.0  # a worker's turn in progress may take this long to finish on stop


def _metrics_dir() -> Path:
    """A fresh directory for prometheus_client's multiprocess mode, set before it is imported."""
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    path = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="gateway-metrics-"))
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return path


async def serve(settings: Settings) -> None:
    from prometheus_client import multiprocess

    from channels.adapters import REGISTRY
    from channels.app import ADAPTERS, AccessLogger, create_app, create_internal_app
    from channels.supervisor import WorkerSupervisor

    worker_processes = settings.gateway_worker_processes if settings.gateway_run_workers else 0
    if worker_processes:
        settings = settings.model_copy(update={"gateway_run_workers": False})
    public = create_app(settings)
    internal = create_internal_app(settings, public)
    runners = [web.AppRunner(public, access_log_class=AccessLogger, handle_signals=False),
               web.AppRunner(internal, access_log_class=AccessLogger, handle_signals=False)]
    supervisor = WorkerSupervisor(worker_processes, on_exit=[multiprocess.mark_process_dead])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        for runner in runners:
            await runner.setup()
        await web.TCPSite(runners[0], settings.gateway_host, settings.gateway_port).start()
        await web.TCPSite(runners[1], settings.internal_host, settings.internal_port).start()
        supervisor.start()
        on = [channel.value for channel in public[ADAPTERS]]
        off = [channel.value for channel in REGISTRY if channel.value not in on]
        log.info("gateway on http://%s:%d (internal http://%s:%d), %s; channels on: %s; off: %s",
                 settings.gateway_host, settings.gateway_port, settings.internal_host,
                 settings.internal_port,
                 f"{worker_processes} worker process(es)" if worker_processes else "workers in this process",
                 ", ".join(on) or "none", ", ".join(off) or "none")
        await stop.wait()
        log.info("stopping")
    finally:
        await supervisor.stop(WORKER_STOP_S)
        for runner in reversed(runners):
            await runner.cleanup()


def main() -> int:
    settings = load_settings()
    logmask.configure(settings.gateway_log_level)
    metrics_dir = None
    if settings.gateway_run_workers and settings.gateway_worker_processes:
        metrics_dir = _metrics_dir()
    try:
        eventloop.run(serve(settings))
    except OSError as exc:  # e.g. a port in use
        print(f"gateway could not start: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        if metrics_dir is not None and "gateway-metrics-" in metrics_dir.name:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
