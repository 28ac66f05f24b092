"""Console security: argon2 passwords, server-side sessions in Redis, CSRF tokens, login throttling.

* Passwords: argon2id (argon2-cffi defaults); a login for an unknown user
  still runs one verification, so timing does not tell which names exist.
* Sessions: the cookie holds 32 random bytes; Redis holds only their
  SHA-256 (a leaked Redis dump gives no usable cookie), with the username
  and the session's CSRF token, expiring after CONSOLE_SESSION_TTL_S.
* CSRF: every form carries the session's token, every POST is checked in
  constant time. The login form has no session yet and uses a
  double-submit cookie instead.
* Throttling: failed logins are counted per username and per client
  address (both hashed in the key); at the limit further attempts are
  refused for the window even with the right password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password of anybody")
MIN_PASSWORD = 12


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"Das Passwort braucht mindestens {MIN_PASSWORD} Zeichen")
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ConsoleSession:
    username: str
    csrf: str


class Sessions:
    def __init__(self, redis: aioredis.Redis, prefix: str, ttl_s: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_s = ttl_s

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}:console:session:{_digest(session_id)}"

    async def create(self, username: str) -> str:
        session_id = secrets.token_urlsafe(32)
        await self._redis.hset(self._key(session_id), mapping={"user": username,
                                                               "csrf": secrets.token_urlsafe(32)})
        await self._redis.expire(self._key(session_id), self._ttl_s)
        return session_id

    async def get(self, session_id: str | None) -> ConsoleSession | None:
        if not session_id or len(session_id) > 100:
            return None
        data = await self._redis.hgetall(self._key(session_id))
        if not data.get("user"):
            return None
        return ConsoleSession(data["user"], data["csrf"])

    async def delete(self, session_id: str) -> None:
        await self._redis.delete(self._key(session_id))


class LoginThrottle:
    """At most ``limit`` failed logins per username and per client within ``window_s``."""

    def __init__(self, redis: aioredis.Redis, prefix: str, limit: int = 5, window_s: int = 900) -> None:
        self._redis = redis
        self._prefix = prefix
        self.limit = limit
        self.window_s = window_s

    def _keys(self, username: str, client: str) -> tuple[str, str]:
        return (f"{self._prefix}:console:fail:user:{_digest(username.lower())}",
                f"{self._prefix}:console:fail:client:{_digest(client)}")

    async def blocked(self, username: str, client: str) -> bool:
        counts = await self._redis.mget(self._keys(username, client))
        return any(int(count or 0) >= self.limit for count in counts)

    async def failed(self, username: str, client: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in self._keys(username, client):
                pipe.set(key, 0, ex=self.window_s, nx=True).incr(key)  # the window starts at the first
            await pipe.execute()

    async def succeeded(self, username: str, client: str) -> None:
        """Clears the username's count; the client's stays (one valid account must not reset spraying)."""
        await self._redis.delete(self._keys(username, client)[0])
