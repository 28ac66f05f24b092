"""Pseudonymous ids: what the dialogue core, Redis keys and logs see.

The conversation id is a keyed hash (HMAC-SHA256 with ``PSEUDONYM_KEY``) of
``channel:user``, so Rasa's tracker store never holds a phone number or a
Telegram id, and nobody without the key can go from an id back to a number
by hashing candidate numbers. The same key makes the internal message id,
so a channel message id (which can carry a phone number in some channels)
does not reach Rasa either.

The ids are lowercase hex: they fit the connector's id pattern
``[A-Za-z0-9_.:@-]{1,200}`` and Redis key names.
"""

from __future__ import annotations

import hashlib
import hmac

from channels.messages import Channel

ID_LENGTH = 32  # 128 bits: collisions are not a practical concern


def conversation_id(key: bytes, channel: Channel, channel_user_id: str) -> str:
    """The conversation's pseudonym: Rasa's ``sender``."""
    digest = hmac.new(key, f"{channel.value}:{channel_user_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:ID_LENGTH]


def message_id(key: bytes, channel: Channel, channel_message_id: str) -> str:
    """Stable internal id of one channel message (redeliveries get the same id)."""
    # "message\x1f" keeps this input space apart from the "channel:user" inputs above.
    data = f"message\x1f{channel.value}\x1f{channel_message_id}".encode()
    return hmac.new(key, data, hashlib.sha256).hexdigest()[:ID_LENGTH]


def partition_of(conversation: str, partitions: int) -> int:
    """The inbound stream partition of a conversation: all its messages go to one."""
    return int(conversation[:8], 16) % partitions
