"""Photos citizens sent on Telegram or WhatsApp, imported into their case.

Such a case names its photos by the channel's reference only
(``telegram:<file_id>``, Twilio's media URL): the credentials to fetch them
belong to the gateway. After the case is committed, a background task asks
the gateway (``GET {GATEWAY_NOTIFY_URL}/internal/v1/media?ref=...``, bearer
CASE_SERVICE_TOKEN, CONTRACT.md) for the bytes and stores them in the
attachment, which keeps its reference. When the gateway or the channel
cannot be reached, the photo stays pending and is tried again when staff open
the case or the photo, and by the case service's housekeeping (every
``REMINDER_INTERVAL_S``) - nothing is lost, nothing is asked for before it is
needed. What the gateway refuses for good (gone at the channel, not an image,
too large, not a channel's reference) is recorded once in ``import_error`` and
not asked again. Case creation never waits for any of this.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backoffice import media
from backoffice.db import Database
from backoffice.models import Attachment

log = logging.getLogger(__name__)

ROUTE = "/internal/v1/media"
BACKGROUND_TIMEOUT_S = 60.0  # right after creation nobody waits
ON_DEMAND_TIMEOUT_S = 10.0  # a staff member's page is waiting
# the gateway's answers that will not change on a later try
FINAL = {400: "refused", 404: "gone", 413: "too_large", 415: "not_image"}


def is_pending(item: Attachment) -> bool:
    """A channel's photo whose bytes are still to be fetched."""
    return item.data is None and item.external_ref is not None and item.import_error is None


def pending(session: Session, case_id: int) -> list[tuple[str, str]]:
    """(attachment id, channel reference) of the case's photos still to be imported."""
    rows = session.execute(select(Attachment.id, Attachment.external_ref).where(
        Attachment.case_id == case_id, Attachment.data.is_(None), Attachment.external_ref.is_not(None),
        Attachment.import_error.is_(None)).order_by(Attachment.id))
    return [(row.id, row.external_ref) for row in rows]


def pending_cases(session: Session, limit: int) -> list[int]:
    """Cases with photos still to be imported, oldest first."""
    rows = session.execute(select(Attachment.case_id).where(
        Attachment.case_id.is_not(None), Attachment.data.is_(None), Attachment.external_ref.is_not(None),
        Attachment.import_error.is_(None)).group_by(Attachment.case_id).order_by(Attachment.case_id)
        .limit(limit))
    return [int(row.case_id) for row in rows]


def _record(session: Session, attachment_id: str, **values: object) -> None:
    """Only while still pending: a concurrent import (background and page) writes once."""
    session.execute(update(Attachment).where(Attachment.id == attachment_id, Attachment.data.is_(None),
                                             Attachment.import_error.is_(None))
                    .values(**values).execution_options(synchronize_session=False))


@dataclass(frozen=True)
class Fetched:
    """The gateway's answer: the image, or why not for good (``error``), or neither (try later)."""

    data: bytes | None = None
    content_type: str | None = None
    error: str | None = None


class MediaImporter:
    def __init__(self, db: Database, gateway_url: str, token: str | None) -> None:
        self._db = db
        self._url = f"{gateway_url.rstrip('/')}{ROUTE}"
        self._token = token or ""

    async def import_case(self, case_id: int, timeout_s: float = BACKGROUND_TIMEOUT_S) -> bool:
        """Try every pending photo of the case once; True when none is pending any more."""
        items = await self._db.run(lambda s: pending(s, case_id))
        if not items:
            return True
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as http:
            outcomes = [(attachment_id, await self._fetch(http, ref)) for attachment_id, ref in items]
        await self._db.run(lambda s: self._store(s, outcomes))
        return all(fetched.data is not None or fetched.error for _, fetched in outcomes)

    async def import_pending(self, limit: int = 20) -> int:
        """Housekeeping: the photos left pending while the gateway was away; cases completed.

        A round ends at the first case that stays pending (the gateway is still away), so an
        unreachable gateway costs one short try per round, not one per case."""
        done = 0
        for case_id in await self._db.run(lambda s: pending_cases(s, limit)):
            if not await self.import_case(case_id, ON_DEMAND_TIMEOUT_S):
                break
            done += 1
        return done

    async def _fetch(self, http: aiohttp.ClientSession, ref: str) -> Fetched:
        headers = {"Authorization": f"Bearer {self._token}"}
        try:
            async with http.get(self._url, params={"ref": ref}, headers=headers) as reply:
                status, content_type = reply.status, reply.content_type
                data = await reply.read() if status == 200 else b""
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("media import: gateway unreachable (%s); tried again when staff open the case",
                        type(exc).__name__)
            return Fetched()
        if status == 200:
            return _checked(data, content_type)
        if status in FINAL:
            return Fetched(error=FINAL[status])
        if status == 401:
            log.error("media import: the gateway refused CASE_SERVICE_TOKEN")
        else:
            log.warning("media import: gateway answered %d; tried again when staff open the case", status)
        return Fetched()

    @staticmethod
    def _store(session: Session, outcomes: Sequence[tuple[str, Fetched]]) -> None:
        for attachment_id, fetched in outcomes:
            if fetched.data is not None:
                _record(session, attachment_id, data=fetched.data, content_type=fetched.content_type,
                        size=len(fetched.data))
                log.info("media import: %s stored (%s, %d bytes)", attachment_id, fetched.content_type,
                         len(fetched.data))
            elif fetched.error:
                _record(session, attachment_id, import_error=fetched.error)
                log.info("media import: %s not importable (%s)", attachment_id, fetched.error)


def _checked(data: bytes, claimed: str) -> Fetched:
    """The gateway sniffed the type; checked again here, as for uploads, before staff's browsers see it."""
    if len(data) > media.MAX_BYTES:
        return Fetched(error="too_large")
    sniffed = media.sniff(data)
    if sniffed is None or sniffed != claimed:
        return Fetched(error="not_image")
    return Fetched(data, sniffed)
