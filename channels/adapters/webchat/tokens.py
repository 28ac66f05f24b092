"""Signed session tokens: what the browser keeps so its conversation survives reloads.

A bare conversation id in localStorage would let anyone who guesses or sees
one id read that conversation's history. The token is therefore
``v1.<session id>.<issued at>.<signature>`` with an HMAC-SHA256 signature
under WEBCHAT_SESSION_SECRET; the session id is 128 random bits. The
signature is compared in constant time, and a token older than
WEBCHAT_SESSION_TTL_S (or issued in the future) is refused, so a token
copied from a shared computer stops working eventually. A valid token that
is more than half its lifetime old is re-issued (same session, new time), so
an active citizen is never logged out mid-conversation.

The session id is the channel user id of the web chat: the core turns it into
the pseudonymous conversation id like a phone number on other channels.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

VERSION = "v1"
CLOCK_SKEW_S = 60  # tolerated when a token's issue time lies in the future
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")
_ISSUED = re.compile(r"^[0-9]{1,12}$")


@dataclass(frozen=True)
class Session:
    session_id: str
    issued_at: int


class InvalidToken(Exception):
    """Malformed, tampered, signed with another secret, or expired. Never says which to the client."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class SessionTokens:
    def __init__(self, secret: str, ttl_s: int) -> None:
        self._secret = secret.encode("utf-8")
        self.ttl_s = ttl_s

    def _signature(self, session_id: str, issued_at: int) -> str:
        message = f"{VERSION}.{session_id}.{issued_at}".encode("ascii")
        return _b64(hmac.new(self._secret, message, hashlib.sha256).digest())

    def issue(self, session_id: str | None = None, now: float | None = None) -> tuple[Session, str]:
        """A new session (random id) or a fresh token for ``session_id``."""
        session = Session(session_id or _b64(secrets.token_bytes(16)), int(now if now is not None
                                                                           else time.time()))
        token = f"{VERSION}.{session.session_id}.{session.issued_at}."
        return session, token + self._signature(session.session_id, session.issued_at)

    def verify(self, token: object, now: float | None = None) -> Session:
        """The session the token names; ``InvalidToken`` otherwise."""
        if not isinstance(token, str) or len(token) > 200:
            raise InvalidToken("not a token")
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != VERSION or not _SESSION_ID.match(parts[1]) \
                or not _ISSUED.match(parts[2]):
            raise InvalidToken("malformed")
        session_id, issued_at = parts[1], int(parts[2])
        expected = self._signature(session_id, issued_at)
        if not hmac.compare_digest(parts[3].encode("ascii", "replace"), expected.encode("ascii")):
            raise InvalidToken("bad signature")
        current = time.time() if now is None else now
        if issued_at > current + CLOCK_SKEW_S or current - issued_at > self.ttl_s:
            raise InvalidToken("expired")
        return Session(session_id, issued_at)

    def needs_refresh(self, session: Session, now: float | None = None) -> bool:
        current = time.time() if now is None else now
        return current - session.issued_at > self.ttl_s / 2
