"""Shared state of the publish pipeline in Redis: the one-run lock and the visible progress.

In Redis (not in the process) because the console may run in several
processes and the CLI in another one: every console shows the run, whoever
started it, and a second start anywhere is refused while the lock is held.
The lock (redis-py's ``Lock``, token-checked) expires ``LOCK_TTL_S`` after
the last heartbeat, so a killed run frees it within a minute.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import LockError

LOCK_TTL_S = 60
HEARTBEAT_S = 15


class Phase(StrEnum):
    IDLE = "idle"
    CHECK_TRAINING = "check_training"  # the model on the committed split (scripts/eval_nlu.py)
    NLU_CHECK = "nlu_check"
    TRAINING = "training"  # the candidate on all data
    CONVERSATIONS = "conversations"
    ROLLOUT = "rollout"
    DONE = "done"


PHASE_LABELS = {
    Phase.IDLE: "Bereit",
    Phase.CHECK_TRAINING: "Prüfmodell wird trainiert (Prüfanteil der Beispiele zurückgehalten)",
    Phase.NLU_CHECK: "Sprachverständnis wird geprüft",
    Phase.TRAINING: "Neues Modell wird trainiert",
    Phase.CONVERSATIONS: "Gesprächstests laufen",
    Phase.ROLLOUT: "Modell geht in Betrieb",
    Phase.DONE: "Beendet",
}


class Outcome(StrEnum):
    PUBLISHED = "published"
    REFUSED = "refused"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


@dataclass(frozen=True)
class Progress:
    """What the console shows; ``rows`` are the figures side by side (regression.Row as dicts)."""

    running: bool = False
    action: str = ""  # publish | rollback
    phase: Phase = Phase.IDLE
    detail: str = ""
    epoch: int = 0
    epochs: int = 0
    round: int = 0  # which training loop of the pipeline (DIET, ResponseSelector, ...)
    user: str = ""
    started_at: str = ""
    finished_at: str = ""
    outcome: Outcome | None = None
    reasons: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes | None) -> Progress:
        if not raw:
            return cls()
        data = json.loads(raw)
        data["phase"] = Phase(data.get("phase", "idle"))
        data["outcome"] = Outcome(data["outcome"]) if data.get("outcome") else None
        return cls(**data)


class Busy(Exception):
    """Another run holds the lock."""


class PublishState:
    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self._redis = redis
        self._state_key = f"{prefix}:publish:state"
        self._lock_key = f"{prefix}:publish:lock"
        self._current = Progress()

    @property
    def current(self) -> Progress:
        """This process's view of its own run (what it last wrote)."""
        return self._current

    async def read(self) -> Progress:
        return Progress.from_json(await self._redis.get(self._state_key))

    async def update(self, **changes: Any) -> Progress:
        self._current = replace(self._current, **changes)
        await self._redis.set(self._state_key, self._current.to_json())
        return self._current

    async def locked(self) -> bool:
        return bool(await self._redis.exists(self._lock_key))

    @asynccontextmanager
    async def lock(self) -> AsyncIterator[None]:
        """Hold the one-run lock (raises Busy at once when taken), with a heartbeat."""
        lock = self._redis.lock(self._lock_key, timeout=LOCK_TTL_S, blocking=False)
        if not await lock.acquire():
            raise Busy("a training or rollback is already running")

        async def heartbeat() -> None:
            while True:
                await asyncio.sleep(HEARTBEAT_S)
                await lock.reacquire()

        beat = asyncio.create_task(heartbeat(), name="publish lock heartbeat")
        try:
            yield
        finally:
            beat.cancel()
            await asyncio.gather(beat, return_exceptions=True)
            with suppress(LockError):
                await lock.release()
