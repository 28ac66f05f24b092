"""A gateway with every channel and the staff side on, for tests about all routes at once.

Telegram and Twilio point at their local fakes; the staff side uses an
SQLite file; workers are off unless asked for (these tests look at the
edge, not at turns).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from channels.settings import Settings
from tests.channels import fake_twilio
from tests.channels.conftest import Gateway
from tests.channels.fake_telegram import SECRET as TELEGRAM_SECRET
from tests.channels.fake_telegram import TOKEN as TELEGRAM_TOKEN
from tests.channels.fake_telegram import FakeBotApi

WEBCHAT_SECRET = "webchat-secret-for-the-security-tests"
CASE_TOKEN = "case-service-token-for-the-security-tests"
ORIGIN = "https://www.maerkischer-kreis.de"


@pytest.fixture
async def telegram_api() -> AsyncIterator[FakeBotApi]:
    fake = FakeBotApi(TELEGRAM_TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def full_settings(make_settings: Callable[..., Settings], telegram_api: FakeBotApi,
                  twilio_api: fake_twilio.FakeTwilio, tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            **fake_twilio.twilio_settings(twilio_api, twilio_whatsapp_from=fake_twilio.WHATSAPP_FROM),
            "telegram_bot_token": TELEGRAM_TOKEN, "telegram_webhook_secret": TELEGRAM_SECRET,
            "telegram_api_base": telegram_api.base,
            "webchat_session_secret": WEBCHAT_SECRET, "webchat_allowed_origins": ORIGIN,
            "case_service_token": CASE_TOKEN, "database_url": f"sqlite:///{tmp_path / 'cases.db'}",
            "gateway_run_workers": False,
        }
        return make_settings(**{**values, **overrides})

    return make


@pytest.fixture
async def full_gateway(full_settings: Callable[..., Settings], start_gateway: Callable[..., Any]) -> Gateway:
    return await start_gateway(full_settings())
