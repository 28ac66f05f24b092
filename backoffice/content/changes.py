"""Saving an editor's answer change: checked, audited, written to the topic file, published.

One path for every change (a new answer text, a validity window, a new dated
variant after an existing one, deleting a dated variant): ``submit``
validates (the file still parses, the content validator finds no new error,
the answer and window the editor saw are still the current ones) and then
either applies at once or, with ``CONTENT_FOUR_EYES``, stores it as pending
until a reviewer other than the author approves. Applying writes the topic file atomically (a targeted
splice, ``splice.py``) and publishes it (``ContentStore.publish``), so every
NLG process serves it within one poll. Every step is an audit line with
before and after (answer texts are public content, never citizen data).
"""

from __future__ import annotations

import asyncio
import datetime as dt
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
KINDS = ("edit", "add", "delete")
Window = tuple[str, str]  # (valid_from, valid_until) as ISO dates, "" = open end
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")  # fromisoformat alone would also take 20261224 or 2026-W52


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
    kind: str = "edit"  # see KINDS; "add" inserts a new variant after ``variant``
    window: Window | None = None  # the window to set (edit, add); None = leave it as it is
    seen_window: Window | None = None  # the window the editor started from


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

    def current(self, topic: str, response: str, variant: int) -> tuple[str, Window]:
        """The variant's answer text and window as the file has them now."""
        data = yaml.safe_load(self.path(topic).read_text(encoding="utf-8")) or {}
        found = (data.get("responses") or {}).get(response) or []
        if not 0 <= variant < len(found):
            raise ChangeError("Diese Antwortvariante gibt es nicht.")
        return str(found[variant].get("text") or ""), window_of(found[variant])

    def current_answer(self, topic: str, response: str, variant: int) -> str:
        return self.current(topic, response, variant)[0]

    def proposed(self, edit: Edit, today: str) -> tuple[str, str]:
        """(current file text, file text with the edit); ChangeError when it may not be saved."""
        path = self.path(edit.topic)
        text = path.read_text(encoding="utf-8")
        if edit.kind not in KINDS:
            raise ChangeError("Unbekannte Art der Änderung.")
        check_window(edit)
        if edit.kind == "delete":
            check_delete(yaml.safe_load(text) or {}, edit.response, edit.variant)
        try:
            new = _apply(text, edit, today)
        except splice.SpliceError as exc:
            raise ChangeError(f"Die Änderung lässt sich nicht speichern: {exc}") from exc
        day = dt.date.fromisoformat(today)
        before = set(validate(self.store.content_dir, today=day).errors)
        after = validate(self.store.content_dir, overrides={edit.topic: new}, today=day).errors
        new_errors = [german(line) for line in after if line not in before]
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
            current, window = await asyncio.to_thread(self.current, edit.topic, edit.response, edit.variant)
            if ((edit.seen is not None and splice.clean_answer(edit.seen) != splice.clean_answer(current))
                    or (edit.seen_window is not None and edit.seen_window != window)):
                raise ChangeError("Die Antwort wurde inzwischen geändert. Bitte laden Sie sie neu.")
            if (edit.kind == "edit" and splice.clean_answer(edit.text) == splice.clean_answer(current)
                    and edit.window in (None, window) and not edit.mark_reviewed):
                raise ChangeError("Die Antwort ist unverändert.")
            _, new = await asyncio.to_thread(self.proposed, edit, self._today())
            pending = self.four_eyes
            now = self.clock()

            def record(s: Session) -> int:
                after = "" if edit.kind == "delete" else splice.clean_answer(edit.text)
                change = ContentChange(topic=edit.topic, response=edit.response, variant=edit.variant,
                                       before=current, after=after, mark_reviewed=edit.mark_reviewed,
                                       kind=edit.kind, window_before=_stored(window),
                                       window_after=None if edit.window is None else _stored(edit.window),
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
                current, window = await asyncio.to_thread(self.current, change.topic, change.response,
                                                          change.variant)
                if (splice.clean_answer(current) != splice.clean_answer(change.before)
                        or (change.window_before is not None and _stored(window) != change.window_before)):
                    status = "conflict"
                else:
                    edit = Edit(change.topic, change.response, change.variant, change.after,
                                change.mark_reviewed, kind=change.kind, window=_window(change.window_after))
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


def window_of(variant: dict) -> Window:
    """A variant's window as the form shows it (ISO dates, "" = open end)."""
    meta = variant.get("metadata") or {}
    start, end = (str(meta.get(key) or "") for key in splice.WINDOW_KEYS)
    return start, end


def _stored(window: Window) -> str:
    return "/".join(window)


def _window(stored: str | None) -> Window | None:
    if stored is None:
        return None
    start, _, end = stored.partition("/")
    return start, end


def _apply(text: str, edit: Edit, today: str) -> str:
    """The file text with ``edit`` spliced in (SpliceError when it cannot be placed)."""
    start, end = edit.window or ("", "")
    if edit.kind == "delete":
        return splice.delete_variant(text, edit.response, edit.variant)
    if edit.kind == "add":
        new = splice.add_variant(text, edit.response, edit.variant, edit.text, start, end)
        index = edit.variant + 1
    else:
        new = splice.set_answer(text, edit.response, edit.variant, edit.text)
        if edit.window is not None:
            new = splice.set_window(new, edit.response, edit.variant, start, end)
        index = edit.variant
    if edit.mark_reviewed:
        new = splice.set_reviewed(new, edit.response, index, today)
    return new


def _german_date(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%d.%m.%Y")


def check_window(edit: Edit) -> None:
    """Dates and their order, in German before the validator's English; a new variant needs a window."""
    if edit.window is None:
        if edit.kind == "add":
            raise ChangeError("Eine neue Variante braucht einen Zeitraum: „Gültig ab“ und/oder „Gültig bis“.")
        return
    for label, value in zip(("Gültig ab", "Gültig bis"), edit.window, strict=True):
        try:
            if value and not (ISO_DAY.match(value) and dt.date.fromisoformat(value)):
                raise ValueError(value)
        except ValueError:
            raise ChangeError(f"„{label}“ ist kein Datum (erwartet z. B. 2026-12-24).") from None
    start, end = edit.window
    if start and end and end < start:
        raise ChangeError(f"„Gültig bis“ ({_german_date(end)}) liegt vor „Gültig ab“ "
                          f"({_german_date(start)}).")
    if edit.kind == "add" and not (start or end):
        raise ChangeError("Eine neue Variante braucht einen Zeitraum: „Gültig ab“ und/oder „Gültig bis“.")


def check_delete(data: dict, response: str, index: int) -> None:
    """Only a dated variant may go, never the last default German answer or a language's only variant."""
    found = (data.get("responses") or {}).get(response) or []
    if not 0 <= index < len(found):
        raise ChangeError("Diese Antwortvariante gibt es nicht.")
    variant = found[index]
    if window_of(variant) == ("", ""):
        raise ChangeError("Löschen können Sie nur Varianten mit Zeitraum (z. B. abgelaufene "
                          "Feiertagszeiten); ändern Sie sonst den Text.")
    others = found[:index] + found[index + 1:]
    if not variant.get("condition") and not variant.get("channel") and not any(
            not v.get("condition") and not v.get("channel") for v in others):
        raise ChangeError("Das ist die letzte deutsche Antwort ohne Bedingung; sie kann nicht gelöscht "
                          "werden.")
    if not any(v.get("condition") == variant.get("condition") for v in others):  # the language condition
        raise ChangeError("Das ist die einzige Variante in dieser Sprache; sie kann nicht gelöscht werden.")


_NO_ANSWER = re.compile(r"no German answer is valid on (\d{4}-\d{2}-\d{2})")


def german(line: str) -> str:
    """The validator's sentence an editor can meet through a window, in German; others as they are."""
    found = _NO_ANSWER.search(line)
    if found:
        return (f"Am {_german_date(found[1])} gälte keine deutsche Antwort ohne Bedingung und Kanal. "
                "Ab heute muss an jedem Tag eine gelten: legen Sie zuerst eine Variante an, die an diesem "
                "Tag gilt, oder wählen Sie einen anderen Zeitraum")
    return line


def _detail(change: ContentChange) -> str:
    """Audit line: before/after as text and window (none before an added, none after a deleted variant)."""
    added, deleted = change.kind == "add", change.kind == "delete"
    after_window = change.window_after if change.window_after is not None else change.window_before
    return json.dumps({"change": change.id, "topic": change.topic, "response": change.response,
                       "variant": change.variant, "kind": change.kind, "status": change.status,
                       "before": None if added else change.before,
                       "after": None if deleted else change.after,
                       "window_before": None if added else change.window_before,
                       "window_after": None if deleted else after_window,
                       "reviewed": change.mark_reviewed}, ensure_ascii=False)

