"""``python -m backoffice --host 127.0.0.1 --port N``: the staff side alone (tests, split deployments).

The gateway's notify route is then reached over ``GATEWAY_NOTIFY_URL``.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable

import redis.asyncio as aioredis
from aiohttp import web

from backoffice.app import setup
from backoffice.settings import load
from channels import logmask, security
from channels.app import AccessLogger  # no query string (conversation ids, PINs), no client address


def build(settings_redis_url: str | None = None) -> web.Application:
    settings = load()
    redis = aioredis.Redis.from_url(settings_redis_url or settings.redis_url, decode_responses=True,
                                    socket_connect_timeout=5)
    app = web.Application()
    setup(app, settings, redis)
    security.install(app)

    async def close_redis(app: web.Application) -> None:
        await redis.aclose()

    app.on_cleanup.append(close_redis)
    return app


def serve(make: Callable[[], web.Application], description: str, port: int) -> None:
    """``--host``/``--port`` from the command line, INFO logging, our access log; runs until stopped."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port)
    args = parser.parse_args()
    logmask.configure(logging.INFO)
    web.run_app(make(), host=args.host, port=args.port, print=None, access_log_class=AccessLogger)


def main() -> None:
    serve(build, "Serve the case service, console and Open311 API.", 8082)


if __name__ == "__main__":
    main()
