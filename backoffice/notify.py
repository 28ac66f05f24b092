"""Client of the gateway's notify route (CONTRACT.md, "Gateway side used by the staff side").

``POST {GATEWAY_NOTIFY_URL}/internal/v1/conversations/{conversation}/messages``
with the case service token. The outcome is a value, not an exception, so
callers record it with the case event: queued, no address known (404), or
gateway not reachable / answered something else.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import aiohttp

log = logging.getLogger(__name__)
TIMEOUT = aiohttp.ClientTimeout(total=10)


class Outcome(enum.Enum):
    QUEUED = "queued"
    NO_ADDRESS = "no_address"  # 404: the gateway knows no channel for this conversation (any more)
    FAILED = "failed"  # unreachable, 401, 5xx, ...


class GatewayNotifier:
    """Sends responses ``[{"text": ...}, ...]`` to a conversation known only by its pseudonym."""

    def __init__(self, base_url: str, token: str | None,
                 session: aiohttp.ClientSession | None = None) -> None:
        self._base = base_url.rstrip("/")
        self._token = token or ""
        self._session = session
        self._own_session = session is None

    async def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
            self._own_session = True
        return self._session

    async def send(self, conversation: str, key: str, responses: Sequence[dict[str, Any]]) -> Outcome:
        url = f"{self._base}/internal/v1/conversations/{quote(conversation, safe='')}/messages"
        body = {"key": key, "responses": list(responses)}
        headers = {"Authorization": f"Bearer {self._token}"}
        try:
            session = await self._client()
            async with session.post(url, json=body, headers=headers, timeout=TIMEOUT) as reply:
                status = reply.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("notify: gateway unreachable (%s)", type(exc).__name__)
            return Outcome.FAILED
        if status == 202:
            return Outcome.QUEUED
        if status == 404:
            return Outcome.NO_ADDRESS
        log.warning("notify: gateway answered %d", status)
        return Outcome.FAILED

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
