"""What every console handler shares: configuration, database, Redis, clock, notify client, the auth gate.

Handlers are plain functions wrapped by :func:`html_handler`, which turns a
:class:`Stop` into its response and adds the security headers. Responses
are returned, not raised, because the internal app's error middleware
turns raised 4xx into JSON, and staff should see a page.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web
from sqlalchemy.orm import Session

from backoffice.cases import CaseService
from backoffice.console import pages, queries
from backoffice.console.handoff_labels import HandoffLabels, handoff_labels
from backoffice.console.security import ConsoleSession, LoginThrottle, Sessions, same
from backoffice.db import Database
from backoffice.models import User
from backoffice.office_hours import HandoffHours
from channels.handoff import Handoffs
from channels.keys import Keys

log = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], datetime]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


def _first_rasa(settings: Any, fallback: str | None) -> str | None:
    """The first of RASA_URLS (staff side or gateway settings), else RASA_URL."""
    instances = getattr(settings, "rasa_instances", None) or []
    return str(instances[0]).rstrip("/") if instances else fallback


def _secure_cookies(explicit: object, public_base_url: str) -> bool:
    """CONSOLE_SECURE_COOKIES when set, else whether the public base URL is https."""
    if explicit is None or explicit == "":
        return public_base_url.startswith("https://")
    return str(explicit).strip().lower() in ("1", "true", "yes", "on")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ConsoleConfig:
    redis_prefix: str = "gw"  # the gateway's GATEWAY_REDIS_PREFIX: handoff state lives there
    case_service_token: str | None = None
    notify_url: str = "http://127.0.0.1:8081"
    session_ttl_s: int = 8 * 3600
    secure_cookies: bool = False
    overdue_after_h: float = 72.0
    handoff_ttl_s: int = 24 * 3600  # the gateway's HANDOFF_TTL_S
    login_limit: int = 5
    login_window_s: int = 900
    content_dir: Path = Path(__file__).resolve().parents[2] / "nlu_data"  # CONTENT_DIR
    unanswered_retention_days: int = 90  # UNANSWERED_RETENTION_DAYS, shown on the page
    analytics_retention_days: int = 400  # the gateway's ANALYTICS_RETENTION_DAYS
    rasa_url: str | None = None  # the first Rasa server: where a new example would go (model_check)
    rasa_token: str | None = None
    content_conflict_confidence: float = 0.8  # CONTENT_CONFLICT_CONFIDENCE

    @classmethod
    def from_settings(cls, settings: Any) -> ConsoleConfig:
        """From the case service's or the gateway's settings object, else the environment."""
        def get(name: str, default: Any) -> Any:
            value = getattr(settings, name, None)
            if value is None:
                value = os.environ.get(name.upper(), default)
            return value.get_secret_value() if hasattr(value, "get_secret_value") else value

        return cls(redis_prefix=str(get("gateway_redis_prefix", "gw")),
                   case_service_token=get("case_service_token", None) or None,
                   notify_url=str(get("gateway_notify_url", "http://127.0.0.1:8081")).rstrip("/"),
                   session_ttl_s=int(get("console_session_ttl_s", 8 * 3600)),
                   secure_cookies=_secure_cookies(get("console_secure_cookies", None),
                                                  str(get("public_base_url", ""))),
                   overdue_after_h=float(get("case_overdue_after_h", 72)),
                   handoff_ttl_s=int(get("handoff_ttl_s", 24 * 3600)),
                   content_dir=Path(get("content_dir", cls.content_dir)),
                   unanswered_retention_days=int(get("unanswered_retention_days", 90)),
                   analytics_retention_days=int(get("analytics_retention_days", 400)),
                   rasa_url=_first_rasa(settings, get("rasa_url", None)),
                   rasa_token=get("rasa_token", None) or None,
                   content_conflict_confidence=float(get("content_conflict_confidence", 0.8)))


class Stop(Exception):
    """End the request with this response (a page with 400/403/404/409/429, or a redirect)."""

    def __init__(self, response: web.StreamResponse) -> None:
        super().__init__(response.status)
        self.response = response


def html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def html_handler(fn: Handler) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            response = await fn(request)
        except Stop as stop:
            response = stop.response
        response.headers.update(SECURITY_HEADERS)
        return response

    return handle


class NotifyClient:
    """The gateway's notify route over HTTP (same process or not): the one way to reach a citizen."""

    def __init__(self, url: str, token: str | None) -> None:
        self._url = url
        self._token = token
        self._http: aiohttp.ClientSession | None = None

    def open(self, http: aiohttp.ClientSession | None) -> None:
        self._http = http

    async def send(self, conversation: str, key: str, responses: list[dict[str, Any]]) -> int:
        """The route's HTTP status (202 queued, 404 no address), 503 when the gateway is unreachable."""
        if self._http is None or not self._token:
            return 503
        try:
            async with self._http.post(f"{self._url}/internal/v1/conversations/{conversation}/messages",
                                       json={"key": key, "responses": responses},
                                       headers={"Authorization": f"Bearer {self._token}"},
                                       timeout=aiohttp.ClientTimeout(total=10)) as reply:
                return reply.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("notify route unreachable: %s", type(exc).__name__)
            return 503


