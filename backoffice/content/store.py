"""Every response of the topic and domain files, in memory, never older than a few seconds.

Two ways a change arrives, checked every ``CONTENT_POLL_S``:
- a file's mtime or size changed (a hand edit, a ``git pull``, this process's console save);
- the content version in Redis moved: a console save on any machine publishes the saved file's
  text there (``<prefix>:content:files``, field = path relative to the content folder), so
  processes on machines without a shared file system serve it too.
Per file the newer wins: a published text newer than the local file's mtime, else the file.
A file that does not parse keeps its previous responses (the validator names the problem).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
import yaml

log = logging.getLogger(__name__)
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Responses = dict[str, list[dict[str, Any]]]


def plain(value: Any) -> Any:
    """YAML values as JSON can carry them (unquoted dates become ISO strings)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def responses_of(text: str) -> Responses:
    data = yaml.load(text, Loader=Loader) or {}
    if not isinstance(data, dict):
        raise ValueError("a content file must be a mapping")
    found = data.get("responses") or {}
    if not isinstance(found, dict):
        raise ValueError("responses: must be a mapping")
    return {str(name): plain(list(variants or [])) for name, variants in found.items()}


@dataclass(frozen=True)
class ContentKeys:
    prefix: str

    @property
    def files(self) -> str:
        """Hash: path relative to the content folder -> JSON {"text", "at" (epoch s)} of the last save."""
        return f"{self.prefix}:content:files"

    @property
    def version(self) -> str:
        """Counter, incremented by every published save."""
        return f"{self.prefix}:content:version"


@dataclass
class _Loaded:
    stamp: tuple[int, int]  # local mtime_ns, size
    published_at: float  # epoch s of the Redis text in use, 0 = the local file's
    responses: Responses = field(default_factory=dict)


class ContentStore:
    """Responses of ``content_dir/topics/*.yml`` and ``domain_dir/*.yml``; read-only for callers."""

    def __init__(self, content_dir: Path, domain_dir: Path | None = None,
                 redis: aioredis.Redis | None = None, prefix: str = "gw") -> None:
        self.content_dir = content_dir
        self.domain_dir = domain_dir
        self.redis = redis
        self.keys = ContentKeys(prefix)
        self.responses: Responses = {}
        self.generation = 0  # bumped on every change that reaches ``responses``
        self._loaded: dict[Path, _Loaded] = {}
        self._published: dict[str, dict[str, Any]] = {}
        self._version: str | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: Any, redis: aioredis.Redis | None) -> ContentStore:
        """From the staff side's settings (``CONTENT_DIR``, ``CONTENT_DOMAIN_DIR``, the Redis prefix)."""
        return cls(settings.content_dir, settings.content_domain_dir, redis, settings.gateway_redis_prefix)

    def paths(self) -> list[Path]:
        found = sorted(self.domain_dir.glob("*.yml")) if self.domain_dir else []
        return found + sorted((self.content_dir / "topics").glob("*.yml"))

    def relative(self, path: Path) -> str:
        return path.relative_to(self.content_dir).as_posix() if path.is_relative_to(self.content_dir) \
            else path.as_posix()

    def _scan(self) -> bool:
        """Reload what changed on disk or in the published texts; True when ``responses`` changed."""
        changed = False
        present = set()
        for path in self.paths():
            present.add(path)
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            stamp = (info.st_mtime_ns, info.st_size)
            published = self._published.get(self.relative(path))
            use_published = published is not None and float(published["at"]) * 1e9 > info.st_mtime_ns
            published_at = float(published["at"]) if use_published and published else 0.0
            known = self._loaded.get(path)
            if known and known.stamp == stamp and known.published_at == published_at:
                continue
            try:
                text = published["text"] if use_published and published else path.read_text(encoding="utf-8")
                responses = responses_of(text)
            except (OSError, ValueError, yaml.YAMLError) as exc:
                log.warning("content: %s not loaded (%s); previous answers kept", path.name,
                            type(exc).__name__)
                if known:
                    known.stamp = stamp  # warn once per change, not every poll
                continue
            self._loaded[path] = _Loaded(stamp, published_at, responses)
            changed = True
        for gone in set(self._loaded) - present:
            del self._loaded[gone]
            changed = True
        if changed:
            merged: Responses = {}
            for path in self.paths():
                if path in self._loaded:
                    merged.update(self._loaded[path].responses)
            self.responses = merged
            self.generation += 1
        return changed

    def load(self) -> None:
        """Synchronous first load (at start-up and in tests)."""
        self._scan()

    async def _fetch_published(self) -> None:
        if self.redis is None:
            return
        version = await self.redis.get(self.keys.version)
        version = version.decode() if isinstance(version, bytes) else version
        if version == self._version:
            return
        raw = await self.redis.hgetall(self.keys.files)
        published = {}
        for name, value in raw.items():
            name = name.decode() if isinstance(name, bytes) else name
            try:
                published[name] = json.loads(value)
            except ValueError:
                log.warning("content: published text for %s is not JSON; ignored", Path(name).name)
        self._published, self._version = published, version

    async def refresh(self) -> bool:
        async with self._lock:
            try:
                await self._fetch_published()
            except aioredis.RedisError as exc:  # files still count; Redis is asked again next round
                log.warning("content: Redis not reachable (%s)", type(exc).__name__)
            started = time.perf_counter()
            changed = await asyncio.to_thread(self._scan)
            if changed:
                log.info("content: %d responses loaded in %.0f ms (generation %d)", len(self.responses),
                         (time.perf_counter() - started) * 1000, self.generation)
            return changed

    async def publish(self, path: Path, text: str) -> None:
        """After writing ``path``: let every process (any machine) serve ``text`` within one poll."""
        if self.redis is not None:
            entry = json.dumps({"text": text, "at": time.time()}, ensure_ascii=False)
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hset(self.keys.files, self.relative(path), entry)
                pipe.incr(self.keys.version)
                await pipe.execute()
        await self.refresh()

    async def run(self, interval_s: float) -> None:
        """Poll until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep serving the last good content
                log.error("content refresh failed: %s", type(exc).__name__)
