"""Six-digit PINs: derived from the idempotency key with a server secret, stored only as argon2 hash.

Deriving (HMAC) instead of drawing at random lets a replayed create request
return the same PIN without the PIN ever being stored in clear.
"""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's minimum argon2id setting: cheap enough for 2 shared cores, and the
# lookup rate limit (5 wrong PINs per hour) is what protects the 10^6 space.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_DUMMY = _HASHER.hash("000000")


def derive(secret: str, idempotency_key: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), b"pin:" + idempotency_key.encode("utf-8"), hashlib.sha256)
    return f"{int.from_bytes(digest.digest()[:8], 'big') % 1_000_000:06d}"


def hash_pin(pin: str) -> str:
    return _HASHER.hash(pin)


def verify(pin_hash: str | None, pin: str) -> bool:
    """Constant work whether or not a case exists: a missing hash is checked against a dummy."""
    try:
        return _HASHER.verify(pin_hash or _DUMMY, pin) and pin_hash is not None
    except (VerificationError, InvalidHashError):
        return False
