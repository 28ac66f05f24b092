"""Which model is in service, which one came before, their figures, who published them when.

A small JSON file (``MODEL_REGISTRY_PATH``, default data/run/models.json),
replaced atomically (write a sibling file, then rename), so a crash never
leaves half a registry. Only the publish pipeline writes it, under its lock.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HISTORY = 20  # events kept for the console


@dataclass(frozen=True)
class ModelEntry:
    name: str  # file name, e.g. bot-1a2b3c4d5e6f7a8b.tar.gz
    path: str  # where every Rasa server can read it
    figures: dict[str, float]
    published_by: str
    published_at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class Event:
    at: str
    by: str
    action: str  # published | refused | rolled_back | failed
    model: str
    detail: str = ""


@dataclass
class Registry:
    in_service: ModelEntry | None = None
    previous: ModelEntry | None = None
    history: list[Event] = field(default_factory=list)

    def publish(self, entry: ModelEntry) -> None:
        """``entry`` goes into service; the one it replaces is kept for a rollback."""
        self.previous, self.in_service = self.in_service, entry

    def rollback(self) -> ModelEntry:
        """Swap in service and previous (a second rollback goes forward again)."""
        if self.previous is None:
            raise LookupError("no previous model to roll back to")
        self.in_service, self.previous = self.previous, self.in_service
        return self.in_service

    def record(self, event: Event) -> None:
        self.history = [event, *self.history][:HISTORY]


def _entry(data: Any) -> ModelEntry | None:
    return ModelEntry(**data) if isinstance(data, dict) else None


def load(path: Path) -> Registry:
    """The registry at ``path``; an absent file is an empty registry."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Registry()
    return Registry(_entry(data.get("in_service")), _entry(data.get("previous")),
                    [Event(**e) for e in data.get("history") or []])


def save(path: Path, registry: Registry) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(registry), ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)
