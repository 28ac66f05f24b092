"""Which Rasa instance runs a conversation's turns: rendezvous (HRW) hashing with failover.

Why one instance per conversation: Rasa's Redis lock store lets only one turn
of a conversation run at a time, across all instances, by tickets in Redis. A
turn that finds its conversation's lock taken polls it once a second, and a
ticket of a turn that died with its instance blocks the conversation until
the ticket expires (``TICKET_LOCK_LIFETIME``, 60 s). If turns were spread
over the instances (round robin), every retry after a gateway timeout and
every reclaimed message would meet the earlier turn's ticket held by another
instance. With one owner per conversation the lock only ever sees one
instance, so it never waits in normal operation; it can wait only for the
conversations whose instance just went down, once, while they move.

Why rendezvous hashing: every instance gets a score per conversation, the
highest score owns it, and the ranking of the others is the conversation's
list of next choices. Without a ring of virtual nodes the load is balanced,
and when an instance is skipped or added only the conversations it owns (or
comes to own) move; everybody else stays put. The ranking depends only on the
URLs and the pseudonymised conversation id, so every gateway process agrees
without sharing state.

Down and back: after ``down_after`` consecutive failures (unreachable,
timeout, 5xx) an instance is marked down and its conversations go to their
next choice. Every ``probe_after_s`` one caller is told to probe it (a cheap
GET by the caller) before using it; when it answers, its conversations come
back. The marks are per gateway process, on purpose: no shared state to keep
consistent, and each process finds out on its own within a few failures.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


def score(url: str, key: str) -> int:
    """The rendezvous weight of ``url`` for ``key``: 64 bits of BLAKE2b over both."""
    digest = hashlib.blake2b(f"{url}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@dataclass
class _Health:
    failures: int = 0
    down: bool = False
    probe_at: float = 0.0


@dataclass(frozen=True)
class Route:
    """Where to send a turn; ``probe`` says the instance is down and due to be tried first."""

    url: str
    probe: bool = False


class RasaRing:
    def __init__(self, urls: Sequence[str], down_after: int = 2, probe_after_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not urls:
            raise ValueError("at least one Rasa URL is needed")
        if len(set(urls)) != len(urls):
            raise ValueError("Rasa URLs must be distinct")
        self.urls = tuple(urls)
        self._down_after = down_after
        self._probe_after_s = probe_after_s
        self._clock = clock
        self._health = {url: _Health() for url in self.urls}

    def ranking(self, key: str) -> list[str]:
        """All instances for ``key``, owner first, then the next choices in order."""
        return sorted(self.urls, key=lambda url: score(url, key), reverse=True)

    def owner(self, key: str) -> str:
        return max(self.urls, key=lambda url: score(url, key))

    def route(self, key: str) -> Route:
        """The first instance of ``key``'s ranking that is up, or that is down but due for a probe
        (then the probe is claimed for ``probe_after_s``, so concurrent callers skip it).
        With every instance down, the owner: the caller's retries wait for it."""
        now = self._clock()
        ranking = self.ranking(key) if len(self.urls) > 1 else list(self.urls)
        for url in ranking:
            health = self._health[url]
            if not health.down:
                return Route(url)
            if now >= health.probe_at:
                health.probe_at = now + self._probe_after_s
                return Route(url, probe=True)
        return Route(ranking[0])

    def is_down(self, url: str) -> bool:
        return self._health[url].down

    def failed(self, url: str) -> None:
        """A request to ``url`` failed; enough of them in a row mark it down."""
        health = self._health[url]
        health.failures += 1
        if health.down or health.failures >= self._down_after:
            health.down = True
            health.probe_at = self._clock() + self._probe_after_s

    def succeeded(self, url: str) -> None:
        """``url`` answered: it is up again and its conversations come back."""
        self._health[url] = _Health()
