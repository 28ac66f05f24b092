"""``python -m channels``: run the gateway until SIGINT or SIGTERM.

Starts the public app (webhooks) and the internal app (health, metrics),
which between them run the partition workers and the outbox senders, and
says which channels are on. Settings come from the environment / ``.env``;
a bad setting stops it with one line and exit code 2.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from aiohttp import web

from channels.adapters import REGISTRY
from channels.app import ADAPTERS, AccessLogger, create_app, create_internal_app
from channels.settings import Settings, load_settings

log = logging.getLogger("channels")


async def serve(settings: Settings) -> None:
    public = create_app(settings)
    internal = create_internal_app(settings, public)
    runners = [web.AppRunner(public, access_log_class=AccessLogger, handle_signals=False),
               web.AppRunner(internal, access_log_class=AccessLogger, handle_signals=False)]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        for runner in runners:
            await runner.setup()
        await web.TCPSite(runners[0], settings.gateway_host, settings.gateway_port).start()
        await web.TCPSite(runners[1], settings.internal_host, settings.internal_port).start()
        on = [channel.value for channel in public[ADAPTERS]]
        off = [channel.value for channel in REGISTRY if channel.value not in on]
        log.info("gateway on http://%s:%d (internal http://%s:%d); channels on: %s; off: %s",
                 settings.gateway_host, settings.gateway_port, settings.internal_host,
                 settings.internal_port, ", ".join(on) or "none", ", ".join(off) or "none")
        await stop.wait()
        log.info("stopping")
    finally:
        for runner in reversed(runners):
            await runner.cleanup()


def main() -> int:
    settings = load_settings()
    logging.basicConfig(level=settings.gateway_log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(serve(settings))
    except OSError as exc:  # e.g. a port in use
        print(f"gateway could not start: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
