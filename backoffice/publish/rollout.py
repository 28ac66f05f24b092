"""Load a model into every Rasa server, one at a time, each checked before the next.

Why one at a time: while a Rasa server loads a model it answers slowly or not
at all; the gateway holds a conversation's message and retries it
(``channels/dialogue.py``), or moves the conversation to its next instance
(``channels/rasa_ring.py``), and the connector's message-id replay makes a
retried turn answer once. With the instances swapped in turn, at most one is
busy at any moment. A server that does not come back with the new model (load
refused, wrong model reported, parse failing) stops the rollout, and those
already switched get the model they had before.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import aiohttp

log = logging.getLogger(__name__)

PROBE_TEXT = "Wie beantrage ich einen Personalausweis?"
Report = Callable[[str], Awaitable[None]]


class RolloutError(Exception):
    """A Rasa server did not take the model; the message names the server and the reason."""


async def _noop(_: str) -> None:
    return None


class Rollout:
    def __init__(self, http: aiohttp.ClientSession, urls: Sequence[str], token: str,
                 load_timeout_s: float = 600.0) -> None:
        if not urls:
            raise ValueError("no Rasa server to load the model into")
        self._http = http
        self._urls = [u.rstrip("/") for u in urls]
        self._token = token
        self._load_timeout = aiohttp.ClientTimeout(total=load_timeout_s)
        self._check_timeout = aiohttp.ClientTimeout(total=60)

    async def apply(self, model: Path, previous: Path | None, report: Report = _noop) -> None:
        """``model`` into every server in turn; on a failure, ``previous`` back where it was changed."""
        done: list[str] = []
        for number, url in enumerate(self._urls, 1):
            await report(f"Rasa-Server {number} von {len(self._urls)} lädt {model.name}")
            try:
                await self.load(url, model)
            except RolloutError:
                if previous is not None:
                    for changed in done:
                        try:
                            await self.load(changed, previous)
                        except RolloutError as exc:
                            log.error("restoring the previous model failed: %s", exc)
                raise
            done.append(url)

    async def serving(self) -> Path | None:
        """The model file the first server reports, if it answers."""
        try:
            async with self._http.get(f"{self._urls[0]}/status", params={"token": self._token},
                                      timeout=self._check_timeout) as reply:
                status = await reply.json() if reply.status == 200 else {}
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None
        return Path(status["model_file"]) if status.get("model_file") else None

    async def load(self, url: str, model: Path) -> None:
        """``PUT /model`` on one server, then check it reports this model and parses."""
        try:
            async with self._http.put(f"{url}/model", params={"token": self._token},
                                      json={"model_file": str(model)}, timeout=self._load_timeout) as reply:
                if reply.status != 204:
                    raise RolloutError(f"{url}: loading answered {reply.status}")
            async with self._http.get(f"{url}/status", params={"token": self._token},
                                      timeout=self._check_timeout) as reply:
                status = await reply.json() if reply.status == 200 else {}
            if Path(str(status.get("model_file", ""))).name != model.name:
                raise RolloutError(f"{url}: reports model {status.get('model_file')!r}, not {model.name}")
            async with self._http.post(f"{url}/model/parse", params={"token": self._token},
                                       json={"text": PROBE_TEXT}, timeout=self._check_timeout) as reply:
                parsed = await reply.json() if reply.status == 200 else {}
            if not (parsed.get("intent") or {}).get("name"):
                raise RolloutError(f"{url}: parse check failed with the new model")
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise RolloutError(f"{url}: {type(exc).__name__}") from exc
        log.info("%s serves %s", url, model.name)
