"""Every Redis key the gateway uses, in one place.

All keys start with ``GATEWAY_REDIS_PREFIX`` so several gateways (or test
runs) can share one Redis, and so a test can delete exactly its own keys.
Ids inside keys are pseudonymous hex ids, never phone numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from channels.messages import Channel

GROUP = "gateway"  # the consumer group on every stream


@dataclass(frozen=True)
class Keys:
    prefix: str

    # inbound
    def inbound(self, partition: int) -> str:
        return f"{self.prefix}:in:{partition}"

    def seen(self, message_id: str) -> str:
        """Dedupe marker of an accepted channel message (value: its stream entry id)."""
        return f"{self.prefix}:seen:{message_id}"

    # leases and worker registry
    def partition_lease(self, partition: int) -> str:
        return f"{self.prefix}:lease:in:{partition}"

    def sender_lease(self, channel: Channel) -> str:
        return f"{self.prefix}:lease:out:{channel.value}"

    @property
    def workers(self) -> str:
        """Sorted set: worker id -> last heartbeat (ms); sizes each worker's fair share."""
        return f"{self.prefix}:workers"

    # outbound
    def outbox(self, channel: Channel) -> str:
        return f"{self.prefix}:out:{channel.value}"

    def queued(self, item_key: str) -> str:
        """Outbox dedupe marker of item ``message_id:index`` (written at most once)."""
        return f"{self.prefix}:queued:{item_key}"

    def delivered(self, item_key: str) -> str:
        """Set after a successful send, so a reclaimed outbox entry is not sent again."""
        return f"{self.prefix}:sent:{item_key}"

    @property
    def dead(self) -> str:
        return f"{self.prefix}:dead"

    # per conversation state
    def offered(self, conversation: str) -> str:
        return f"{self.prefix}:offered:{conversation}"

    def menu(self, conversation: str) -> str:
        return f"{self.prefix}:menu:{conversation}"

    def notice(self, conversation: str) -> str:
        return f"{self.prefix}:notice:{conversation}"

    def language(self, conversation: str) -> str:
        return f"{self.prefix}:lang:{conversation}"

    def address(self, conversation: str) -> str:
        """Hash ``channel``, ``user``: where staff replies and notifications go (personal data, TTL)."""
        return f"{self.prefix}:addr:{conversation}"

    # live handoff to staff (channels/handoff.py)
    def handoff(self, conversation: str) -> str:
        return f"{self.prefix}:handoff:{conversation}"

    @property
    def handoff_queue(self) -> str:
        """Sorted set of waiting conversations, score = since (ms)."""
        return f"{self.prefix}:handoff:queue"

    @property
    def handoff_held(self) -> str:
        """Sorted set of conversations staff hold, score = taken at (ms)."""
        return f"{self.prefix}:handoff:held"

    def handoff_log(self, conversation: str) -> str:
        return f"{self.prefix}:handoff:log:{conversation}"

    def handoff_logged(self, message_id: str) -> str:
        """Marker: this inbound message is already in a transcript (value: whether it was acknowledged)."""
        return f"{self.prefix}:handoff:logged:{message_id}"

    @property
    def handoff_watch_lease(self) -> str:
        return f"{self.prefix}:lease:handoff-watch"

    # answers' feedback and daily aggregates (channels/feedback.py, channels/analytics.py)
    def voted(self, conversation: str, answer: str) -> str:
        """Marker: this conversation has voted on this answer (one vote per answer shown)."""
        return f"{self.prefix}:voted:{conversation}:{answer}"

    def stats(self, day: date, name: str) -> str:
        return f"{self.prefix}:stats:{day.isoformat()}:{name}"

    def erasures(self, partition: int) -> str:
        """Hash conversation -> pending erasure (``erasure.py``): survives a crash mid-erasure."""
        return f"{self.prefix}:erase:{partition}"

    @property
    def retention_lease(self) -> str:
        return f"{self.prefix}:lease:retention"

    # adapters
    def rate(self, name: str) -> str:
        return f"{self.prefix}:rate:{name}"
