"""Prometheus metrics of one gateway process.

Each process gets its own registry (not prometheus_client's global one), so
apps created in tests do not collide. The queue depths and the dead-letter
count are read from Redis at scrape time, so they describe the whole
deployment. When ``python -m channels`` runs worker processes it sets
``PROMETHEUS_MULTIPROC_DIR`` before anything imports prometheus_client, so
every process of that gateway writes its counters there and ``/metrics`` of
the web process reports their sums (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

from channels.messages import Channel


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.messages_in = Counter(
            "gateway_messages_in", "Inbound messages accepted (after dedupe)", ["channel"], registry=r)
        self.duplicates = Counter(
            "gateway_duplicates", "Inbound redeliveries dropped by dedupe", ["channel"], registry=r)
        self.emergencies = Counter(
            "gateway_emergencies", "Messages answered by the emergency fast path", ["channel"], registry=r)
        self.messages_out = Counter(
            "gateway_messages_out", "Outbound items delivered", ["channel"], registry=r)
        self.delivery_retries = Counter(
            "gateway_delivery_retries", "Failed delivery attempts that were retried", ["channel"],
            registry=r)
        self.dead_letters = Counter(
            "gateway_dead_letters", "Items moved to the dead-letter stream by this process", ["kind"],
            registry=r)
        self.turn_seconds = Histogram(
            "gateway_turn_seconds", "Dialogue core turn latency (request to reply, with retries)",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300), registry=r)
        self.dialogue_failures = Counter(
            "gateway_dialogue_failures", "Failed dialogue core attempts", ["kind"], registry=r)
        self.inbound_depth = Gauge(
            "gateway_inbound_queue_depth", "Inbound messages not yet processed, per partition",
            ["partition"], registry=r, multiprocess_mode="mostrecent")
        self.outbox_depth = Gauge(
            "gateway_outbox_queue_depth", "Outbound items not yet delivered, per channel", ["channel"],
            registry=r, multiprocess_mode="mostrecent")
        self.dead_letter_depth = Gauge(
            "gateway_dead_letter_stream_length", "Entries in the dead-letter stream", registry=r,
            multiprocess_mode="mostrecent")
        self.partitions_held = Gauge(
            "gateway_partitions_held", "Inbound partitions leased by this gateway's processes",
            registry=r, multiprocess_mode="livesum")
        # SMS and WhatsApp through Twilio (channels/adapters/twilio/)
        self.twilio_delivery_status = Counter(
            "gateway_twilio_delivery_status", "Twilio status callbacks that moved a message to a final "
            "status (delivered, undelivered, failed, read, canceled)", ["channel", "status"], registry=r)
        self.sms_caps_reached = Counter(
            "gateway_sms_cap_reached", "Replies not sent because a cost cap was reached "
            "(cap: number = per number and day, overall = per hour)", ["channel", "cap"], registry=r)
        self.sms_keywords = Counter(
            "gateway_sms_keywords", "Keywords received (stop, start, help, more)", ["channel", "keyword"],
            registry=r)
        self.sms_opted_out_sends = Counter(
            "gateway_sms_opted_out_sends", "Messages not sent because the recipient opted out",
            ["channel"], registry=r)

    def set_depths(self, inbound: list[int], outbox: dict[Channel, int], dead: int) -> None:
        for partition, depth in enumerate(inbound):
            self.inbound_depth.labels(partition=str(partition)).set(depth)
        for channel, depth in outbox.items():
            self.outbox_depth.labels(channel=channel.value).set(depth)
        self.dead_letter_depth.set(dead)

    def render(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)
            return generate_latest(merged)
        return generate_latest(self.registry)
