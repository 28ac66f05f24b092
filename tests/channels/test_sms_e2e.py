"""SMS conversations through the real dialogue core (Rasa, action server, case service) and the
fake Twilio: an FAQ, a numbered menu, and a service request from first message to its reference
number, which the case service must know. Every reply turn stays within the segment budget.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from channels.adapters.twilio.sms_text import MORE_KEYWORD, MORE_SUFFIX, to_gsm
from channels.messages import Channel
from channels.pseudonym import conversation_id
from tests.channels import fake_twilio
from tests.channels.conftest import PSEUDONYM_KEY
from tests.channels.fake_twilio import FakeTwilio, SentMessage, SmsGateway, twilio_settings
from tests.e2e.answers import answer, first_example

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

twilio_api = fake_twilio.twilio_api  # fixture

CITIZEN = "+4915112345678"
BUDGET = 3
REFERENCE = re.compile(r"Vorgangsnummer: ([A-Z]{2,4}-\d{4}-\d{6}-\d)")


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


async def turn(sms: SmsGateway, sender: str, text: str) -> list[SentMessage]:
    """One message; what the citizen got for it (the MEHR parts followed), once 3 s pass quietly.

    Each reply turn and each MEHR part is checked against the budget here; the privacy notice on
    first contact is its own one-segment message outside it."""
    before = len(sms.twilio.to(sender))
    status, _ = await sms.send(sender, text)
    assert status == 200
    await sms.twilio.wait_for(lambda: len(sms.twilio.to(sender)) > before, timeout=90)
    while True:
        count = len(sms.twilio.to(sender))
        try:
            await sms.twilio.wait_for(lambda seen=count: len(sms.twilio.to(sender)) > seen, timeout=3)
        except TimeoutError:
            break
    got = sms.twilio.to(sender)[before:]
    await sms.settled(got[-1].sid)
    counted = [m for m in got if "Datenschutz" not in m.body]
    assert sum(m.segments for m in counted) <= BUDGET, [m.body for m in got]
    if got[-1].body.endswith(MORE_SUFFIX):
        got = [*got[:-1], got[-1], *await turn(sms, sender, MORE_KEYWORD)]
    return got


def text_of(messages: list[SentMessage]) -> str:
    return "\n".join(m.body.removesuffix(MORE_SUFFIX) for m in messages)


def menu_number(text: str, title: str) -> str:
    """The number the numbered menu gives ``title`` ("2 Ohne Foto" -> "2")."""
    found = re.search(rf"^(\d+) {re.escape(title)}$", text, re.MULTILINE)
    assert found, f"no menu item {title!r} in {text!r}"
    return found.group(1)


async def test_a_defect_report_over_sms_gets_a_reference_number_the_case_service_knows(
        start_real_sms, real_core, http: aiohttp.ClientSession) -> None:
    sms: SmsGateway = await start_real_sms()
    reply = text_of(await turn(sms, CITIZEN, "Schlagloch in der Lindenstraße in Iserlohn"))
    assert "Beschreiben Sie den Mangel" in reply  # category and place understood from the first message
    reply = text_of(await turn(sms, CITIZEN, "Tiefes Loch am rechten Fahrbahnrand, etwa 30 cm breit"))
    reply = text_of(await turn(sms, CITIZEN, menu_number(reply, "Ohne Foto")))
    assert "Telefonnummer oder E-Mail-Adresse" in reply
    summary = text_of(await turn(sms, CITIZEN, menu_number(reply, "Ohne Kontakt")))
    for line in ("Art: Schlagloch / Straßenschaden", "Ort: Lindenstraße, Iserlohn", "Kontakt: keine Angabe"):
        assert to_gsm(line) in summary
    done = text_of(await turn(sms, CITIZEN, menu_number(summary, "Ja, absenden")))
    found = REFERENCE.search(done)
    assert found, done
    conversation = conversation_id(PSEUDONYM_KEY.encode(), Channel.SMS, CITIZEN)
    status, case = await real_core.case(http, found.group(1), conversation)
    assert status == 200 and case["kind"] == "maengelmeldung", case
