"""``python -m backoffice.content --port N``: the NLG endpoint alone (tests, benchmarks, split deployments).

Same settings as the staff side (``CONTENT_DIR``, ``REDIS_URL``,
``GATEWAY_REDIS_PREFIX``, ``CONTENT_POLL_S``); serves ``POST /nlg`` and
``GET /healthz``. In ``make run`` the gateway's internal port serves it.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from aiohttp import web

from backoffice.__main__ import serve
from backoffice.content import nlg
from backoffice.content.store import ContentStore
from backoffice.settings import load
from channels import security


async def _healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def build() -> web.Application:
    settings = load()
    redis = aioredis.Redis.from_url(settings.redis_url, socket_connect_timeout=5)
    app = web.Application()
    store = ContentStore.from_settings(settings, redis)
    nlg.setup(app, store, settings.content_poll_s, settings.token)
    app.router.add_get("/healthz", _healthz)
    security.install(app)

    async def close_redis(_: web.Application) -> None:
        await redis.aclose()

    app.on_cleanup.append(close_redis)
    return app


def main() -> None:
    serve(build, "Serve Rasa's NLG endpoint from the content files.", 8083)


if __name__ == "__main__":
    main()
