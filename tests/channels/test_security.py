"""Every route of both apps authenticates its caller or is listed as public; every response carries
the security headers; the services never listen on a public interface by default.

The route table is enumerated from the apps' routers with every channel and
the staff side on, so a new route that answers an anonymous caller fails
here until it is added to :data:`PUBLIC` (and to the README's table).
"""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from backoffice.console.context import ConsoleConfig
from channels.security import DEFAULT_CSP
from channels.settings import Settings
from tests.channels import fake_twilio, full_gateway
from tests.channels.conftest import Gateway
from tests.channels.full_gateway import ORIGIN

twilio_api, telegram_api = fake_twilio.twilio_api, full_gateway.telegram_api  # fixtures
full_settings, full_gateway = full_gateway.full_settings, full_gateway.full_gateway

ROOT = Path(__file__).resolve().parents[2]

# (app, method, route) -> why anyone may call it. Everything else must refuse an anonymous caller.
PUBLIC = {
    ("public", "GET", "/"): "demo page of the district website",
    ("public", "GET", "/barrierefreiheit.html"): "demo page",
    ("public", "GET", "/datenschutz.html"): "demo page (privacy statement)",
    ("public", "GET", "/impressum.html"): "demo page",
    ("public", "GET", "/webchat/widget.js"): "widget asset",
    ("public", "GET", "/webchat/widget.css"): "widget asset",
    ("public", "GET", "/webchat/origin"): "whether the caller's Origin may chat (widget's refusal notice)",
    ("public", "GET", "/site/site.css"): "demo page asset",
    ("public", "GET", "/site/logo.svg"): "demo page asset",
    ("internal", "GET", "/healthz"): "liveness probe, loopback only",
    ("internal", "GET", "/readyz"): "readiness probe, loopback only",
    ("internal", "GET", "/metrics"): "Prometheus metrics (counters, no personal data), loopback only",
    ("internal", "GET", "/open311/v2/services.json"): "Open311 service list",
    ("internal", "GET", "/open311/v2/services/{code}.json"): "Open311 service definition",
    ("internal", "GET", "/open311/v2/requests.json"): "Open311 public view of defect reports",
    ("internal", "GET", "/open311/v2/requests/{id}.json"): "Open311 public view of one report",
    ("internal", "GET", "/console/login"): "the console's login form",
    ("internal", "POST", "/console/login"): "the login itself (throttled, CSRF double-submit)",
    ("internal", "GET", "/console"): "redirect to /console/",
    ("internal", "GET", "/console/static/console.css"): "console stylesheet",
}


def routes(gateway: Gateway) -> list[tuple[str, str, str]]:
    """(app, method, route) of both apps; HEAD mirrors GET and is checked with it."""
    found = []
    for name, app in (("public", gateway.public), ("internal", _internal(gateway))):
        for route in app.router.routes():
            if route.method != "HEAD":
                found.append((name, route.method, route.resource.canonical))
    return found


def _internal(gateway: Gateway) -> web.Application:
    return gateway.runners[1].app


def _concrete(gateway: Gateway, app: str, route: str) -> str:
    """A path the route matches: "x1" for each placeholder, or "x" / "1" where its pattern wants that."""
    application = gateway.public if app == "public" else _internal(gateway)
    resource = next((r for r in application.router.resources() if r.canonical == route), None)
    if resource is None:  # a path no route has: the 404 must carry the headers too
        return route
    for value in ("x1", "x", "1"):
        path = re.sub(r"\{[^}]+\}", value, route)
        if resource.get_info().get("pattern") is None or resource._match(path) is not None:
            return path
    raise AssertionError(f"no test path for {route}")


def _base(gateway: Gateway, app: str) -> str:
    return gateway.url if app == "public" else gateway.internal_url


def refused(status: int, location: str) -> bool:
    """401/403, or the console's redirect to its login page."""
    return status in (401, 403) or (status in (302, 303) and location.startswith("/console/login"))


async def test_every_route_authenticates_or_is_listed_public(full_gateway: Gateway, http) -> None:
    found = routes(full_gateway)
    assert set(PUBLIC) <= set(found), f"listed as public but gone: {set(PUBLIC) - set(found)}"
    assert len(found) >= 40, "every channel and the staff side are on"
    open_routes = []
    for app, method, route in found:
        url = f"{_base(full_gateway, app)}{_concrete(full_gateway, app, route)}"
        async with http.request(method, url, allow_redirects=False, data=b"{}",
                                headers={"Content-Type": "application/json"}) as reply:
            anonymous_ok = not refused(reply.status, reply.headers.get("Location", ""))
            assert reply.status < 500, (method, route, reply.status)
        if (app, method, route) in PUBLIC:
            continue
        if anonymous_ok:
            open_routes.append((app, method, route, reply.status))
    assert open_routes == [], "routes that answer an anonymous caller; authenticate them or list them"


