"""Security headers on every response of the gateway's two apps (and the staff side on the internal one).

A handler that knows better sets its own (the web chat pages their CSP with
the configured ``frame-ancestors``, the console its CSP); everything else -
JSON errors, webhooks' acknowledgements, metrics, 404s - gets the strict
defaults here, through ``on_response_prepare``, so a new route cannot
forget them.
"""

from __future__ import annotations

from aiohttp import web

# Nothing may be loaded, framed or submitted by a response that did not ask for more.
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
BASELINE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": DEFAULT_CSP,
}
HSTS = "max-age=31536000"


def frame_ancestors(origins: list[str]) -> str:
    """The CSP ``frame-ancestors`` source list: the configured origins, or ``'none'``."""
    return " ".join(origins) if origins else "'none'"


def install(app: web.Application, https: bool = False) -> None:
    """Add :data:`BASELINE` (and HSTS when the app is reached over https) to every response of ``app``."""

    async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        for name, value in BASELINE.items():
            response.headers.setdefault(name, value)
        if https:
            response.headers.setdefault("Strict-Transport-Security", HSTS)

    app.on_response_prepare.append(add_headers)
