"""Photos citizens upload from the web chat: type by magic bytes, size limit, expiry when unattached.

The bytes live in the ``attachments`` table until a case claims them
(``media: ["att_<id>"]``); an upload no case claimed within ``MEDIA_TTL_H``
is deleted by the periodic housekeeping.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from backoffice.models import Attachment

MAX_BYTES = 5 * 1024 * 1024


def sniff(data: bytes) -> str | None:
    """The image type from the first bytes (not from what the client claims), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def store(session: Session, data: bytes, content_type: str, now: datetime) -> str:
    attachment_id = f"att_{secrets.token_hex(12)}"
    session.add(Attachment(id=attachment_id, case_id=None, content_type=content_type, size=len(data),
                           data=data, external_ref=None, created_at=now))
    return attachment_id


def expire_unattached(session: Session, now: datetime, ttl: timedelta) -> int:
    """Delete uploads no case claimed within ``ttl``; the number deleted."""
    result = session.execute(delete(Attachment).where(Attachment.case_id.is_(None),
                                                      Attachment.created_at < now - ttl))
    return int(result.rowcount or 0)
