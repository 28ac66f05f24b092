"""An SMS conversation through the real dialogue core (Rasa + action server) and the fake Twilio.

(Service requests with a reference number come with issue 6; their SMS
conversation test belongs there.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from channels.adapters.twilio.sms_text import MORE_SUFFIX, to_gsm
from tests.channels import fake_twilio
from tests.channels.fake_twilio import FakeTwilio, SmsGateway, twilio_settings
from tests.e2e.answers import answer, first_example

pytestmark = pytest.mark.e2e

twilio_api = fake_twilio.twilio_api  # fixture

CITIZEN = "+4915112345678"
BUDGET = 3


@pytest.fixture
def start_real_sms(real_core, make_settings: Callable[..., Any], start_gateway, twilio_api: FakeTwilio,
                   http) -> Callable[..., Any]:
    async def start() -> SmsGateway:
        settings = make_settings(**twilio_settings(twilio_api), rasa_url=real_core.rasa_url,
                                 rasa_token=real_core.token, action_server_url=real_core.action_server_url,
                                 sms_segment_budget=BUDGET)
        gateway = await start_gateway(settings)
        return SmsGateway(gateway, twilio_api, http)

    return start


async def test_faq_over_sms_gets_the_sms_variant_within_the_budget(start_real_sms) -> None:
    sms: SmsGateway = await start_real_sms()
    await sms.send(CITIZEN, first_example("kfz_zulassung"))  # a trained phrasing: NLU is not under test
    privacy, reply = await sms.reply(CITIZEN, 2, timeout=60)
    assert privacy.segments == 1 and "Datenschutz" in privacy.body
    assert reply.body == to_gsm(answer("kfz_zulassung", channel="sms"))
    assert reply.encoding == "GSM-7" and reply.segments <= BUDGET


async def test_choose_from_the_menu_by_number(start_real_sms) -> None:
    sms: SmsGateway = await start_real_sms()
    await sms.send(CITIZEN, "Hallo")
    _, greeting = await sms.reply(CITIZEN, 2, timeout=60)
    assert greeting.segments <= BUDGET
    assert "\n1 Personalausweis\n2 Fahrzeug zulassen\n" in greeting.body
    await sms.send(CITIZEN, "1")
    [question] = await sms.reply(CITIZEN, 1, timeout=60)
    assert "In welcher Stadt oder Gemeinde" in question.body
    await sms.send(CITIZEN, "Iserlohn")
    [town_answer] = await sms.reply(CITIZEN, 1, timeout=60)
    parts = [town_answer]
    while parts[-1].body.endswith(MORE_SUFFIX) and len(parts) < 5:
        await sms.send(CITIZEN, "MEHR")
        parts += await sms.reply(CITIZEN, 1, timeout=60)
    assert all(p.segments <= BUDGET for p in parts)
    text = "\n".join(p.body.removesuffix(MORE_SUFFIX) for p in parts)
    assert to_gsm(answer("personalausweis", channel="sms")) in text
    assert "Iserlohn" in text
