"""``python -m channels.healthcheck``: liveness of a worker pod, which serves no HTTP to probe.

Why this signal: every worker process's lease keeper writes a heartbeat (``Keys.workers``: worker
id -> time in ms) every third of GATEWAY_LEASE_TTL_MS, and the worker id starts with the host name
(``channels.app.worker_id``), which in Kubernetes is the pod name. A worker whose event loop hangs
stops that heartbeat, and after one TTL the other workers already treat it as gone; restarting it
is then the right cure. Exit 0 when a worker of this host has a heartbeat within one TTL, 1 when
none has. If Redis cannot be reached, exit 0: a restart would not bring Redis back, and the worker
retries on its own (``LeaseKeeper.run``).
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from channels.keys import Keys


async def heartbeat_age_ms(redis: aioredis.Redis, keys: Keys, host: str) -> int | None:
    """Age of the newest heartbeat of a worker on ``host``, or None if it has none."""
    newest = None
    async for _member, score in redis.zscan_iter(keys.workers, match=f"{host}-*"):
        newest = max(newest or 0, int(score))
    return None if newest is None else int(time.time() * 1000) - newest


async def check(redis_url: str, prefix: str, ttl_ms: int, host: str | None = None) -> int:
    """The exit code: 0 alive (or Redis unreachable), 1 no heartbeat of this host within ``ttl_ms``."""
    host = host or socket.gethostname()
    client = aioredis.Redis.from_url(redis_url, decode_responses=True, socket_connect_timeout=3,
                                     socket_timeout=3)
    try:
        age = await heartbeat_age_ms(client, Keys(prefix), host)
    except (RedisError, OSError) as exc:
        print(f"healthcheck: redis unreachable ({type(exc).__name__}); not the worker's fault",
              file=sys.stderr)
        return 0
    finally:
        await client.aclose()
    if age is None or age > ttl_ms:
        print(f"healthcheck: no worker heartbeat of {host} within {ttl_ms} ms", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    from channels.settings import load_settings

    s = load_settings()
    return asyncio.run(check(s.redis_url, s.gateway_redis_prefix, s.gateway_lease_ttl_ms))


if __name__ == "__main__":
    sys.exit(main())
