"""Fan-out of history wake-ups to this process's sockets, over Redis pub/sub.

The outbox sender that delivers a web chat answer may run in another
gateway process than the one holding the citizen's socket. Delivery appends
to the history and publishes ``"<conv> <seq>"``; every process's hub
receives it and wakes the sockets of that conversation, which then read the
history after the last entry they sent. The wake-up carries no text, and a
lost wake-up costs nothing permanent: after the hub (re)subscribes it wakes
every socket once, so anything published while it was disconnected is read
from the history.

One subscription per process (not one per conversation): there is no
subscribe/unsubscribe traffic per socket, and at a district's message rates
every process seeing every wake-up is cheap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

RETRY_S = (0.2, 0.5, 1.0, 2.0, 5.0)
READY_TIMEOUT_S = 5.0


async def stop_task(task: asyncio.Task[None], timeout: float = 5.0) -> None:
    """Cancel ``task`` until it has ended.

    One ``cancel()`` is not always enough: redis-py's asyncio client can
    swallow a cancellation that lands while a command is in flight (seen with
    redis-py 8.1 on Python 3.11; cf. redis/redis-py#2028, #2551), and the task
    would then run on forever."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not task.done() and loop.time() < deadline:
        task.cancel()
        await asyncio.wait([task], timeout=0.2)
    if not task.done():
        log.error("task %s did not stop", task.get_name())


class Listener:
    """One socket's doorbell: ``wait()`` returns once there may be something new to send."""

    def __init__(self, conversation: str) -> None:
        self.conversation = conversation
        self.typing_after: int | None = None  # a turn started after this entry
        self._event = asyncio.Event()
        self._event.set()  # read once at the start

    def wake(self) -> None:
        self._event.set()

    async def wait(self) -> None:
        await self._event.wait()
        self._event.clear()


class Hub:
    def __init__(self, redis: aioredis.Redis, channel: str) -> None:
        self._redis = redis
        self._channel = channel
        self._listeners: dict[str, set[Listener]] = defaultdict(set)
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def join(self, conversation: str) -> Listener:
        """Register a socket once the subscription is live (so nothing published after its first
        history read can be missed); raises TimeoutError while Redis is unreachable."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="webchat hub")
        await asyncio.wait_for(self._ready.wait(), READY_TIMEOUT_S)
        listener = Listener(conversation)
        self._listeners[conversation].add(listener)
        return listener

    def leave(self, listener: Listener) -> None:
        group = self._listeners.get(listener.conversation)
        if group is not None:
            group.discard(listener)
            if not group:
                del self._listeners[listener.conversation]

    @property
    def sockets(self) -> int:
        return sum(len(group) for group in self._listeners.values())

    def dispatch(self, data: str) -> None:
        """Handle one published wake-up: ``"<conv> <seq>"`` or ``"<conv> typing <seq>"``."""
        conversation, _, rest = data.partition(" ")
        kind, _, number = rest.partition(" ")
        for listener in self._listeners.get(conversation, ()):
            if kind == "typing" and number.isdigit():
                listener.typing_after = int(number)
            listener.wake()

    def _wake_all(self) -> None:
        for group in self._listeners.values():
            for listener in group:
                listener.wake()

    async def _run(self) -> None:
        failures = 0
        while not self._closing:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                self._ready.set()
                self._wake_all()  # whatever was published while we were away is in the history
                if failures:
                    log.info("web chat hub subscribed again after %d failures", failures)
                failures = 0
                async for message in pubsub.listen():
                    if self._closing:
                        break
                    if message.get("type") == "message" and isinstance(message.get("data"), str):
                        self.dispatch(message["data"])
            except (RedisError, OSError) as exc:
                self._ready.clear()
                pause = RETRY_S[min(failures, len(RETRY_S) - 1)]
                failures += 1
                if failures == 1 or failures % 20 == 0:
                    log.warning("web chat hub lost Redis (%s); retrying in %.1f s", type(exc).__name__, pause)
                await asyncio.sleep(pause)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    async def close(self) -> None:
        self._closing = True
        if self._task is not None:
            await stop_task(self._task)
            self._task = None
        self._ready.clear()
