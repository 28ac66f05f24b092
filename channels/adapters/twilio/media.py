"""Downloading a photo a citizen sent on WhatsApp (or MMS): Twilio's media URL, with our credentials.

Twilio serves inbound media at ``{TWILIO_API_BASE}/2010-04-01/Accounts/<sid>/
Messages/<sid>/Media/<sid>`` behind HTTP Basic auth (account SID and auth
token). Only URLs of exactly that shape, under the configured base and for
our own account, are fetched: the credentials never go anywhere else, and
nobody can make the gateway fetch an address of their choosing (SSRF).
Twilio answers with a redirect to a short-lived pre-signed address of its
media storage; that hop is followed without the credentials, and only to
https (or to the API base's own origin, a local fake in tests).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import SplitResult, urljoin, urlsplit

import aiohttp

from channels.errors import BadRequest, NotFound, PayloadTooLarge, Unavailable

log = logging.getLogger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=30)
MAX_REDIRECTS = 3
_SID = r"[A-Z]{2}[0-9a-fA-F]{32}"
_PATH = re.compile(rf"^/2010-04-01/Accounts/(?P<account>AC[0-9a-fA-F]{{32}})/Messages/{_SID}/Media/"
                   r"ME[0-9a-fA-F]{32}$")


class TwilioMedia:
    """Fetches media URLs of one Twilio account; raises only the gateway's errors."""

    def __init__(self, http: Callable[[], aiohttp.ClientSession], api_base: str, account_sid: str,
                 auth_token: str) -> None:
        self._http = http
        self._base = urlsplit(api_base)
        self._account_sid = account_sid
        self._auth = aiohttp.encode_basic_auth(account_sid, auth_token)

    def owns(self, url: str) -> bool:
        """Whether ``url`` lies under the API base (its shape is checked by :meth:`download`)."""
        return self._same_origin(urlsplit(url))

    def _same_origin(self, parts: SplitResult) -> bool:
        return (parts.scheme, parts.netloc) == (self._base.scheme, self._base.netloc)

    def _check(self, url: str) -> None:
        parts = urlsplit(url)
        match = _PATH.match(parts.path)
        if not self.owns(url) or match is None or parts.query or parts.fragment:
            raise BadRequest("not a Twilio media URL")
        if match["account"] != self._account_sid:
            raise BadRequest("media of another Twilio account")

    def _may_follow(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme == "https" or self._same_origin(parts)

    async def download(self, url: str, max_bytes: int) -> bytes:
        """The bytes behind a media URL of our account, at most ``max_bytes``.

        ``BadRequest`` for any other URL (nothing is fetched), ``NotFound`` when Twilio
        has no such media (deleted), ``PayloadTooLarge`` beyond the limit, ``Unavailable``
        when Twilio cannot be reached, fails or refuses our credentials."""
        self._check(url)
        headers = {"Authorization": self._auth}
        try:
            for _ in range(MAX_REDIRECTS + 1):
                async with self._http().get(url, headers=headers, allow_redirects=False,
                                            timeout=TIMEOUT) as reply:
                    if reply.status in (301, 302, 303, 307, 308) and "Location" in reply.headers:
                        url, headers = urljoin(url, reply.headers["Location"]), {}  # no credentials on
                        if not self._may_follow(url):
                            raise Unavailable("Twilio redirected the media download to a plain-http address")
                        continue
                    _check_status(reply.status)
                    return await _read_limited(reply, max_bytes)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Unavailable(f"Twilio media unreachable: {type(exc).__name__}") from exc
        raise Unavailable("too many redirects on a Twilio media download")


def _check_status(status: int) -> None:
    if status == 200:
        return
    if status in (404, 410):
        raise NotFound("Twilio has no such media")
    if status in (401, 403):
        log.error("Twilio refused the account's credentials for a media download (%d)", status)
    raise Unavailable(f"Twilio answered {status} to a media download")


async def _read_limited(reply: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    if reply.content_length is not None and reply.content_length > max_bytes:
        raise PayloadTooLarge(f"media larger than {max_bytes} bytes")
    data = bytearray()
    async for chunk in reply.content.iter_chunked(64 * 1024):
        data += chunk
        if len(data) > max_bytes:
            raise PayloadTooLarge(f"media larger than {max_bytes} bytes")
    return bytes(data)
