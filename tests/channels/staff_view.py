"""What a staff member sees of a case in the real case service's console (end-to-end tests)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from backoffice import db
from tests.backoffice.console_support import Browser, add_user

PHOTO = re.compile(r'<img src="(/console/cases/[^"]+/media/ext_[0-9a-f]+)"')


async def first_photo(real_core: Any, reference: str, username: str) -> tuple[str, bytes, str]:
    """Log in as a new staff member, open the case and its first photo (the import from the channel
    runs in the background after the case is created, or as the page opens): the page, the photo's
    bytes and content type."""
    engine = db.create(real_core.case_database_url)
    try:
        add_user(engine, username)
    finally:
        engine.dispose()
    browser = Browser(real_core.case_service_url)
    try:
        await browser.login(username)
        for _ in range(50):
            status, page = await browser.get(f"/console/cases/{reference}")
            assert status == 200, page
            if found := PHOTO.search(page):
                break
            await asyncio.sleep(0.2)
        assert found, page
        async with browser.session.get(real_core.case_service_url + found.group(1)) as reply:
            assert reply.status == 200, reply.status
            return page, await reply.read(), reply.content_type
    finally:
        await browser.close()
