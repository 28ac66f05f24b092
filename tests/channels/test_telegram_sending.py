"""Telegram out: what the bot really sends to the (fake) Bot API, and how failures are handled."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import pytest

from channels import texts
from channels.adapters.telegram.render import MAX_TEXT
from channels.analytics import local_day
from tests.channels.conftest import PSEUDONYM_KEY, Gateway
from tests.channels.fake_telegram import (
    SECRET,
    TOKEN,
    Citizen,
    FakeBotApi,
    chats_in_different_partitions,
    post_update,
    utf16_len,
)


@pytest.fixture
async def gateway(make_settings, start_gateway, api: FakeBotApi) -> Gateway:
    return await start_gateway(make_settings(telegram_bot_token=TOKEN, telegram_webhook_secret=SECRET,
                                             telegram_api_base=api.base))


async def post(http, gateway: Gateway, update: dict[str, Any]) -> int:
    return await post_update(http, f"{gateway.url}/webhooks/telegram", update)


def answer(*messages: dict[str, Any]):
    return lambda body: list(messages)


async def test_answers_are_html_with_everything_escaped_and_links_clickable(gateway, api, core, http):
    text = ("Gebühr: < 30 € & Bearbeitung > 2 Tage, <b>nicht fett</b> &amp; so. "
            "Termine: https://www.maerkischer-kreis.de/termin?amt=kfz&ort=Lüdenscheid.")
    core.responder = answer({"text": text})
    assert await post(http, gateway, Citizen(api, 4711).text("Was kostet das?")) == 200
    await api.wait_for(lambda: len(api.sent) == 1)
    [call] = api.calls_of("sendMessage")
    assert call.params["parse_mode"] == "HTML"
    assert json.loads(json.dumps(call.params["link_preview_options"])) == {"is_disabled": True}
    html = call.params["text"]
    assert "&lt; 30 € &amp; Bearbeitung &gt; 2 Tage, &lt;b&gt;nicht fett&lt;/b&gt; &amp;amp; so." in html
    assert ('<a href="https://www.maerkischer-kreis.de/termin?amt=kfz&amp;ort=Lüdenscheid">'
            "https://www.maerkischer-kreis.de/termin?amt=kfz&amp;ort=Lüdenscheid</a>.") in html
    [sent] = api.sent  # the fake parsed the HTML the way Telegram does: the citizen reads the original
    assert sent.text == text
    assert sent.links == [("https://www.maerkischer-kreis.de/termin?amt=kfz&ort=Lüdenscheid",
                           "https://www.maerkischer-kreis.de/termin?amt=kfz&ort=Lüdenscheid")]


async def test_buttons_are_an_inline_keyboard_under_the_text(gateway, api, core, http):
    core.responder = answer({"text": "Wählen Sie ein Thema:", "buttons": [
        {"title": "Personalausweis", "payload": '/faq{"topic":"personalausweis"}'},
        {"title": "Website", "url": "https://www.maerkischer-kreis.de"}]})
    assert await post(http, gateway, Citizen(api, 4711).text("Hallo")) == 200
    await api.wait_for(lambda: len(api.sent) == 2)
    menu, link = api.sent
    assert menu.text == "Wählen Sie ein Thema:"
    assert menu.reply_markup == {"inline_keyboard": [[{"text": "Personalausweis",
                                                       "callback_data": '/faq{"topic":"personalausweis"}'}]]}
    assert link.links == [("https://www.maerkischer-kreis.de", "Website")]


async def test_a_location_request_is_a_reply_keyboard_with_request_location(gateway, api, core, http):
    core.responder = answer({"text": "Wo genau ist das? Senden Sie Ihren Standort.",
                             "custom": {"request": "location"}})
    erika = Citizen(api, 4711)
    assert await post(http, gateway, erika.text("Ich möchte ein Schlagloch melden")) == 200
    await api.wait_for(lambda: len(api.sent) == 1)
    [ask] = api.sent
    assert ask.text == "Wo genau ist das? Senden Sie Ihren Standort."
    assert ask.reply_markup == {"keyboard": [[{"text": "📍 Standort senden", "request_location": True}]],
                                "resize_keyboard": True, "one_time_keyboard": True}
    assert ask.asks_for_location
    core.responder = answer({"text": "Danke, der Ort ist angekommen."})
    assert await post(http, gateway, erika.location(51.2194, 7.6394)) == 200
    await api.wait_for(lambda: len(api.sent) == 2)
    assert core.requests[-1].body["metadata"]["location"] == {"lat": 51.2194, "lon": 7.6394}


async def test_a_long_answer_is_split_at_paragraphs_and_sentences_below_4096(gateway, api, core, http):
    paragraph = " ".join(f"Das ist Satz {n} über die Zulassung & ihre Kosten < 40 €." for n in range(60))
    text = "\n\n".join([paragraph] * 3)  # 3 paragraphs of about 3500 characters
    long_sentence_paragraph = " ".join([paragraph] * 2)  # one paragraph over the limit
    core.responder = answer({"text": text}, {"text": long_sentence_paragraph})
    assert await post(http, gateway, Citizen(api, 4711).text("Bitte alles")) == 200
    await api.wait_for(lambda: len(api.sent) >= 5, timeout=15)
    texts = [m.text for m in api.sent]
    assert all(utf16_len(t) <= MAX_TEXT for t in texts)
    assert texts[:3] == [paragraph] * 3  # at paragraph boundaries
    rest = texts[3:]
    assert len(rest) == 2 and all(t.endswith(".") for t in rest)  # at sentence ends
    assert re.sub(r"\s+", " ", " ".join(rest)) == long_sentence_paragraph


async def test_a_429_delays_only_that_chat_and_then_delivers(gateway, api, core, http):
    limited, other = chats_in_different_partitions(PSEUDONYM_KEY, 4)
    core.responder = answer({"text": "Ihre Antwort"})
    api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, chat_id=limited)
    assert await post(http, gateway, Citizen(api, limited).text("Erste Frage")) == 200
    await api.wait_for(lambda: api.failures == [])  # the 429 was given
    assert await post(http, gateway, Citizen(api, other).text("Zweite Frage")) == 200
    await api.wait_for(lambda: len(api.sent) == 2)
    first_attempt = next(c for c in api.calls_of("sendMessage") if int(c.params["chat_id"]) == limited)
    other_sent, limited_sent = api.messages_to(other)[0], api.messages_to(limited)[0]
    assert api.sent.index(other_sent) < api.sent.index(limited_sent)  # the other chat did not wait
    assert limited_sent.at - first_attempt.at >= 0.95  # Telegram's retry_after was honoured
    assert len([c for c in api.calls_of("sendMessage") if int(c.params["chat_id"]) == limited]) == 2


async def test_a_blocked_bot_is_not_retried_and_dead_lettered(gateway, api, core, http, rdb, prefix):
    api.blocked.add(4711)
    core.responder = answer({"text": "Ihre Antwort"})
    assert await post(http, gateway, Citizen(api, 4711).text("Hallo")) == 200
    dead = f"{prefix}:dead"
    deadline = time.monotonic() + 5
    while not await rdb.xlen(dead) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    [(_, fields)] = await rdb.xrange(dead)
    assert fields["kind"] == "outbound" and "forbidden" in fields["reason"]
    assert "4711" not in fields["reason"]
    assert len(api.calls_of("sendMessage")) == 1


async def test_one_chat_gets_about_one_message_per_second_after_a_short_burst(gateway, api, core, http):
    core.responder = answer(*({"text": f"Teil {n}"} for n in range(1, 5)))
    assert await post(http, gateway, Citizen(api, 4711).text("Alles bitte")) == 200
    await api.wait_for(lambda: len(api.sent) == 4, timeout=10)
    times = [m.at for m in api.sent]
    assert [m.text for m in api.sent] == [f"Teil {n}" for n in range(1, 5)]
    assert times[2] - times[0] < 0.5  # a burst of three
    assert times[3] - times[0] >= 0.9  # then one per second


async def test_many_chats_at_once_get_at_most_about_30_messages_per_second_overall(gateway, api, core, http):
    """Telegram's bulk limit is about 30 messages/s over all chats; the global limiter must spread
    40 answers at once over more than a second instead of letting a burst through first."""
    core.responder = answer({"text": "Antwort"})
    citizens = [Citizen(api, 5000 + n) for n in range(40)]
    statuses = await asyncio.gather(*(post(http, gateway, c.text("Hallo")) for c in citizens))
    assert statuses == [200] * 40
    await api.wait_for(lambda: len(api.calls_of("sendMessage")) >= 40, timeout=30)
    times = sorted(c.at for c in api.calls_of("sendMessage"))
    busiest = max(sum(1 for t in times[i:] if t - start < 1.0) for i, start in enumerate(times))
    # 30/s evenly spaced (34 ms): 30 in any second, one more allowed for timer jitter
    assert busiest <= 31, [round(t - times[0], 3) for t in times]
    assert times[-1] - times[0] >= 1.2  # 40 at 30/s take about 1.3 s


# --- "War das hilfreich?" (channels/feedback.py) ---


def _english_answer(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"custom": {"feedback": {"topic": "wohngeld"}}},  # the action adds it before the answer
            {"text": "You apply for housing benefit at your town hall."}]


async def test_the_question_comes_after_the_answer_and_a_press_counts_once(gateway, api, core, http, rdb,
                                                                          prefix) -> None:
    core.responder = _english_answer
    core.language = "en"
    citizen = Citizen(api, 4711)
    assert await post_update(http, f"{gateway.url}/webhooks/telegram", citizen.text("housing benefit")) == 200
    await api.wait_for(lambda: len(api.sent) == 2)
    answer, question = api.sent
    assert answer.text == "You apply for housing benefit at your town hall." and answer.reply_markup is None
    assert question.text == "Was this helpful?"
    assert [[b["text"] for b in row] for row in question.reply_markup["inline_keyboard"]] == [["Yes", "No"]]

    for _ in range(2):  # the citizen taps "Yes" twice
        assert await post_update(http, f"{gateway.url}/webhooks/telegram", citizen.press(question, 0)) == 200
    await api.wait_for(lambda: len(api.sent) == 4)
    assert [m.text for m in api.sent[2:]] == [texts.FEEDBACK_THANKS_YES["en"], texts.FEEDBACK_ALREADY["en"]]
    await api.wait_for(lambda: len(api.calls_of("answerCallbackQuery")) == 2)  # no spinner left
    assert await rdb.hgetall(f"{prefix}:stats:{local_day().isoformat()}:feedback") == {"wohngeld:yes": "1"}
    assert len(core.requests) == 1
