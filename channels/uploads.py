"""Photos citizens upload: what the bytes really are, and storing them in the case service.

The gateway keeps no files. A photo goes to the case service's
``POST /api/v1/media`` (backoffice/CONTRACT.md), which answers with an id
``att_<hex>``; only that id travels on, as :class:`~channels.messages.Media`,
to the dialogue core and later into the case. The type is decided by the
file's magic bytes, never by the client's ``Content-Type`` or file name: a
script renamed to ``.jpg`` must not reach staff's browsers as an image.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

import aiohttp
from pydantic import SecretStr

from channels.errors import PayloadTooLarge, TooManyRequests, Unavailable, UnsupportedMediaType

log = logging.getLogger(__name__)

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
MEDIA_ID = re.compile(r"^att_[0-9a-f]{8,64}$")
TIMEOUT_S = 30.0


def sniff_image(data: bytes) -> str | None:
    """``image/jpeg``, ``image/png`` or ``image/webp`` by the file's signature, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class MediaStore:
    """Client of the case service's media endpoint; its failures become gateway errors once.

    ``http`` is a callable because the gateway's client session exists only
    while the app runs (see ``AdapterDeps.http``)."""

    def __init__(self, http: Callable[[], aiohttp.ClientSession], base_url: str,
                 token: SecretStr | None) -> None:
        self._http = http
        self._url = f"{base_url}/api/v1/media"
        self._token = token.get_secret_value() if token else ""

    @property
    def enabled(self) -> bool:
        return bool(self._token)

    async def store(self, data: bytes, content_type: str) -> str:
        """Store an image whose type was sniffed; its id ``att_<hex>``.

        Raises ``PayloadTooLarge``/``UnsupportedMediaType`` when the case service
        refuses the file, ``TooManyRequests`` when it limits us, ``Unavailable``
        (503) when it cannot be reached, fails or refuses our token."""
        if not self.enabled:
            raise Unavailable("photo uploads are not configured")
        headers = {"Authorization": f"Bearer {self._token}", "Content-Type": content_type}
        try:
            async with self._http().post(self._url, data=data, headers=headers,
                                         timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)) as reply:
                status, raw = reply.status, await reply.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("case service unreachable for a media upload: %s", type(exc).__name__)
            raise Unavailable("photo storage is unavailable, please retry later") from exc
        if status == 413:
            raise PayloadTooLarge("photo too large")
        if status in (415, 422):
            raise UnsupportedMediaType("only JPEG, PNG or WebP photos")
        if status == 429:
            raise TooManyRequests("too many photos, please wait", retry_after=60)
        if status in (401, 403):
            log.error("case service refused the gateway's CASE_SERVICE_TOKEN (%d)", status)
        if status != 201:
            log.warning("case service answered %d to a media upload", status)
            raise Unavailable("photo storage is unavailable, please retry later")
        return _media_id(raw)


def _media_id(raw: bytes) -> str:
    try:
        media_id = json.loads(raw).get("id")
    except (ValueError, AttributeError) as exc:
        raise Unavailable("photo storage gave an unexpected answer") from exc
    if not isinstance(media_id, str) or not MEDIA_ID.match(media_id):
        log.warning("case service answered a media upload without an att_ id")
        raise Unavailable("photo storage gave an unexpected answer")
    return media_id
