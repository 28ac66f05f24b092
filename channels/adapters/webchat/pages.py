"""The widget's files and the demo pages of the district website, with their security headers.

Everything is a plain file under ``static/`` (no build step); a fixed table
maps routes to files, so no request path ever reaches the file system. The
pages carry a Content-Security-Policy without ``'unsafe-inline'``: the
widget has no inline script or style, and if bot text ever became markup
(it does not: the widget uses ``textContent``), the browser would still
refuse to run it. ``frame-ancestors`` keeps the pages out of other
sites' frames (clickjacking): ``'none'`` unless WEBCHAT_FRAME_ANCESTORS
names the sites that may embed them.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from channels.security import frame_ancestors

STATIC = Path(__file__).resolve().parent / "static"
# The demo page's "example content" notice; left out when CONTENT_IS_EXAMPLE is false.
DEMO_BANNER = re.compile(r'[ \t]*<p class="demo-banner">.*?</p>\n?', re.DOTALL)

CSP = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: https:",  # the bot may send images from https URLs
    "connect-src 'self'",  # the WebSocket to the same origin (CSP Level 3)
    "base-uri 'none'",
    "form-action 'self'",
])

PAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cache-Control": "no-cache",
}
ASSET_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}

PAGES = {
    "/": "index.html",
    "/barrierefreiheit.html": "barrierefreiheit.html",
    "/datenschutz.html": "datenschutz.html",
    "/impressum.html": "impressum.html",
}
ASSETS = {
    # The widget: embeddable on any allowed site with one <script src=".../webchat/widget.js">.
    "/webchat/widget.js": ("widget.js", "application/javascript; charset=utf-8"),
    "/webchat/widget.css": ("widget.css", "text/css; charset=utf-8"),
    # The demo site's own look.
    "/site/site.css": ("site.css", "text/css; charset=utf-8"),
    "/site/logo.svg": ("logo.svg", "image/svg+xml"),
}


def page_csp(ancestors: list[str]) -> str:
    return f"{CSP}; frame-ancestors {frame_ancestors(ancestors)}"


def _page(name: str, csp: str, content_is_example: bool) -> web.Handler:
    path = STATIC / name
    headers = {**PAGE_HEADERS, "Content-Security-Policy": csp, "Content-Type": "text/html; charset=utf-8"}

    async def handle(request: web.Request) -> web.StreamResponse:
        if content_is_example:
            return web.FileResponse(path, headers=headers)
        # Read per request like FileResponse, so an edited page shows without a restart.
        page = DEMO_BANNER.sub("", path.read_text(encoding="utf-8"))
        return web.Response(body=page.encode("utf-8"), headers=headers)

    return handle


def _asset(name: str, content_type: str) -> web.Handler:
    path = STATIC / name

    async def handle(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(path, headers={**ASSET_HEADERS, "Content-Type": content_type})

    return handle


def routes(ancestors: list[str], content_is_example: bool = True) -> list[web.RouteDef]:
    """The pages and assets; ``ancestors``: the origins that may frame the pages (WEBCHAT_FRAME_ANCESTORS);
    ``content_is_example``: whether the demo page says its content is example content (CONTENT_IS_EXAMPLE)."""
    csp = page_csp(ancestors)
    table = [web.get(route, _page(name, csp, content_is_example)) for route, name in PAGES.items()]
    table += [web.get(route, _asset(name, kind)) for route, (name, kind) in ASSETS.items()]
    return table
