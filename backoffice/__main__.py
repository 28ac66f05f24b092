"""``python -m backoffice --host 127.0.0.1 --port N``: the staff side alone (tests, split deployments).

The gateway's notify route is then reached over ``GATEWAY_NOTIFY_URL``.
"""

from __future__ import annotations

import argparse
import logging

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


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the case service, console and Open311 API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    args = parser.parse_args()
    logmask.configure(logging.INFO)
    web.run_app(build(), host=args.host, port=args.port, print=None, access_log_class=AccessLogger)


if __name__ == "__main__":
    main()