class Console:
    """Everything a console handler needs; cases are read and changed through the case service."""

    def __init__(self, config: ConsoleConfig, database: Database, cases: CaseService, redis: aioredis.Redis,
                 desks: HandoffHours, clock: Clock = utc_now) -> None:
        self.config = config
        self.database = database
        self.cases = cases
        self.redis = redis
        self.desks = desks  # the handoff desks, to name the one a conversation waits for
        self.clock = clock
        self.handoffs = Handoffs(redis, Keys(config.redis_prefix), config.handoff_ttl_s)
        self.sessions = Sessions(redis, config.redis_prefix, config.session_ttl_s)
        self.throttle = LoginThrottle(redis, config.redis_prefix, config.login_limit, config.login_window_s)
        self.notify = NotifyClient(config.notify_url, config.case_service_token)

    def handoff_labels(self) -> HandoffLabels:
        """Topic titles and desk names for the live conversations (catalogue read per page)."""
        return handoff_labels(self.config.content_dir, self.desks)

    async def db(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one transaction in a thread (the engine is synchronous)."""
        return await self.database.run(work)

    @property
    def cookie_name(self) -> str:
        return "__Host-konsole" if self.config.secure_cookies else "konsole"

    def set_cookie(self, response: web.StreamResponse, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="Strict",
                            secure=self.config.secure_cookies)

    async def current(self, request: web.Request) -> tuple[User, ConsoleSession] | None:
        session = await self.sessions.get(request.cookies.get(self.cookie_name))
        if session is None:
            return None
        user = await self.db(lambda s: queries.get_user(s, session.username))
        if user is None or not user.active:
            return None
        return user, session

    async def require(self, request: web.Request, role: str | None = "staff") -> tuple[User, ConsoleSession]:
        """The signed-in user with ``role`` (roles do not imply each other); checks CSRF on every POST."""
        found = await self.current(request)
        if found is None:
            target = request.path if request.method == "GET" else "/console/"
            raise Stop(redirect(f"/console/login?next={target}"))
        user, session = found
        roles = user.roles.split(",")
        if role is not None and role not in roles:
            raise Stop(html(pages.page("Keine Berechtigung", "<p>Für diese Seite fehlt Ihrem Konto die "
                                       f"Rolle {pages.e(role)}.</p>", user, session.csrf), 403))
        if request.method == "POST":
            form = await request.post()
            if not same(str(form.get("csrf", "")), session.csrf):
                raise Stop(html(pages.page("Formular abgelaufen", "<p>Bitte laden Sie die Seite neu und "
                                           "versuchen Sie es noch einmal.</p>", user, session.csrf), 400))
        return user, session

    async def audit(self, username: str, action: str, detail: str | None) -> None:
        now = self.clock()
        await self.db(lambda s: queries.audit(s, username, action, detail, now))
