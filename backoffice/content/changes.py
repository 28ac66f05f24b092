"""Saving an editor's answer change: checked, audited, written to the topic file, published.

One path for every change: ``submit`` validates (the file still parses, the
content validator finds no new error, the answer the editor saw is still
the current one) and then either applies at once or, with
``CONTENT_FOUR_EYES``, stores it as pending until a reviewer other than the
author approves. Applying writes the topic file atomically (a targeted
splice, ``splice.py``) and publishes it (``ContentStore.publish``), so every
NLG process serves it within one poll. Every step is an audit line with
before and after (answer texts are public content, never citizen data).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.console import queries
from backoffice.content import splice
from backoffice.content.store import ContentStore
from backoffice.content.validate import validate
from backoffice.db import Database
from backoffice.models import ContentChange
from backoffice.timeutil import BERLIN, Clock

log = logging.getLogger(__name__)
TOPIC_ID = re.compile(r"^[a-z0-9_]{2,80}$")


class ChangeError(ValueError):
    """A change that cannot be saved; the message is German and meant for the editor."""


@dataclass(frozen=True)
class Edit:
    topic: str
    response: str
    variant: int  # 0-based index in the response's list
    text: str
    mark_reviewed: bool = False
    seen: str | None = None  # the answer text the editor started from


@dataclass(frozen=True)
class Outcome:
    change_id: int
    applied: bool


def atomic_write(path: Path, text: str) -> None:
    """Readers see the old or the new file, never half of one; permissions stay."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class ContentChanges:
    def __init__(self, store: ContentStore, database: Database, clock: Clock, four_eyes: bool) -> None:
        self.store = store
        self.database = database
        self.clock = clock
        self.four_eyes = four_eyes
        self._lock = asyncio.Lock()  # one writer per process; other processes are caught by ``seen``

    async def _write(self, path: Path, text: str) -> None:
        try:
            await asyncio.to_thread(atomic_write, path, text)
        except OSError as exc:
            log.error("content: cannot write %s (%s)", path.name, type(exc).__name__)
            raise ChangeError("Die Themendatei kann auf diesem Server nicht geschrieben werden; nichts wurde "
                              "gespeichert. Bitte wenden Sie sich an den Betrieb.") from exc

    def path(self, topic: str) -> Path:
        path = self.store.content_dir / "topics" / f"{topic}.yml"
        if not TOPIC_ID.match(topic) or not path.is_file():
            raise ChangeError("Dieses Thema gibt es nicht.")
        return path

    def current_answer(self, topic: str, response: str, variant: int) -> str:
        data = yaml.safe_load(self.path(topic).read_text(encoding="utf-8")) or {}
        variants = (data.get("responses") or {}).get(response) or []
        if not 0 <= variant < len(variants):
            raise ChangeError("Diese Antwortvariante gibt es nicht.")
        return str(variants[variant].get("text") or "")

    def proposed(self, edit: Edit, today: str) -> tuple[str, str]:
        """(current file text, file text with the edit); ChangeError when it may not be saved."""
        path = self.path(edit.topic)
        text = path.read_text(encoding="utf-8")
        try:
            new = splice.set_answer(text, edit.response, edit.variant, edit.text)
            if edit.mark_reviewed:
                new = splice.set_reviewed(new, edit.response, edit.variant, today)
        except splice.SpliceError as exc:
            raise ChangeError(f"Die Änderung lässt sich nicht speichern: {exc}") from exc
        before = set(validate(self.store.content_dir).errors)
        after = validate(self.store.content_dir, overrides={edit.topic: new}).errors
        new_errors = [line for line in after if line not in before]
        if new_errors:
            raise ChangeError("Die Prüfung der Inhalte meldet: " + "; ".join(new_errors[:3]))
        return text, new

    async def preview_check(self, edit: Edit) -> None:
        """Raise ChangeError when ``edit`` would be refused, without saving anything."""
        await asyncio.to_thread(self.proposed, edit, self._today())

    def _today(self) -> str:
        return self.clock().astimezone(BERLIN).date().isoformat()

    async def submit(self, edit: Edit, author: str) -> Outcome:
        async with self._lock:
            current = await asyncio.to_thread(self.current_answer, edit.topic, edit.response, edit.variant)
            if edit.seen is not None and splice.clean_answer(edit.seen) != splice.clean_answer(current):
                raise ChangeError("Die Antwort wurde inzwischen geändert. Bitte laden Sie sie neu.")
            if splice.clean_answer(edit.text) == splice.clean_answer(current) and not edit.mark_reviewed:
                raise ChangeError("Die Antwort ist unverändert.")
            _, new = await asyncio.to_thread(self.proposed, edit, self._today())
            pending = self.four_eyes
            now = self.clock()

            def record(s: Session) -> int:
                change = ContentChange(topic=edit.topic, response=edit.response, variant=edit.variant,
                                       before=current, after=splice.clean_answer(edit.text),
                                       mark_reviewed=edit.mark_reviewed,
                                       status="pending" if pending else "applied", author=author,
                                       created_at=now)
                s.add(change)
                s.flush()
                action = "content_propose" if pending else "content_save"
                queries.audit(s, author, action, _detail(change), now)
                return change.id

            if pending:
                return Outcome(await self.database.run(record), applied=False)
            await self._write(self.path(edit.topic), new)
            change_id = await self.database.run(record)
            await self.store.publish(self.path(edit.topic), new)
            return Outcome(change_id, applied=True)

    async def decide(self, change_id: int, reviewer: str, approve: bool) -> ContentChange:
        """Approve (apply) or reject a pending change; never the author's own."""
        async with self._lock:
            change = await self.database.run(lambda s: s.get(ContentChange, change_id))
            if change is None or change.status != "pending":
                raise ChangeError("Diese Änderung wartet nicht (mehr) auf eine Prüfung.")
            if change.author == reviewer:
                raise ChangeError("Eigene Änderungen muss eine andere Person prüfen (Vier-Augen-Prinzip).")
            status, new = "rejected", None
            if approve:
                current = await asyncio.to_thread(self.current_answer, change.topic, change.response,
                                                  change.variant)
                if splice.clean_answer(current) != splice.clean_answer(change.before):
                    status = "conflict"
                else:
                    edit = Edit(change.topic, change.response, change.variant, change.after,
                                change.mark_reviewed)
                    _, new = await asyncio.to_thread(self.proposed, edit, self._today())
                    status = "applied"
            if new is not None:
                await self._write(self.path(change.topic), new)
            now = self.clock()

            def record(s: Session) -> ContentChange:
                row = s.get(ContentChange, change_id)
                assert row is not None
                row.status, row.reviewer, row.decided_at = status, reviewer, now
                queries.audit(s, reviewer, f"content_{'approve' if approve else 'reject'}", _detail(row), now)
                s.flush()
                return row

            row = await self.database.run(record)
            if new is not None:
                await self.store.publish(self.path(change.topic), new)
            if status == "conflict":
                raise ChangeError("Die Antwort wurde seit diesem Vorschlag geändert; der Vorschlag ist "
                                  "verworfen. Bitte neu bearbeiten.")
            return row


def pending(session: Session, topic: str | None = None) -> list[ContentChange]:
    query = select(ContentChange).where(ContentChange.status == "pending").order_by(ContentChange.id)
    if topic is not None:
        query = query.where(ContentChange.topic == topic)
    return list(session.scalars(query))


def history(session: Session, topic: str, limit: int = 20) -> list[ContentChange]:
    query = select(ContentChange).where(ContentChange.topic == topic).order_by(ContentChange.id.desc())
    return list(session.scalars(query.limit(limit)))


def _detail(change: ContentChange) -> str:
    return json.dumps({"change": change.id, "topic": change.topic, "response": change.response,
                       "variant": change.variant, "status": change.status, "before": change.before,
                       "after": change.after, "reviewed": change.mark_reviewed}, ensure_ascii=False)

