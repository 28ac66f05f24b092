"""Fixtures of the gateway tests: real Redis, fake dialogue core, fake citizen device.

Every test gets its own Redis key prefix and its keys are deleted after it,
so tests can share the machine's Redis (TEST_REDIS_URL, default
127.0.0.1:6379) with each other and with a running system.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp import web

from channels.app import create_app, create_internal_app
from channels.settings import Settings
from tests.channels.fake_telegram import TOKEN as BOT_TOKEN
from tests.channels.fake_telegram import FakeBotApi
from tests.channels.fakes import FakeCore, Sink
from tests.channels.rasa_pair import rasa_pair  # noqa: F401 - two Rasa servers (publish tests)
from tests.channels.real_core import (
    delete_keys,
    real_core,  # noqa: F401 - a fixture for end-to-end tests
)

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CORE_TOKEN = "core-token-for-the-tests"
CHANNEL_TOKEN = "test-channel-token"
PSEUDONYM_KEY = "pseudonym-key-for-the-tests-only"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def prefix() -> Iterator[str]:
    name = f"t{uuid.uuid4().hex[:12]}"
    yield name
    delete_keys(name)


@pytest.fixture
async def rdb(prefix: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def core() -> AsyncIterator[FakeCore]:
    fake = FakeCore(CORE_TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """The fake Telegram Bot API for the tests' bot token."""
    fake = FakeBotApi(BOT_TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    fake = Sink()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def settings_values(prefix: str, core: FakeCore, sink: Sink) -> dict[str, Any]:
    """Fast settings for tests: short leases, short backoffs, few partitions."""
    return {
        "pseudonym_key": PSEUDONYM_KEY,
        "rasa_token": CORE_TOKEN,
        "rasa_url": core.url,
        "action_server_url": core.url,
        "redis_url": REDIS_URL,
        "gateway_redis_prefix": prefix,
        "test_channel_token": CHANNEL_TOKEN,
        "test_channel_sink_url": sink.url,
        "gateway_partitions": 4,
        "gateway_lease_ttl_ms": 1200,
        "rasa_retry_base_s": 0.05,
        "rasa_retry_max_s": 0.2,
        "rasa_delay_notice_after_s": 60,
        "outbox_retry_base_s": 0.02,
        "outbox_retry_max_s": 0.1,
        "outbox_max_attempts": 3,
    }


@pytest.fixture
def make_settings(prefix: str, core: FakeCore, sink: Sink) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        return Settings(_env_file=None, **{**settings_values(prefix, core, sink), **overrides})

    return make


@dataclass
class Gateway:
    """A gateway running in the test's event loop."""

    public: web.Application
    url: str
    internal_url: str
    runners: list[web.AppRunner]

    async def send(self, http: aiohttp.ClientSession, token: str = CHANNEL_TOKEN,
                   **message: Any) -> tuple[int, dict[str, Any]]:
        return await post_message(http, self.url, token=token, **message)

    async def stop(self) -> None:
        for runner in reversed(self.runners):
            await runner.cleanup()
        self.runners.clear()


async def post_message(http: aiohttp.ClientSession, url: str, token: str = CHANNEL_TOKEN,
                       **message: Any) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{url}/webhooks/test", json=message,
                         headers={"Authorization": f"Bearer {token}"}) as reply:
        return reply.status, await reply.json()


@pytest.fixture
async def start_gateway() -> AsyncIterator[Callable[[Settings], Awaitable[Gateway]]]:
    started: list[Gateway] = []

    async def start(settings: Settings, internal_port: int = 0) -> Gateway:
        """``internal_port``: where a case service started before the gateway expects it (0: any)."""
        public = create_app(settings)
        internal = create_internal_app(settings, public)
        runners = [web.AppRunner(public), web.AppRunner(internal)]
        urls = []
        for runner, port in zip(runners, (0, internal_port), strict=True):
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", port)
            await site.start()
            urls.append(f"http://127.0.0.1:{runner.addresses[0][1]}")
        gateway = Gateway(public, urls[0], urls[1], runners)
        started.append(gateway)
        return gateway

    yield start
    for gateway in reversed(started):
        await gateway.stop()


async def entries_added(client: aioredis.Redis, stream: str) -> int:
    """How many entries a stream ever got (processed entries are deleted, so XLEN is not enough)."""
    if not await client.exists(stream):
        return 0
    return int((await client.xinfo_stream(stream))["entries-added"])


# --- gateway processes -------------------------------------------------------------------------


class GatewayProcess:
    """``python -m channels`` as a child process, with the test's settings in its environment."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.internal_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        full_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(ROOT),
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(self.port),
            "INTERNAL_PORT": str(self.internal_port),
            **env,
        }
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "channels"], env=full_env, cwd=log.parent,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    async def ready(self, http: aiohttp.ClientSession, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gateway exited with {self.process.returncode}: {self.log.read_text()}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"http://127.0.0.1:{self.internal_port}/healthz") as reply:
                    if reply.status == 200:
                        return
            await asyncio.sleep(0.1)
        raise TimeoutError("gateway did not become healthy")

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    async def terminate(self, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if self.process.poll() is None:
            self.kill()
        return int(self.process.returncode)


def process_env(values: dict[str, Any]) -> dict[str, str]:
    return {name.upper(): str(value) for name, value in values.items()}


@pytest.fixture
async def spawn(tmp_path: Path, prefix: str, core: FakeCore,
                sink: Sink) -> AsyncIterator[Callable[..., GatewayProcess]]:
    processes: list[GatewayProcess] = []

    def start(**overrides: Any) -> GatewayProcess:
        env = process_env({**settings_values(prefix, core, sink), **overrides})
        process = GatewayProcess(env, tmp_path / f"gateway-{len(processes)}.log")
        processes.append(process)
        return process

    yield start
    for process in processes:
        await process.terminate()
