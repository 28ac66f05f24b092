"""Pseudonyms: what Rasa, Redis keys and logs see instead of phone numbers and chat ids."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter

from channels.messages import Channel
from channels.pseudonym import ID_LENGTH, conversation_id, message_id, partition_of

KEY = b"a-key-of-at-least-sixteen-bytes"
CONNECTOR_ID = re.compile(r"^[A-Za-z0-9_.:@\-]{1,200}$")  # bot/connector.py's sender pattern


def test_conversation_id_is_the_keyed_hash_of_channel_and_user() -> None:
    expected = hmac.new(KEY, b"sms:+4917612345678", hashlib.sha256).hexdigest()[:ID_LENGTH]
    assert conversation_id(KEY, Channel.SMS, "+4917612345678") == expected


def test_conversation_id_hides_the_number_and_fits_the_connector() -> None:
    pseudonym = conversation_id(KEY, Channel.SMS, "+4917612345678")
    assert "4917612345678" not in pseudonym
    assert CONNECTOR_ID.match(pseudonym)
    assert len(pseudonym) == ID_LENGTH


def test_conversation_id_depends_on_key_channel_and_user() -> None:
    base = conversation_id(KEY, Channel.TELEGRAM, "4711")
    assert base == conversation_id(KEY, Channel.TELEGRAM, "4711")
    assert base != conversation_id(b"another-key-of-sixteen-bytes", Channel.TELEGRAM, "4711")
    assert base != conversation_id(KEY, Channel.SMS, "4711")
    assert base != conversation_id(KEY, Channel.TELEGRAM, "4712")


def test_message_id_is_stable_per_channel_message_and_apart_from_conversations() -> None:
    first = message_id(KEY, Channel.SMS, "SM123")
    assert first == message_id(KEY, Channel.SMS, "SM123")
    assert first != message_id(KEY, Channel.TELEGRAM, "SM123")
    assert first != conversation_id(KEY, Channel.SMS, "SM123")
    assert CONNECTOR_ID.match(first)


def test_partitions_are_stable_and_spread() -> None:
    ids = [conversation_id(KEY, Channel.WEBCHAT, f"session-{n}") for n in range(3200)]
    partitions = [partition_of(pseudonym, 32) for pseudonym in ids]
    assert partitions == [partition_of(pseudonym, 32) for pseudonym in ids]
    counts = Counter(partitions)
    assert set(counts) == set(range(32))
    assert min(counts.values()) > 50  # about 100 each
