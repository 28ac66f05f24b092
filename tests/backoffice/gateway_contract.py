"""A stand-in for the gateway's notify route, built from CONTRACT.md, as a real HTTP server.

Used where the test is about the case service's side (what it sends, how it
records the answer); the real route is exercised in test_notify_gateway.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class NotifyRoute:
    token: str
    status_for: dict[str, int] = field(default_factory=dict)  # conversation -> status (default 202)
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def _post(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": "missing or wrong bearer token"}, status=401)
        conversation = request.match_info["conversation_id"]
        status = self.status_for.get(conversation, 202)
        if status == 202:
            self.received.append((conversation, await request.json()))
            return web.json_response({"queued": 1}, status=202)
        return web.json_response({"error": "no address known for this conversation"}, status=status)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/internal/v1/conversations/{conversation_id}/messages", self._post)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def texts(self, conversation: str) -> list[str]:
        return [r["text"] for conv, body in self.received if conv == conversation for r in body["responses"]]
