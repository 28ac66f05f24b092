"""Intake: dedupe and persist before the 2xx, atomically; emergencies answered at once."""

from __future__ import annotations

import asyncio
import json

import pytest
from redis.exceptions import ResponseError

from channels.app import INTAKE
from channels.messages import Channel, InboundMessage, Outbound, QueuedMessage
from channels.pseudonym import partition_of
from tests.channels.conftest import entries_added


def _message(mid: str = "m1", text: str = "Wie melde ich mein Auto an?", user: str = "+4917600000001"):
    return InboundMessage(Channel.TEST, user, mid, text=text, language_hint="de")


@pytest.fixture
async def intake(make_settings, start_gateway):
    gateway = await start_gateway(make_settings(gateway_run_workers=False))
    return gateway.public[INTAKE]


async def test_message_is_queued_in_its_conversations_partition(intake, rdb, prefix) -> None:
    message = _message()
    accepted = await intake.accept(message)
    assert not accepted.duplicate and not accepted.emergency
    partition = partition_of(accepted.conversation_id, 4)
    [(entry_id, fields)] = await rdb.xrange(f"{prefix}:in:{partition}")
    queued = QueuedMessage.from_fields(fields)
    assert queued.message == message
    assert (queued.conversation_id, queued.message_id) == (accepted.conversation_id, accepted.message_id)
    assert await rdb.get(f"{prefix}:seen:{accepted.message_id}") == entry_id
    assert 0 < await rdb.ttl(f"{prefix}:seen:{accepted.message_id}") <= 3 * 24 * 3600


async def test_phone_number_is_not_in_ids_or_keys(intake, rdb, prefix) -> None:
    accepted = await intake.accept(_message())
    assert "4917600000001" not in accepted.conversation_id + accepted.message_id
    keys = [key async for key in rdb.scan_iter(match=f"{prefix}:*")]
    assert keys and not any("4917600000001" in key for key in keys)


async def test_redelivery_is_dropped(intake, rdb, prefix) -> None:
    first = await intake.accept(_message())
    again = await intake.accept(_message())
    assert not first.duplicate and again.duplicate
    assert again.message_id == first.message_id
    partition = partition_of(first.conversation_id, 4)
    assert await entries_added(rdb, f"{prefix}:in:{partition}") == 1


async def test_concurrent_redeliveries_queue_one_entry(intake, rdb, prefix) -> None:
    results = await asyncio.gather(*(intake.accept(_message()) for _ in range(20)))
    assert sum(not result.duplicate for result in results) == 1
    partition = partition_of(results[0].conversation_id, 4)
    assert await entries_added(rdb, f"{prefix}:in:{partition}") == 1


async def test_no_dedupe_marker_when_the_append_fails(intake, rdb, prefix) -> None:
    accepted_ids = intake.ids(_message())
    stream = f"{prefix}:in:{partition_of(accepted_ids[0], 4)}"
    await rdb.set(stream, "not a stream")  # XADD now fails with WRONGTYPE
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        await intake.accept(_message())
    assert not await rdb.exists(f"{prefix}:seen:{accepted_ids[1]}")
    await rdb.delete(stream)
    retried = await intake.accept(_message())  # the channel's retry is accepted, not a "duplicate"
    assert not retried.duplicate
    assert await entries_added(rdb, stream) == 1


async def test_emergency_is_answered_from_the_outbox_and_not_queued(intake, rdb, prefix) -> None:
    accepted = await intake.accept(_message(text="Hilfe, mein Vater ist bewusstlos!"))
    assert accepted.emergency and not accepted.duplicate
    for partition in range(4):
        assert await entries_added(rdb, f"{prefix}:in:{partition}") == 0
    [(_, fields)] = await rdb.xrange(f"{prefix}:out:test")
    item = Outbound.from_json(fields["item"])
    assert item.recipient == "+4917600000001" and item.index == "e0"
    assert "112" in json.dumps(dict(item.body), ensure_ascii=False)
    again = await intake.accept(_message(text="Hilfe, mein Vater ist bewusstlos!"))
    assert again.duplicate
    assert await rdb.xlen(f"{prefix}:out:test") == 1


async def test_button_payload_is_never_checked_for_emergencies(intake, rdb, prefix) -> None:
    message = InboundMessage(Channel.TEST, "u", "m", payload="/notruf")
    accepted = await intake.accept(message)
    assert not accepted.emergency
