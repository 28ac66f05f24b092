"""Login and logout. The login form has no session yet, so its CSRF token is a double-submit cookie."""

from __future__ import annotations

import logging
import secrets

from aiohttp import web

from backoffice.console import pages, queries
from backoffice.console.context import Console, Stop, html, redirect
from backoffice.console.security import same, verify_password

log = logging.getLogger(__name__)

LOGIN_COOKIE = "konsole_login"


def _next(raw: object) -> str:
    """Only local console paths, so the login cannot redirect elsewhere."""
    target = str(raw or "")
    return target if target.startswith("/console/") and "//" not in target and "\\" not in target \
        else "/console/"


def routes(console: Console) -> list[web.RouteDef]:
    def login_page(username: str = "", next_url: str = "/console/", error: str | None = None,
                   status: int = 200) -> web.Response:
        token = secrets.token_urlsafe(32)
        response = html(pages.page("Anmelden", pages.login(token, username, next_url), error=error), status)
        console.set_cookie(response, LOGIN_COOKIE, token, max_age=3600)
        return response

    async def get_login(request: web.Request) -> web.StreamResponse:
        if await console.current(request) is not None:
            return redirect("/console/")
        return login_page(next_url=_next(request.query.get("next")))

    async def post_login(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        username = str(form.get("username", "")).strip()[:80]
        password = str(form.get("password", ""))
        next_url = _next(form.get("next"))
        cookie = request.cookies.get(LOGIN_COOKIE, "")
        if not cookie or not same(str(form.get("csrf", "")), cookie):
            return login_page(username, next_url, "Das Formular ist abgelaufen. Bitte melden Sie sich noch "
                              "einmal an.", 400)
        client = request.remote or "unknown"
        if await console.throttle.blocked(username, client):
            log.warning("console login refused: too many failures")
            raise Stop(login_page(username, next_url, "Zu viele fehlgeschlagene Anmeldungen. Bitte warten "
                                  "Sie 15 Minuten und versuchen Sie es dann noch einmal.", 429))
        user = await console.db(lambda s: queries.get_user(s, username)) if username else None
        usable = user is not None and user.active
        if not verify_password(user.password_hash if usable and user else None, password):
            await console.throttle.failed(username, client)
            await console.audit(username or "-", "login_failed", None)
            return login_page(username, next_url, "Benutzername oder Passwort ist nicht richtig.", 401)
        await console.throttle.succeeded(username, client)
        session_id = await console.sessions.create(username)
        await console.audit(username, "login", None)
        response = redirect(next_url)
        console.set_cookie(response, console.cookie_name, session_id, max_age=console.config.session_ttl_s)
        response.del_cookie(LOGIN_COOKIE, path="/")
        return response

    async def post_logout(request: web.Request) -> web.StreamResponse:
        user, _ = await console.require(request, role=None)
        await console.sessions.delete(request.cookies.get(console.cookie_name, ""))
        await console.audit(user.username, "logout", None)
        response = redirect("/console/login")
        response.del_cookie(console.cookie_name, path="/")
        return response

    return [web.get("/console/login", get_login), web.post("/console/login", post_login),
            web.post("/console/logout", post_logout)]
