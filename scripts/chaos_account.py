"""The figures of `make chaos`, from what the citizens received matched to what they sent.

Answers are matched to inbound messages by message id through the gateway's
delivery record: after a successful send the outbox writes
``<prefix>:sent:<message id>:<index>`` with the channel's id of the sent
message as its value (Telegram message id, Twilio SID, web chat history
number). The channels' own records say when each one arrived: the fake Bot
API's and the fake Twilio's lists of sent messages, the web chat sockets'
history numbers. A message the channel received that no record names is
a repeated send (the gap between the channel accepting it and the record);
it is attributed by recipient and text to the answer it repeats.

* accepted: distinct messages acknowledged (2xx, web chat ``ack``);
* answered_once / answered_twice: accepted messages whose reply arrived,
  each item once / some item more than once (plus repeats that match no
  answer, each counted as one);
* lost: accepted messages with no reply item arrived, and messages the
  channel gave up resending (none are expected: resends last 5 minutes);
* order_violations: within a conversation, in the order the gateways
  acknowledged the messages, a reply item of a message that arrived before
  the last reply item of the message before it;
* reply_p99_ms_outside_faults: from the first delivery attempt to the last
  reply item, over the messages whose whole interval lies outside every
  fault window (fault start to recovery + ``GRACE_S``).
"""

from __future__ import annotations

import itertools
import sys
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bench_gateway import ms, percentile
from chaos_load import CHANNELS, Message

from channels.messages import Channel

GRACE_S = 10.0  # after a recovery: leases move, backlogs drain


@dataclass(frozen=True)
class Received:
    """A message as the citizen's device got it."""

    recipient: str
    text: str
    at: float


@dataclass(frozen=True)
class Fault:
    name: str
    start: float
    recovered: float


def delivery_key(channel: Channel, conversation: int, sent_as: str) -> tuple[str, str]:
    """Telegram message ids and Twilio SIDs are unique per fake; history numbers per conversation."""
    return (channel.value, f"{conversation}:{sent_as}" if channel is Channel.WEBCHAT else sent_as)


def account(messages: Sequence[Message], records: Mapping[str, Mapping[str, str]],
            received: Mapping[tuple[str, str], Received], faults: Sequence[Fault]) -> dict[str, Any]:
    """``records``: message id -> {item index: channel's id}; ``received``: delivery_key -> Received."""
    arrivals: dict[str, list[float]] = {}
    named: set[tuple[str, str]] = set()
    answer_of: dict[tuple[str, str], str] = {}  # (recipient, text) -> message id, to attribute repeats
    for message in messages:
        for sent_as in records.get(message.mid, {}).values():
            key = delivery_key(message.channel, message.conversation, sent_as)
            named.add(key)
            if key in received:
                arrivals.setdefault(message.mid, []).append(received[key].at)
                answer_of[(received[key].recipient, received[key].text)] = message.mid
    twice: set[str] = set()
    unattributed = 0
    for key, got in received.items():
        if key not in named and key[0] != Channel.WEBCHAT.value:
            mid = answer_of.get((got.recipient, got.text))
            if mid is None:
                unattributed += 1
            else:
                twice.add(mid)
    acked = [m for m in messages if m.acked]
    answered = [m for m in acked if m.mid in arrivals]
    lost = len(acked) - len(answered) + sum(1 for m in messages if not m.acked)
    violations = 0
    by_conversation: dict[int, list[Message]] = defaultdict(list)
    for message in answered:
        by_conversation[message.conversation].append(message)
    for conversation in by_conversation.values():
        ordered = sorted(conversation, key=lambda m: m.acked_at or 0.0)
        for earlier, later in itertools.pairwise(ordered):
            if min(arrivals[later.mid]) < max(arrivals[earlier.mid]):
                violations += 1

    def outside(message: Message) -> bool:
        end = max(arrivals[message.mid])
        return all(end < f.start or message.first_try > f.recovered + GRACE_S for f in faults)

    quiet = [max(arrivals[m.mid]) - m.first_try for m in answered if outside(m)]
    per_channel = {c.value: sum(1 for m in answered if m.channel is c) for c in CHANNELS}
    print(f"[chaos] {len(messages)} sent, {sum(1 for m in messages if m.attempts > m.copies)} resent after "
          f"a refusal, {sum(1 for m in messages if m.copies > 1)} delivered 2-3 times; answered per "
          f"channel {per_channel}; {sum(len(a) for a in arrivals.values())} reply items matched, "
          f"{sum(1 for k in received if k not in named)} received without a record, "
          f"{len(named - received.keys())} recorded but not received; "
          f"{len(quiet)} replies outside fault windows", file=sys.stderr, flush=True)
    phases: dict[str, list[float]] = defaultdict(list)  # by the last fault before the message
    for m in answered:
        if outside(m):
            before = [f.name for f in faults if f.recovered + GRACE_S < m.first_try]
            phase = f"after {before[-1]}" if before else "before any fault"
            phases[phase].append(max(arrivals[m.mid]) - m.first_try)
    for phase, replies in phases.items():
        print(f"[chaos]   outside faults, {phase}: {len(replies)} replies, p50 "
              f"{ms(percentile(replies, 50))} ms, p99 {ms(percentile(replies, 99))} ms",
              file=sys.stderr, flush=True)
    return {
        "accepted": len(acked),
        "answered_once": sum(1 for m in answered if m.mid not in twice),
        "answered_twice": len(twice & {m.mid for m in answered}) + unattributed,
        "lost": lost,
        "order_violations": violations,
        "reply_p99_ms_outside_faults": ms(percentile(quiet, 99)) if quiet else None,
    }