async def test_the_readme_table_lists_every_route(full_gateway: Gateway) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Security", 1)[1].split("\n## ", 1)[0]
    missing = [(method, route) for _, method, route in routes(full_gateway)
               if f"`{method} {route}`" not in section]
    assert missing == [], "\n".join(f"{m} {r}" for m, r in missing)


async def test_wrong_credentials_are_refused_like_none(full_gateway: Gateway, http) -> None:
    """A wrong token is no better than none, on each kind of authentication."""
    wrong = {"Authorization": "Bearer wrong-token", "X-Telegram-Bot-Api-Secret-Token": "wrong",
             "X-Twilio-Signature": "d3Jvbmc=", "Content-Type": "application/json"}
    for app, method, route in [("internal", "POST", "/api/v1/cases"),
                               ("internal", "POST", "/internal/v1/conversations/{conversation_id}/messages"),
                               ("internal", "POST", "/api/v1/handoff"),
                               ("public", "POST", "/webhooks/telegram"),
                               ("public", "POST", "/webhooks/twilio/sms"),
                               ("public", "POST", "/webhooks/twilio/status"),
                               ("public", "POST", "/webchat/upload")]:
        url = f"{_base(full_gateway, app)}{_concrete(full_gateway, app, route)}"
        async with http.request(method, url, data=b"{}", headers={**wrong, "Origin": ORIGIN}) as reply:
            assert reply.status in (401, 403), (route, reply.status)


# --- headers -------------------------------------------------------------------------------------


def _check_headers(headers: aiohttp.typedefs.LooseHeaders, where: str) -> str:
    csp = headers.get("Content-Security-Policy", "")
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") in ("no-referrer", "strict-origin-when-cross-origin"), where
    assert "frame-ancestors" in csp and "default-src 'none'" in csp, where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    return csp


async def test_every_response_has_the_security_headers(full_gateway: Gateway, http) -> None:
    checked = 0
    for app, method, route in [*routes(full_gateway), ("public", "GET", "/no/such/page"),
                               ("internal", "GET", "/no/such/page")]:
        url = f"{_base(full_gateway, app)}{_concrete(full_gateway, app, route)}"
        async with http.request(method, url, allow_redirects=False) as reply:
            _check_headers(reply.headers, f"{method} {route} ({reply.status})")
            checked += 1
    async with http.get(f"{full_gateway.url}/") as reply:
        assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
        assert "script-src 'self'" in reply.headers["Content-Security-Policy"]
    async with http.get(f"{full_gateway.internal_url}/metrics") as reply:
        assert reply.headers["Content-Security-Policy"] == DEFAULT_CSP
    assert checked >= 40


async def test_frame_ancestors_follow_the_setting(full_settings, start_gateway, http) -> None:
    gateway = await start_gateway(full_settings(
        webchat_frame_ancestors="https://www.maerkischer-kreis.de, https://www.altena.de"))
    for page in ("/", "/datenschutz.html"):
        async with http.get(f"{gateway.url}{page}") as reply:
            csp = _check_headers(reply.headers, page)
            assert csp.endswith("frame-ancestors https://www.maerkischer-kreis.de https://www.altena.de")
    async with http.get(f"{gateway.url}/webhooks/telegram") as reply:  # not a page: never framed
        assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]


@pytest.mark.parametrize("value", ["https://a.de; script-src *", "'unsafe-inline'", "*", "https://a.de/x y"])
def test_frame_ancestors_cannot_inject_a_directive(value: str) -> None:
    with pytest.raises(ValueError, match="not an origin"):
        Settings(_env_file=None, pseudonym_key="k" * 16, rasa_token="t" * 8, webchat_frame_ancestors=value)


async def test_hsts_when_the_public_url_is_https(full_settings, start_gateway, http) -> None:
    gateway = await start_gateway(full_settings())  # the Twilio settings use an https public URL
    async with http.get(f"{gateway.url}/") as reply:
        assert reply.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_static_pages_have_no_inline_script_style_or_handler() -> None:
    static = ROOT / "channels" / "adapters" / "webchat" / "static"
    console = (ROOT / "backoffice" / "console").glob("*.py")
    for path in [*static.glob("*.html"), *console]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"<style\b", text), path
        assert not re.search(r"""\sstyle\s*=\s*["']""", text), path
        assert not re.search(r"""\son[a-z]+\s*=\s*["']""", text), path
        assert "javascript:" not in text or path.suffix == ".py", path


@pytest.mark.parametrize(("explicit", "public_url", "secure"), [
    (None, "https://buergerservice.example.de", True),
    (None, "http://localhost:8080", False),
    ("true", "http://localhost:8080", True),  # staff reach the console over https by another name
    ("false", "https://buergerservice.example.de", False),
])
def test_console_cookies_secure_by_setting_or_https(monkeypatch, explicit, public_url, secure) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", public_url)
    if explicit is None:
        monkeypatch.delenv("CONSOLE_SECURE_COOKIES", raising=False)
    else:
        monkeypatch.setenv("CONSOLE_SECURE_COOKIES", explicit)
    assert ConsoleConfig.from_settings(None).secure_cookies is secure
