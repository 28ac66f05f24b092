"""The editors' pages: topics (roles editor and reviewer), answer editing (editor), review (reviewer).

Editing is two steps on one form without JavaScript: "Vorschau" renders the
answer as web chat, Telegram and SMS show it (and runs every check), "Speichern"
saves through ``backoffice.content.changes`` (live at once, or pending a
second person's approval when ``CONTENT_FOUR_EYES`` is on). The same form sets
a validity window ("Gültig ab" / "Gültig bis"), adds a dated variant after
this one (``mode=add``) or deletes a dated one (``mode=delete``): editors are
not programmers and never need the YAML for it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from backoffice.console import pages, topic_pages
from backoffice.console.context import Console, Stop, html, redirect
from backoffice.content import changes as content_changes
from backoffice.content import topics as content_topics
from backoffice.content.changes import ChangeError, ContentChanges, Edit, Window
from backoffice.content.preview import preview
from backoffice.content.store import ContentStore
from backoffice.models import User
from backoffice.timeutil import BERLIN

CONTENT_ROLES = ("editor", "reviewer")


@dataclass(frozen=True)
class EditorConfig:
    four_eyes: bool = False
    review_after_days: int = 365
    sms_segment_budget: int = 3

    @classmethod
    def from_settings(cls, settings: Any) -> EditorConfig:
        return cls(bool(getattr(settings, "content_four_eyes", False)),
                   int(getattr(settings, "content_review_after_days", 365)),
                   int(getattr(settings, "sms_segment_budget", 3)))


MODES = ("edit", "add", "delete")
TITLES = {"add": "Neue Variante mit Zeitraum", "delete": "Variante löschen"}


def window_field(form: Any, start: str, end: str) -> Window | None:
    """The two date fields of a form, or None when the form has none (the window stays as it is)."""
    if start not in form and end not in form:
        return None
    return str(form.get(start, "")).strip()[:10], str(form.get(end, "")).strip()[:10]


def not_found(sentence: str, user: User, csrf: str) -> web.Response:
    return html(pages.page("Nicht gefunden", f"<p>{pages.e(sentence)}</p>", user, csrf), 404)


class TopicEditor:
    def __init__(self, console: Console, store: ContentStore, config: EditorConfig) -> None:
        self.console = console
        self.store = store
        self.config = config
        self.changes = ContentChanges(store, console.database, console.clock, config.four_eyes)

    async def require(self, request: web.Request, *roles: str) -> tuple[User, str]:
        user, session = await self.console.require(request, role=None)
        if not set(roles) & set(user.roles.split(",")):
            raise Stop(html(pages.page("Keine Berechtigung", "<p>Für diese Seite fehlt Ihrem Konto die Rolle "
                                       f"{pages.e(' oder '.join(roles))}.</p>", user, session.csrf), 403))
        return user, session.csrf

    def today(self) -> Any:
        return self.console.clock().astimezone(BERLIN).date()

    async def topic(self, request: web.Request, user: User, csrf: str) -> content_topics.Topic:
        topic_id = request.match_info["topic"]
        found = await asyncio.to_thread(content_topics.load_topic, self.store.content_dir, topic_id) \
            if content_changes.TOPIC_ID.match(topic_id) else None
        if found is None:
            raise Stop(not_found("Dieses Thema gibt es nicht.", user, csrf))
        return found


def routes(editor: TopicEditor) -> list[web.RouteDef]:
    config = editor.config

    async def topic_list(request: web.Request) -> web.StreamResponse:
        user, csrf = await editor.require(request, *CONTENT_ROLES)
        query = request.query.get("q", "")[:200]
        found = content_topics.search(await asyncio.to_thread(content_topics.all_topics,
                                                              editor.store.content_dir), query)
        waiting = await editor.console.db(content_changes.pending)
        body = topic_pages.topic_list(found, query, editor.today(), config.review_after_days, len(waiting),
                                      "reviewer" in user.roles.split(","))
        return html(pages.page("Themen", body, user, csrf))

    async def topic_detail(request: web.Request) -> web.StreamResponse:
        user, csrf = await editor.require(request, *CONTENT_ROLES)
        topic = await editor.topic(request, user, csrf)
        recent = await editor.console.db(lambda s: content_changes.history(s, topic.id))
        notice = {"saved": "Gespeichert. Die neue Antwort gilt innerhalb weniger Sekunden.",
                  "pending": "Eingereicht. Die Änderung gilt, sobald eine prüfende Person sie freigibt.",
                  "deleted": "Gelöscht. Die Variante wird innerhalb weniger Sekunden nicht mehr verwendet."
                  }.get(request.query.get("msg", ""))
        body = topic_pages.topic_detail(topic, editor.today(), config.review_after_days, recent,
                                        "editor" in user.roles.split(","))
        return html(pages.page(f"Thema: {topic.title}", body, user, csrf, notice=notice))

    def variant_of(topic: content_topics.Topic, response: str, index: str, user: User,
                   csrf: str) -> content_topics.Variant:
        for variant in topic.answers:
            if variant.response == response and str(variant.index) == index:
                return variant
        raise Stop(not_found("Diese Antwortvariante gibt es nicht.", user, csrf))

    async def edit_page(request: web.Request) -> web.StreamResponse:
        user, csrf = await editor.require(request, "editor")
        topic = await editor.topic(request, user, csrf)
        variant = variant_of(topic, request.query.get("r", ""), request.query.get("v", ""), user, csrf)
        mode = "add" if request.query.get("mode") == "add" else "edit"
        window = content_changes.window_of({"metadata": variant.metadata})
        body = topic_pages.edit_form(topic, variant, variant.text.rstrip("\n"), variant.text, csrf, None,
                                     config.four_eyes, False, ("", "") if mode == "add" else window, window,
                                     mode)
        return html(pages.page(TITLES.get(mode, "Antwort bearbeiten"), body, user, csrf))

    async def edit_submit(request: web.Request) -> web.StreamResponse:
        user, csrf = await editor.require(request, "editor")
        topic = await editor.topic(request, user, csrf)
        form = await request.post()
        variant = variant_of(topic, str(form.get("r", "")), str(form.get("v", "")), user, csrf)
        mode = str(form.get("mode", "edit"))
        mode = mode if mode in MODES else "edit"
        seen = str(form.get("seen", ""))
        text = variant.text if mode == "delete" else str(form.get("text", ""))[:4000]
        window = None if mode == "delete" else window_field(form, "valid_from", "valid_until")
        seen_window = window_field(form, "seen_from", "seen_until")
        edit = Edit(topic.id, variant.response, variant.index, text, form.get("reviewed") == "1", seen,
                    mode, window, seen_window)
        shown = None if mode == "delete" else preview(variant.message(text), config.sms_segment_budget,
                                                      variant.language)
        try:
            if form.get("action") == "save":
                outcome = await editor.changes.submit(edit, user.username)
                done = "pending" if not outcome.applied else "deleted" if mode == "delete" else "saved"
                return redirect(f"/console/topics/{topic.id}?msg={done}")
            await editor.changes.preview_check(edit)
            error = None
        except ChangeError as exc:
            error = str(exc)
        current = content_changes.window_of({"metadata": variant.metadata})
        body = topic_pages.edit_form(topic, variant, text.rstrip("\n"), seen, csrf, shown, config.four_eyes,
                                     edit.mark_reviewed, window or ("", ""), seen_window or current,
                                     "edit" if mode == "delete" else mode)
        return html(pages.page(TITLES.get(mode, "Antwort bearbeiten"), body, user, csrf, error=error,
                               notice=None if error else "Vorschau: noch nicht gespeichert."),
                    400 if error else 200)

    async def review_list(request: web.Request) -> web.StreamResponse:
        user, csrf = await editor.require(request, "reviewer")
        waiting = await editor.console.db(content_changes.pending)
        notice = {"approved": "Freigegeben: die Antwort gilt innerhalb weniger Sekunden.",
                  "rejected": "Abgelehnt."}.get(request.query.get("msg", ""))
        return html(pages.page("Prüfungen", topic_pages.reviews(waiting, user.username, csrf), user, csrf,
                               notice=notice))

    async def review_decide(request: web.Request) -> web.StreamResponse:
        user, csrf = await editor.require(request, "reviewer")
        form = await request.post()
        approve = form.get("decision") == "approve"
        try:
            change_id = int(request.match_info["change"])
            await editor.changes.decide(change_id, user.username, approve)
        except (ValueError, ChangeError) as exc:
            waiting = await editor.console.db(content_changes.pending)
            message = str(exc) if isinstance(exc, ChangeError) else "Unbekannte Änderung."
            return html(pages.page("Prüfungen", topic_pages.reviews(waiting, user.username, csrf), user, csrf,
                                   error=message), 409)
        return redirect(f"/console/reviews?msg={'approved' if approve else 'rejected'}")

    return [web.get("/console/topics", topic_list), web.get("/console/topics/{topic}", topic_detail),
            web.get("/console/topics/{topic}/edit", edit_page),
            web.post("/console/topics/{topic}/edit", edit_submit),
            web.get("/console/reviews", review_list), web.post("/console/reviews/{change}", review_decide)]
