"""The connector's strict tracker store: a Redis outage fails the turn instead of emptying it.

Real Rasa tracker stores against a real Redis: the machine's server
(TEST_REDIS_URL) for the healthy case, a loopback port nobody listens on
for the outage.
"""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlparse

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.connector import TrackerStoreUnavailable, strict

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _store(port: int, host: str = "127.0.0.1", db: int = 0) -> FailSafeTrackerStore:
    real = RedisTrackerStore(Domain.empty(), host=host, port=port, db=db, key_prefix=f"t{uuid.uuid4().hex}")
    return FailSafeTrackerStore(real)


def _tracker(sender: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, slots=[])
    tracker.update(UserUttered("Wo beantrage ich einen Personalausweis?", message_id="m1"))
    return tracker


async def test_rasas_own_fail_safe_store_hides_an_outage_behind_an_empty_tracker() -> None:
    """Why ``strict`` exists: stock rasa 3.6 answers None (a new conversation) and saves in memory."""
    store = _store(_unused_port())
    assert await store.retrieve("c1") is None
    await store.save(_tracker("c1"))
    assert await store.fallback_tracker_store.retrieve("c1") is not None


async def test_strict_store_raises_on_an_outage_for_reads_and_writes() -> None:
    store = strict(_store(_unused_port()))
    with pytest.raises(TrackerStoreUnavailable):
        await store.retrieve("c1")
    with pytest.raises(TrackerStoreUnavailable):
        await store.save(_tracker("c1"))
    assert await store.fallback_tracker_store.retrieve("c1") is None  # nothing went to memory


async def test_strict_store_reads_and_writes_normally_while_redis_answers() -> None:
    url = urlparse(REDIS_URL)  # the machine's Redis, as every other test that needs one
    store = strict(_store(url.port or 6379, host=url.hostname or "127.0.0.1"))
    await store.save(_tracker("c2"))
    again = await store.retrieve("c2")
    assert again is not None
    assert [e.message_id for e in again.events if isinstance(e, UserUttered)] == ["m1"]


def test_strict_leaves_a_callback_someone_else_installed() -> None:
    def mine(error: Exception) -> None:
        raise RuntimeError from error

    store = FailSafeTrackerStore(_store(_unused_port())._tracker_store, on_tracker_store_error=mine)
    assert strict(store)._on_tracker_store_error is mine
