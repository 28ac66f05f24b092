"""The gateway's processes run on uvloop (installed with the gateway's requirements)."""

from __future__ import annotations

import asyncio

from channels import eventloop


def test_processes_run_their_main_coroutine_on_uvloop() -> None:
    async def main() -> str:
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop()).__module__

    assert eventloop.run(main()).startswith("uvloop")


def test_redis_replies_are_parsed_by_hiredis() -> None:
    from redis.utils import HIREDIS_AVAILABLE

    assert HIREDIS_AVAILABLE
