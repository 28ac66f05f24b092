"""Load and accounting of `make bench-scale`: what was sent, what came back, lost, twice, out of order.

The load generator plays the channels and a load balancer: open loop at a fixed
rate, conversations in turn, each webhook to the next gateway (round robin, so
one conversation's messages reach different gateways and order must hold
across them). A webhook that fails (a gateway restarting) is sent again, with
the same channel message id, to the next gateway, as Telegram and Twilio retry.

The sink (the ``test`` channel's citizen device, ``bench_gateway.SinkRecorder``)
keeps every delivery with its arrival time. From it:

* lost: a message acknowledged by a gateway whose reply never arrived;
* duplicated: reply items (message id, index) delivered more than once;
* order violations: within one conversation, a reply that began arriving
  before the reply to the previous message had fully arrived.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from bench_gateway import WEBHOOK_HEADERS, ms, percentile, webhook_body

from channels.messages import Channel
from channels.pseudonym import message_id

RETRY_PAUSE_S = 0.5
MAX_SEND_ATTEMPTS = 60  # 30 s of a gateway being away, as a channel would keep retrying


def say(message: str) -> None:
    print(f"[bench-scale] {message}", file=sys.stderr, flush=True)


@dataclass
class Sent:
    user: str
    channel_message_id: str
    mid: str
    due: float
    first_try: float = 0.0
    acked: bool = False
    attempts: int = 0


@dataclass
class Load:
    """One open-loop run over ``gateways``; ``stop`` ends it early (the rolling restart sets it)."""

    gateways: Sequence[str]
    pseudonym_key: str
    questions: Sequence[str]
    conversations: int
    rate: float
    tag: str
    sent: list[Sent] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, http: aiohttp.ClientSession, duration: float | None) -> None:
        """Send at ``rate`` for ``duration`` seconds, or until ``stop`` when ``duration`` is None."""
        start = time.monotonic() + 0.05
        tasks: list[asyncio.Task[None]] = []
        n = 0
        while not self.stop.is_set() and (duration is None or n < int(self.rate * duration)):
            due = start + n / self.rate
            pause = due - time.monotonic()
            if pause > 0:
                try:
                    await asyncio.wait_for(self.stop.wait(), pause)
                    break
                except TimeoutError:
                    pass
            user = f"{self.tag}-u{n % self.conversations}"
            cmid = f"{self.tag}-m{n}"
            sent = Sent(user, cmid, message_id(self.pseudonym_key.encode(), Channel.TEST, cmid), due)
            self.sent.append(sent)
            question = self.questions[n % len(self.questions)]
            tasks.append(asyncio.create_task(self._deliver(http, sent, n, question)))
            n += 1
        await asyncio.gather(*tasks)

    async def _deliver(self, http: aiohttp.ClientSession, sent: Sent, n: int, text: str) -> None:
        body = webhook_body(sent.user, sent.channel_message_id, text)
        sent.first_try = time.monotonic()
        while sent.attempts < MAX_SEND_ATTEMPTS:
            url = self.gateways[(n + sent.attempts) % len(self.gateways)]
            sent.attempts += 1
            try:
                async with http.post(f"{url}/webhooks/test", data=body, headers=WEBHOOK_HEADERS,
                                     timeout=aiohttp.ClientTimeout(total=15)) as reply:
                    await reply.read()
                    if reply.status == 200:
                        sent.acked = True
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(RETRY_PAUSE_S)


async def wait_for_replies(arrivals: dict[str, list[tuple[str, float]]], sent: Sequence[Sent],
                           stall_s: float) -> None:
    """Until every acknowledged message has a reply, as long as replies keep arriving."""
    last_count, last_progress = -1, time.monotonic()
    while time.monotonic() - last_progress < stall_s:
        missing = sum(1 for s in sent if s.acked and s.mid not in arrivals)
        if not missing:
            await asyncio.sleep(1.0)  # the last turns' later items
            return
        count = sum(len(items) for items in arrivals.values())
        if count != last_count:
            last_count, last_progress = count, time.monotonic()
        await asyncio.sleep(0.5)
    say(f"no reply arrived for {stall_s:.0f} s; counting the rest as lost")


def account(sent: Sequence[Sent], arrivals: dict[str, list[tuple[str, float]]]) -> dict[str, Any]:
    """The figures of one run (see the module docstring)."""
    acked = [s for s in sent if s.acked]
    lost = [s for s in acked if s.mid not in arrivals]
    duplicated = sum(len(items) - len({index for index, _ in items})
                     for mid, items in arrivals.items() if mid in {s.mid for s in sent})
    by_user: dict[str, list[Sent]] = defaultdict(list)
    for s in acked:
        by_user[s.user].append(s)
    violations = 0
    for messages in by_user.values():
        answered = [s for s in sorted(messages, key=lambda s: s.due) if s.mid in arrivals]
        for earlier, later in itertools.pairwise(answered):
            if min(t for _, t in arrivals[later.mid]) < max(t for _, t in arrivals[earlier.mid]):
                violations += 1
    reply_s = [max(t for _, t in arrivals[s.mid]) - s.first_try for s in acked if s.mid in arrivals]
    done = [max(t for _, t in arrivals[s.mid]) for s in acked if s.mid in arrivals]
    span = (max(done) - min(s.due for s in sent)) if done else float("nan")
    refused = sum(1 for s in sent if not s.acked)
    retried = sum(1 for s in sent if s.attempts > 1)
    say(f"{len(sent)} sent, {len(acked)} acknowledged ({retried} after a retry, {refused} never), "
        f"{len(reply_s)} answered, {len(lost)} lost, {duplicated} duplicated items, "
        f"{violations} out of order")
    return {
        "sent": len(sent),
        "msgs_per_s": round(len(reply_s) / span, 2) if done else 0.0,
        "reply_p99_ms": ms(percentile(reply_s, 99)) if reply_s else None,
        "lost": len(lost) + refused,
        "duplicated": duplicated,
        "order_violations": violations,
    }
