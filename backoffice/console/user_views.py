"""Account administration (role admin): list, create, lock and unlock console accounts."""

from __future__ import annotations

import re

from aiohttp import web
from sqlalchemy.orm import Session

from backoffice.console import pages, queries
from backoffice.console.context import Console, html, redirect
from backoffice.console.security import hash_password
from backoffice.models import User

USERNAME = re.compile(r"^[a-z0-9._\-]{2,80}$")


def routes(console: Console) -> list[web.RouteDef]:
    async def render(user: User, csrf: str, error: str | None = None, notice: str | None = None,
                     status: int = 200) -> web.Response:
        accounts = await console.db(queries.list_users)
        return html(pages.page("Konten", pages.users(accounts, csrf), user, csrf, error=error, notice=notice),
                    status)

    async def list_accounts(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request, role="admin")
        done = {"created": "Konto angelegt.", "changed": "Konto geändert."}.get(request.query.get("msg", ""))
        return await render(user, session.csrf, notice=done)

    async def create_account(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request, role="admin")
        form = await request.post()
        username = str(form.get("username", "")).strip().lower()
        display = str(form.get("display_name", "")).strip()[:200]
        try:
            if not USERNAME.match(username) or not display:
                raise ValueError("Benutzername (a-z, 0-9, Punkt, Strich; 2-80 Zeichen) und Name sind nötig")
            roles = queries.parse_roles(str(form.get("roles", "")))
            password_hash = hash_password(str(form.get("password", "")))
        except ValueError as exc:
            return await render(user, session.csrf, error=str(exc), status=400)
        now = console.clock()

        def work(s: Session) -> None:
            queries.create_user(s, username, display, password_hash, roles, now)
            queries.audit(s, user.username, "user_create", f"{username} ({','.join(roles)})", now)

        try:
            await console.db(work)
        except queries.QueryError as exc:
            return await render(user, session.csrf, error=str(exc), status=409)
        return redirect("/console/users?msg=created")

    async def set_active(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request, role="admin")
        form = await request.post()
        username, active = request.match_info["username"], form.get("active") == "1"
        if username == user.username and not active:
            return await render(user, session.csrf, error="Das eigene Konto kann nicht gesperrt werden.",
                                status=400)
        now = console.clock()

        def work(s: Session) -> bool:
            account = queries.get_user(s, username)
            if account is None:
                return False
            account.active = active
            queries.audit(s, user.username, "user_active", f"{username}={int(active)}", now)
            return True

        if not await console.db(work):
            return await render(user, session.csrf, error="Dieses Konto gibt es nicht.", status=404)
        return redirect("/console/users?msg=changed")

    return [web.get("/console/users", list_accounts), web.post("/console/users", create_account),
            web.post("/console/users/{username}/active", set_active)]
