"""``GET /internal/v1/media?ref=<reference>``: the bytes of a photo a citizen sent on a channel.

Telegram and WhatsApp photos reach a case only as references
(``telegram:<file_id>``, Twilio's media URL). The case service fetches the
bytes here when it imports them into the case (backoffice/media_import.py);
the adapter that owns the reference downloads them with its channel's
credentials, which therefore never leave the gateway. This module knows no
channel: an adapter takes part by implementing :class:`MediaSource`.

Internal port, bearer CASE_SERVICE_TOKEN as the notify route (401 without
it, and for everything while it is unset). 200 with the bytes and the type
sniffed from them (JPEG, PNG, WebP - never the channel's claim); 400 for a
malformed reference or one no adapter owns (a foreign URL is never
fetched); 404 unknown or expired at the channel; 413 over
WEBCHAT_UPLOAD_MAX_BYTES (the web chat's limit); 415 not such an image;
503 the channel cannot be reached.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from aiohttp import web

from channels.adapter import ChannelAdapter
from channels.errors import BadRequest, UnsupportedMediaType
from channels.messages import Channel, Media
from channels.notify import check_bearer
from channels.settings import Settings
from channels.uploads import sniff_image

log = logging.getLogger(__name__)

ROUTE = "/internal/v1/media"
_REF = re.compile(r"^\S{1,300}$")  # what the case service stores as an attachment's external_ref


@runtime_checkable
class MediaSource(Protocol):
    """An adapter that can download the media its channel delivered."""

    def owns_media(self, ref: str) -> bool:
        """Whether ``ref`` is this channel's kind of media reference (cheap, no network)."""

    async def download_media(self, media: Media, max_bytes: int) -> bytes:
        """The bytes; the gateway's BadRequest, NotFound, PayloadTooLarge or Unavailable otherwise."""


def source_for(adapters: Mapping[Channel, ChannelAdapter], ref: str) -> MediaSource | None:
    for adapter in adapters.values():
        if isinstance(adapter, MediaSource) and adapter.owns_media(ref):
            return adapter
    return None


def routes(adapters: Mapping[Channel, ChannelAdapter], settings: Settings) -> list[web.RouteDef]:
    token = settings.case_service_token.get_secret_value() if settings.case_service_token else None
    limit = settings.webchat_upload_max_bytes

    async def get_media(request: web.Request) -> web.Response:
        check_bearer(request, token)
        ref = request.query.get("ref", "")
        if not _REF.match(ref):
            raise BadRequest("ref must be a media reference of at most 300 characters")
        source = source_for(adapters, ref)
        if source is None:
            raise BadRequest("not a media reference of a configured channel")
        data = await source.download_media(Media(ref), limit)
        content_type = sniff_image(data)
        if content_type is None:
            raise UnsupportedMediaType("only JPEG, PNG or WebP photos")
        log.info("channel media fetched channel=%s type=%s bytes=%d",
                 getattr(source, "channel", "?"), content_type, len(data))
        return web.Response(body=data, content_type=content_type,
                            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})

    return [web.get(ROUTE, get_media)]
