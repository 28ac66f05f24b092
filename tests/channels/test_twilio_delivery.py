"""Sending over SMS and WhatsApp through the fake Twilio: what the citizen's phone receives.

Bodies, encoding and segments as Twilio would bill them, numbered menus and
their digits, MEHR, the privacy notice, opt-out keywords, 21610, the cost
caps and WhatsApp's 24-hour window.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from channels.adapters.twilio.sms_text import MORE_SUFFIX
from channels.emergency import ANSWERS
from tests.channels import fake_twilio
from tests.channels.fake_twilio import (
    FROM_NUMBER,
    WHATSAPP_FROM,
    FakeTwilio,
    SmsGateway,
)
from tests.channels.fakes import FakeCore

start_sms, twilio_api = fake_twilio.start_sms, fake_twilio.twilio_api  # fixtures

CITIZEN = "+4915112345678"
OTHER = "+4917698765432"
WA = "whatsapp:+4916011122233"

MENU = [{"text": "Was möchten Sie tun?", "buttons": [
    {"title": "Termin vereinbaren", "payload": "/termin_buchen"},
    {"title": "Mangel melden", "payload": "/maengelmeldung"}]}]
TWO_MENUS = [*MENU, {"text": "Oder ein Thema:", "buttons": [
    {"title": "Personalausweis", "payload": '/faq{"topic":"personalausweis"}'}]}]
LONG = " ".join(
    f"„Schritt {i}“ – bringen Sie Ihren Ausweis, die Zulassungsbescheinigung und ca. 30 € Gebühr mit."
    for i in range(1, 13))


def responder(body: dict[str, Any]) -> list[dict[str, Any]]:
    text = body["text"]
    if text == "menu":
        return MENU
    if text == "two menus":
        return TWO_MENUS
    if text == "long":
        return [{"text": LONG}, {"text": "Noch Fragen?"}]
    if text == "bild":
        return [{"text": "Hier der Lageplan:", "image": "https://example.de/plan.png"}]
    return [{"text": f"Antwort auf: {text}"}]


@pytest.fixture
def answering(core: FakeCore) -> FakeCore:
    core.responder = responder
    return core


async def dead_letters(rdb: aioredis.Redis, prefix: str, count: int, timeout: float = 10) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        entries = [fields for _, fields in await rdb.xrange(f"{prefix}:dead")]
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        await asyncio.sleep(0.05)


async def metrics(sms: SmsGateway, http: aiohttp.ClientSession) -> str:
    async with http.get(f"{sms.gateway.internal_url}/metrics") as reply:
        return await reply.text()


async def first_contact(sms: SmsGateway, who: str = CITIZEN) -> None:
    await sms.send(who, "Hallo")
    await sms.reply(who, 2)


# --- bodies, encoding, segments ---------------------------------------------------------------------


async def test_privacy_notice_once_on_first_contact_in_one_segment(start_sms, answering) -> None:
    sms: SmsGateway = await start_sms()
    await sms.send(CITIZEN, "Hallo")
    privacy, answer = await sms.reply(CITIZEN, 2)
    assert privacy.segments == 1 and privacy.encoding == "GSM-7"
    assert "https://buergerservice.example.de/datenschutz" in privacy.body and "STOPP" in privacy.body
    assert answer.body == "Antwort auf: Hallo"
    await sms.send(CITIZEN, "Und noch was")
    [again] = await sms.reply(CITIZEN, 1)
    assert again.body == "Antwort auf: Und noch was"
    await sms.send(OTHER, "Hallo")
    assert "Datenschutz" in (await sms.reply(OTHER, 2))[0].body


async def test_long_answer_is_cut_to_the_budget_and_mehr_sends_the_rest(start_sms, answering) -> None:
    sms: SmsGateway = await start_sms()
    await first_contact(sms)
    await sms.send(CITIZEN, "long")
    [first] = await sms.reply(CITIZEN, 1)
    assert first.encoding == "GSM-7"  # „ “ – were replaced; € is GSM-7 (extension)
    assert first.segments <= 3 and first.body.endswith(MORE_SUFFIX)
    assert first.body.startswith('"Schritt 1" - bringen Sie Ihren Ausweis')
    assert first.body.removesuffix(MORE_SUFFIX).endswith("Gebühr mit.")  # a sentence end
    parts = [first]
    for keyword in ("MEHR", "mehr", " Mehr. ", "MEHR", "MEHR"):
        if not parts[-1].body.endswith(MORE_SUFFIX):
            break
        await sms.send(CITIZEN, keyword)
        parts += await sms.reply(CITIZEN, 1)
    assert all(p.segments <= 3 and p.encoding == "GSM-7" for p in parts)
    assert parts[-1].body.endswith("Noch Fragen?")
    text = " ".join(p.body.removesuffix(MORE_SUFFIX).replace("\n", " ") for p in parts)
    assert text.count("Schritt") == 12
    await sms.send(CITIZEN, "MEHR")
    [done] = await sms.reply(CITIZEN, 1)
    assert "keinen weiteren Text" in done.body
    assert "long" in answering.texts_of(answering.requests[-1].body["sender"])
    assert "MEHR" not in [t.upper() for t in answering.texts_of(answering.requests[-1].body["sender"])]


async def test_a_new_answer_replaces_the_rest_of_the_old_one(start_sms, answering) -> None:
    sms: SmsGateway = await start_sms()
    await first_contact(sms)
    await sms.send(CITIZEN, "long")
    await sms.reply(CITIZEN, 1)
    await sms.send(CITIZEN, "kurz")
    await sms.reply(CITIZEN, 1)
    await sms.send(CITIZEN, "MEHR")
    [reply] = await sms.reply(CITIZEN, 1)
    assert "keinen weiteren Text" in reply.body


async def test_budget_is_a_setting(start_sms, answering) -> None:
    sms: SmsGateway = await start_sms(sms_segment_budget=1)
    await first_contact(sms)
    await sms.send(CITIZEN, "long")
    [first] = await sms.reply(CITIZEN, 1)
    assert first.segments == 1 and first.body.endswith(MORE_SUFFIX)


async def test_unicode_answer_is_counted_as_ucs2(start_sms, core) -> None:
    core.responder = lambda body: [{"text": "Відповідь: " + "ж" * 250 + ". Кінець."}]
    sms: SmsGateway = await start_sms()
    await first_contact(sms)
    await sms.send(CITIZEN, "Питання")
    [reply] = await sms.reply(CITIZEN, 1)
    assert reply.encoding == "UCS-2" and reply.segments <= 3 and reply.body.endswith(MORE_SUFFIX)


async def test_emergency_answer_is_sent_whole_and_first(start_sms, answering) -> None:
    sms: SmsGateway = await start_sms(sms_segment_budget=1)
    await sms.send(CITIZEN, "Hilfe, meine Mutter ist bewusstlos")
    emergency, privacy = await sms.reply(CITIZEN, 2)
    assert emergency.body == ANSWERS["de"]
    assert emergency.segments == 3 and "Datenschutz" in privacy.body
    assert answering.attempts == 0


# --- numbered menus ---------------------------------------------------------------------------------


@pytest.mark.parametrize("choice", ["2", "2.", " 2 ", "2)"])
async def test_numbered_menu_and_the_digit_selects_the_payload(start_sms, answering, choice: str) -> None:
    sms: SmsGateway = await start_sms()
    await first_contact(sms)
    await sms.send(CITIZEN, "menu")
    [menu] = await sms.reply(CITIZEN, 1)
    assert menu.body == "Was möchten Sie tun?\n1 Termin vereinbaren\n2 Mangel melden"
    await sms.send(CITIZEN, choice)
    [reply] = await sms.reply(CITIZEN, 1)
    assert reply.body == "Antwort auf: /maengelmeldung"


async def test_numbering_runs_on_across_a_turn_and_digits_are_text_after_a_turn_without_menu(
        start_sms, answering) -> None:
    sms: SmsGateway = await start_sms()
    await first_contact(sms)
    await sms.send(CITIZEN, "two menus")
    [menu] = await sms.reply(CITIZEN, 1)
    assert menu.body.endswith("2 Mangel melden\nOder ein Thema:\n3 Personalausweis")
    await sms.send(CITIZEN, "3")
    assert (await sms.reply(CITIZEN, 1))[0].body == 'Antwort auf: /faq{"topic":"personalausweis"}'
    await sms.send(CITIZEN, "2")  # the last turn had no buttons: the menu is gone
    assert (await sms.reply(CITIZEN, 1))[0].body == "Antwort auf: 2"
    await sms.send(CITIZEN, "menu")
    await sms.reply(CITIZEN, 1)
    await sms.send(CITIZEN, "3")  # the new menu has two entries
    assert (await sms.reply(CITIZEN, 1))[0].body == "Antwort auf: 3"


async def test_digits_are_text_again_once_the_menu_expired(start_sms, answering, rdb, prefix) -> None:
    """SMS_MENU_TTL_S, not the 30 days of offered payloads: a "2" sent long after the menu is a new
    message, not the choice of an item the citizen no longer sees."""
    sms: SmsGateway = await start_sms(sms_menu_ttl_s=1)
    await first_contact(sms)
    await sms.send(CITIZEN, "menu")
    await sms.reply(CITIZEN, 1)
    await sms.send(CITIZEN, "2")  # within the TTL: the menu item
    assert (await sms.reply(CITIZEN, 1))[0].body == "Antwort auf: /maengelmeldung"
    await sms.send(CITIZEN, "menu")
    await sms.reply(CITIZEN, 1)
    menus = [key async for key in rdb.scan_iter(match=f"{prefix}:menu:*")]
    ttls = [await rdb.pttl(key) for key in menus]
    assert ttls and all(0 < ttl <= 1000 for ttl in ttls), ttls
    await asyncio.sleep(1.2)
    await sms.send(CITIZEN, "2")
    assert (await sms.reply(CITIZEN, 1))[0].body == "Antwort auf: 2"  # reached the core as text
    assert answering.requests[-1].body["text"] == "2"


# --- keywords ---------------------------------------------------------------------------------------


async def test_stopp_stops_everything_until_start(start_sms, answering, rdb, prefix, http, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    sms: SmsGateway = await start_sms()
    await first_contact(sms)
    answering.delays["langsam"] = 0.6
    await sms.send(CITIZEN, "langsam")  # its answer is still being made when STOPP arrives
    await asyncio.sleep(0.1)
    await sms.send(CITIZEN, "Stopp")
    [confirmation] = await sms.reply(CITIZEN, 1)
    assert "keine SMS mehr" in confirmation.body and "START" in confirmation.body
    await sms.send(CITIZEN, "Wann hat das Amt offen?")
    dead = await dead_letters(rdb, prefix, 2)
    assert [d["reason"] for d in dead] == ["opted out", "opted out"]
    assert "langsam" in answering.texts_of(answering.requests[-1].body["sender"])  # intake went on
    assert len(sms.twilio.to(CITIZEN)) == 3
    await sms.send(CITIZEN, "START")
    [welcome] = await sms.reply(CITIZEN, 1)
    assert "wieder SMS" in welcome.body
    await sms.send(CITIZEN, "Wann hat das Amt offen?")
    assert (await sms.reply(CITIZEN, 1))[0].body == "Antwort auf: Wann hat das Amt offen?"
    text = await metrics(sms, http)
    assert 'gateway_sms_keywords_total{channel="sms",keyword="stop"} 1.0' in text
    assert 'gateway_sms_opted_out_sends_total{channel="sms"} 2.0' in text
    assert not [r for r in caplog.records if CITIZEN in r.getMessage() or "Amt" in r.getMessage()]


@pytest.mark.parametrize("word", ["STOP", "stop", "Stopp!", " STOPP "])
async def test_opt_out_keywords_in_any_case(start_sms, answering, word: str) -> None:
    sms: SmsGateway = await start_sms()
    await first_contact(sms)
    await sms.send(CITIZEN, word)
    assert "keine SMS mehr" in (await sms.reply(CITIZEN, 1))[0].body
    assert word.strip() not in answering.texts_of(answering.requests[-1].body["sender"])


async def test_conversation_words_are_not_opt_out(start_sms, answering) -> None:
    sms: SmsGateway = await start_sms()
    await first_contact(sms)
    for word in ("ende", "Abmelden", "abbrechen", "Stopp, ich meinte Iserlohn"):
        await sms.send(CITIZEN, word)
        assert (await sms.reply(CITIZEN, 1))[0].body == f"Antwort auf: {word}"


async def test_opt_out_keywords_are_configurable(start_sms, answering) -> None:
    sms: SmsGateway = await start_sms(sms_opt_out_keywords="HALT")
    await first_contact(sms)
    await sms.send(CITIZEN, "stop")
    assert (await sms.reply(CITIZEN, 1))[0].body == "Antwort auf: stop"
    await sms.send(CITIZEN, "halt")
    assert "Mit START" in (await sms.reply(CITIZEN, 1))[0].body


@pytest.mark.parametrize("word", ["HILFE", "help"])
async def test_help_keyword_gets_the_short_help(start_sms, answering, word: str) -> None:
    sms: SmsGateway = await start_sms()
    await first_contact(sms)
    await sms.send(CITIZEN, word)
    [help_text] = await sms.reply(CITIZEN, 1)
    assert "Bei einer Liste antworten Sie mit der Nummer" in help_text.body and "STOPP" in help_text.body
    assert help_text.segments <= 2 and help_text.encoding == "GSM-7"


async def test_first_message_stopp_gets_no_privacy_notice(start_sms, answering) -> None:
    sms: SmsGateway = await start_sms()
    await sms.send(CITIZEN, "STOPP")
    [only] = await sms.reply(CITIZEN, 1)
    await asyncio.sleep(0.2)
    assert "keine SMS mehr" in only.body and len(sms.twilio.to(CITIZEN)) == 1


# --- Twilio errors ----------------------------------------------------------------------------------


async def test_21610_is_not_retried_and_counts_as_opt_out(start_sms, answering, twilio_api: FakeTwilio,
                                                          rdb, prefix) -> None:
    sms: SmsGateway = await start_sms()
    twilio_api.fail_for[CITIZEN] = 21610
    await sms.send(CITIZEN, "Hallo")
    dead = await dead_letters(rdb, prefix, 1)
    assert dead[0]["reason"] == "recipient unsubscribed (Twilio 21610)"
    await asyncio.sleep(0.3)  # would be long enough for retries (backoff 0.02-0.1 s)
    attempts = twilio_api.attempts
    assert attempts == 1  # the privacy notice; the answer was not even tried
    await sms.send(CITIZEN, "Noch da?")
    dead = await dead_letters(rdb, prefix, 3)
    assert [d["reason"] for d in dead][1:] == ["opted out", "opted out"]
    assert twilio_api.attempts == attempts


async def test_transient_twilio_errors_are_retried(start_sms, answering, twilio_api: FakeTwilio) -> None:
    sms: SmsGateway = await start_sms()
    twilio_api.fail_next = [20500, 20429]
    await sms.send(CITIZEN, "Hallo")
    privacy, answer = await sms.reply(CITIZEN, 2)
    assert "Datenschutz" in privacy.body and answer.body == "Antwort auf: Hallo"
    assert twilio_api.attempts == 4


async def test_invalid_number_is_not_retried(start_sms, answering, twilio_api: FakeTwilio, rdb,
                                             prefix) -> None:
    sms: SmsGateway = await start_sms()
    twilio_api.fail_next = [21211]
    await sms.send(CITIZEN, "Hallo")
    [dead] = await dead_letters(rdb, prefix, 1)
    assert dead["reason"] == "Twilio refused: HTTP 400, error 21211"
    await twilio_api.wait_for(lambda: len(twilio_api.to(CITIZEN)) == 1)
    assert twilio_api.bodies(CITIZEN) == ["Antwort auf: Hallo"]  # the privacy notice was refused
    assert twilio_api.attempts == 2


# --- cost guard -------------------------------------------------------------------------------------


async def test_daily_cap_per_number(start_sms, answering, rdb, prefix, http, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    sms: SmsGateway = await start_sms(sms_daily_cap_per_number=3)
    for i in range(4):
        status, _ = await sms.send(CITIZEN, f"Frage {i}")
        assert status == 200  # intake is never refused
    dead = await dead_letters(rdb, prefix, 2)
    assert [d["reason"] for d in dead] == ["number cap reached", "number cap reached"]
    assert sms.twilio.bodies(CITIZEN)[1:] == ["Antwort auf: Frage 0", "Antwort auf: Frage 1"]
    assert len(answering.requests) == 4
    await sms.send(OTHER, "Hallo")  # other numbers are served
    await sms.reply(OTHER, 2)
    text = await metrics(sms, http)
    assert 'gateway_sms_cap_reached_total{cap="number",channel="sms"} 2.0' in text
    warnings = [r.getMessage() for r in caplog.records if "cap reached (" in r.getMessage()]
    assert len(warnings) == 1  # logged once per period, counted every time
    assert not [r for r in caplog.records if CITIZEN in r.getMessage() or "Frage" in r.getMessage()]


async def test_hourly_cap_over_all_numbers(start_sms, answering, rdb, prefix, http) -> None:
    sms: SmsGateway = await start_sms(sms_hourly_cap=3)
    await sms.send(CITIZEN, "Hallo")
    await sms.reply(CITIZEN, 2)
    await sms.send(OTHER, "Hallo")
    [privacy] = await sms.reply(OTHER, 1)
    assert "Datenschutz" in privacy.body
    dead = await dead_letters(rdb, prefix, 1)
    assert [d["reason"] for d in dead] == ["overall cap reached"]
    assert 'cap="overall"' in await metrics(sms, http)


async def test_emergency_answers_ignore_the_cap(start_sms, answering) -> None:
    sms: SmsGateway = await start_sms(sms_daily_cap_per_number=1)
    await first_contact_partial(sms)
    await sms.send(CITIZEN, "Es brennt in meiner Wohnung")
    [emergency] = await sms.reply(CITIZEN, 1)
    assert "112" in emergency.body


async def test_an_emergency_is_answered_after_stopp_and_nothing_else(start_sms, answering, rdb,
                                                                    prefix) -> None:
    """Deliberate exception to the opt-out: the citizen has just written about a danger to life, and
    the answer (call 112) is a reply to that message, not an unsolicited SMS. Everything else stays
    stopped."""
    sms: SmsGateway = await start_sms()
    await first_contact(sms)
    await sms.send(CITIZEN, "STOPP")
    await sms.reply(CITIZEN, 1)
    await sms.send(CITIZEN, "Es brennt in meiner Wohnung")
    [emergency] = await sms.reply(CITIZEN, 1)
    assert "112" in emergency.body
    sent = len(sms.twilio.to(CITIZEN))
    await sms.send(CITIZEN, "Wann hat das Amt offen?")
    assert [d["reason"] for d in await dead_letters(rdb, prefix, 1)] == ["opted out"]
    assert len(sms.twilio.to(CITIZEN)) == sent


async def first_contact_partial(sms: SmsGateway) -> None:
    """First contact that uses up a cap of 1 with the privacy notice."""
    await sms.send(CITIZEN, "Hallo")
    await sms.reply(CITIZEN, 1)


# --- WhatsApp ---------------------------------------------------------------------------------------


async def test_whatsapp_menus_without_budget_and_images(start_sms, answering) -> None:
    sms: SmsGateway = await start_sms(twilio_whatsapp_from=WHATSAPP_FROM)
    await sms.send(WA, "long")
    privacy, long_answer, more = await sms.reply(WA, 3)
    assert "Keine Nachrichten mehr" in privacy.body
    assert long_answer.body == LONG and more.body == "Noch Fragen?"  # not cut, typography kept
    assert long_answer.params["From"] == WHATSAPP_FROM and long_answer.params["To"] == WA
    await sms.send(WA, "menu")
    [menu] = await sms.reply(WA, 1)
    assert menu.body == "Was möchten Sie tun?\n1 Termin vereinbaren\n2 Mangel melden"
    await sms.send(WA, "1")
    assert (await sms.reply(WA, 1))[0].body == "Antwort auf: /termin_buchen"
    await sms.send(WA, "bild")
    text, image = await sms.reply(WA, 2)
    assert text.body == "Hier der Lageplan:" and image.params["MediaUrl"] == ["https://example.de/plan.png"]


async def test_whatsapp_location_reaches_the_core(start_sms, answering) -> None:
    sms: SmsGateway = await start_sms(twilio_whatsapp_from=WHATSAPP_FROM)
    await sms.send(WA, "", Latitude="51.2195", Longitude="7.6331")
    await sms.reply(WA, 2)
    request = answering.requests[-1].body
    assert request["channel"] == "whatsapp"
    assert request["metadata"]["location"] == {"lat": 51.2195, "lon": 7.6331}


async def _close_window(rdb: aioredis.Redis, prefix: str) -> None:
    keys = [k async for k in rdb.scan_iter(f"{prefix}:twilio:window:*")]
    assert len(keys) == 1
    await rdb.delete(*keys)


async def test_whatsapp_outside_24_hours_sends_the_template_once(start_sms, answering, rdb, prefix) -> None:
    sid = "HX" + "a" * 32
    sms: SmsGateway = await start_sms(twilio_whatsapp_from=WHATSAPP_FROM, twilio_whatsapp_content_sid=sid)
    answering.responder = lambda body: [{"text": "eins"}, {"text": "zwei"}]
    answering.delays["spät"] = 0.5
    await sms.send(WA, "spät")
    await sms.reply(WA, 1)  # the privacy notice
    await _close_window(rdb, prefix)  # the answer comes after the window closed
    [template] = await sms.reply(WA, 1)
    assert template.params["ContentSid"] == sid and "Body" not in template.params
    [dead] = await dead_letters(rdb, prefix, 1)
    assert dead["reason"] == "outside the WhatsApp 24-hour window (template sent already)"
    await sms.send(WA, "Hallo")  # the citizen answers the template: the window is open again
    assert [m.body for m in await sms.reply(WA, 2)] == ["eins", "zwei"]


async def test_whatsapp_outside_24_hours_without_template_is_not_sent(start_sms, answering, rdb,
                                                                      prefix) -> None:
    sms: SmsGateway = await start_sms(twilio_whatsapp_from=WHATSAPP_FROM)
    answering.delays["spät"] = 0.5
    await sms.send(WA, "spät")
    await sms.reply(WA, 1)
    await _close_window(rdb, prefix)
    [dead] = await dead_letters(rdb, prefix, 1)
    assert dead["reason"] == "outside the WhatsApp 24-hour window (no template configured)"
    assert len(sms.twilio.to(WA)) == 1


async def test_sms_and_whatsapp_of_one_number_are_separate(start_sms, answering) -> None:
    sms: SmsGateway = await start_sms(twilio_whatsapp_from=WHATSAPP_FROM)
    await sms.send(CITIZEN, "STOPP")
    await sms.reply(CITIZEN, 1)
    await sms.send("whatsapp:" + CITIZEN, "Hallo")
    privacy, answer = await sms.reply("whatsapp:" + CITIZEN, 2)
    assert "Keine Nachrichten mehr" in privacy.body  # a first contact of its own
    assert answer.body == "Antwort auf: Hallo" and answer.params["From"] == WHATSAPP_FROM
    assert FROM_NUMBER not in [m.params.get("From") for m in sms.twilio.to("whatsapp:" + CITIZEN)]
