""""War das hilfreich?": the offer per channel, and a press counted exactly once without a Rasa turn."""

from __future__ import annotations

import asyncio
from typing import Any

from channels import feedback, texts
from channels.adapter import RenderContext
from channels.adapters.telegram.render import render as telegram_render
from channels.adapters.twilio.render import render_sms, render_whatsapp
from channels.adapters.webchat.render import render as webchat_render
from channels.analytics import local_day
from channels.messages import Custom, Text

OFFER = Custom({"feedback": {"topic": "kfz_zulassung"}})


def test_stamp_puts_one_offer_last_with_the_answer_id_and_language() -> None:
    answer = Text("Sie melden ein Fahrzeug bei der Zulassungsstelle an.")
    stamped = feedback.stamp([OFFER, answer, Text("Noch etwas?")], "0123456789abcdef0123", "en")
    assert stamped[:2] == [answer, Text("Noch etwas?")]
    assert stamped[2] == Custom({"feedback": {"topic": "kfz_zulassung", "answer": "0123456789ab",
                                              "language": "en"}})
    assert feedback.stamp([answer], "0123456789ab", "de") == [answer]
    # a language without answer variants asks in German
    assert feedback.offer_of(feedback.stamp([OFFER], "ab", "tr")[0]).language == "de"


def test_payloads_parse_back_and_nothing_else_does() -> None:
    offer = feedback.Offer("kfz_zulassung", "0123456789ab", "ls")
    yes, no = offer.buttons()
    assert (yes.title, no.title) == ("Ja", "Nein")
    assert feedback.parse(yes.payload) == feedback.Press(feedback.Vote.YES, offer)
    assert feedback.parse(no.payload) == feedback.Press(feedback.Vote.NO, offer)
    assert len(yes.payload.encode()) <= 64  # fits Telegram's callback_data as it is
    for other in ("/affirm", "fb:y:de:kfz zulassung:ab", "fb:x:de:kfz:ab", "fb:y:tr:kfz:ab", "", None,
                  "fb:y:de:kfz:ab\n"):
        assert feedback.parse(other) is None
    assert feedback.offer_of(Custom({"feedback": {"topic": "<script>"}})) is None


def _stamped(language: str) -> list[Any]:
    return feedback.stamp([Text("Antwort"), OFFER], "0123456789ab", language)


def test_web_chat_shows_the_question_with_two_small_buttons_in_the_answer_language() -> None:
    for language, question, labels in (("de", "War das hilfreich?", ["Ja", "Nein"]),
                                       ("en", "Was this helpful?", ["Yes", "No"]),
                                       ("ls", "Hat Ihnen die Antwort geholfen?", ["Ja", "Nein"])):
        bodies = webchat_render(_stamped(language), RenderContext("c1", "de"))
        assert bodies[0]["text"] == "Antwort"
        body = bodies[1]
        assert body["kind"] == "buttons" and body["feedback"] is True and body["text"] == question
        assert [b["title"] for b in body["buttons"]] == labels
        assert body["buttons"][0]["payload"] == f"fb:y:{language}:kfz_zulassung:0123456789ab"
        assert body["buttons"][1]["payload"] == f"fb:n:{language}:kfz_zulassung:0123456789ab"


def test_telegram_shows_the_question_with_ja_and_nein_side_by_side() -> None:
    bodies = telegram_render(_stamped("de"), "de")
    assert [b["text"] for b in bodies] == ["Antwort", "War das hilfreich?"]
    assert bodies[1]["inline_keyboard"] == [[
        {"text": "Ja", "callback_data": "fb:y:de:kfz_zulassung:0123456789ab"},
        {"text": "Nein", "callback_data": "fb:n:de:kfz_zulassung:0123456789ab"}]]
    assert "stored_callbacks" not in bodies[1]


def test_sms_and_whatsapp_drop_the_offer() -> None:
    assert render_sms(_stamped("de"), 3) == render_sms([Text("Antwort")], 3)
    assert render_sms(_stamped("de"), 3)[0]["text"] == "Antwort"
    assert render_whatsapp(_stamped("de")) == [{"kind": "reply", "text": "Antwort"}]


def _answer_with_offer(body: dict[str, Any]) -> list[dict[str, Any]]:
    if body["text"] == "Wie melde ich mein Auto an?":
        return [{"text": "Bei der Zulassungsstelle."}, {"custom": {"feedback": {"topic": "kfz_zulassung"}}}]
    return [{"text": f"echo: {body['text']}"}]


async def _votes(rdb, prefix: str) -> dict[str, str]:
    return await rdb.hgetall(f"{prefix}:stats:{local_day().isoformat()}:feedback")


async def test_a_press_counts_once_is_thanked_and_never_reaches_the_core(make_settings, start_gateway, http,
                                                                      sink, core, rdb, prefix) -> None:
    core.responder = _answer_with_offer
    gateway = await start_gateway(make_settings())
    await gateway.send(http, user="u1", id="m1", text="Wie melde ich mein Auto an?", language="de")
    await sink.wait_for(lambda: len(sink.deliveries) == 2)
    offer = feedback.offer_of(Custom(sink.deliveries[1]["body"]["data"]))
    assert offer is not None and offer.topic == "kfz_zulassung" and len(offer.answer) == 12
    yes, no = offer.buttons()

    await gateway.send(http, user="u1", id="m2", payload=yes.payload)
    await sink.wait_for(lambda: len(sink.deliveries) == 3)
    assert sink.texts("u1")[-1] == texts.FEEDBACK_THANKS_YES["de"]
    await gateway.send(http, user="u1", id="m3", payload=yes.payload)  # pressed again
    await gateway.send(http, user="u1", id="m4", payload=no.payload)  # changed its mind: still one vote
    await sink.wait_for(lambda: len(sink.deliveries) == 5)
    assert sink.texts("u1")[-2:] == [texts.FEEDBACK_ALREADY["de"]] * 2
    assert await _votes(rdb, prefix) == {"kfz_zulassung:yes": "1"}
    assert len(core.requests) == 1  # the presses were handled by the gateway


async def test_a_payload_the_bot_did_not_offer_is_not_a_vote(make_settings, start_gateway, http, sink, core,
                                                            rdb, prefix) -> None:
    core.responder = _answer_with_offer
    gateway = await start_gateway(make_settings())
    forged = feedback.Offer("kfz_zulassung", "0123456789ab").payload(feedback.Vote.NO)
    await gateway.send(http, user="u2", id="m1", payload=forged)
    await sink.wait_for(lambda: len(sink.deliveries) == 1)
    assert await _votes(rdb, prefix) == {}
    [request] = core.requests  # it went to the core as text, like any other unoffered payload
    assert request.body["text"] == forged


async def test_one_answer_per_conversation_each_counts(make_settings, start_gateway, http, sink, core, rdb,
                                                       prefix) -> None:
    core.responder = _answer_with_offer
    gateway = await start_gateway(make_settings())
    for user in ("a", "b"):
        await gateway.send(http, user=user, id=f"{user}1", text="Wie melde ich mein Auto an?")
    await sink.wait_for(lambda: len(sink.deliveries) == 4)
    offers = {d["to"]: feedback.offer_of(Custom(d["body"]["data"])) for d in sink.deliveries
              if d["body"].get("type") == "custom"}
    yes, no = offers["a"].payload(feedback.Vote.YES), offers["b"].payload(feedback.Vote.NO)
    await asyncio.gather(gateway.send(http, user="a", id="a2", payload=yes),
                         gateway.send(http, user="b", id="b2", payload=no))
    await sink.wait_for(lambda: len(sink.deliveries) == 6)
    assert await _votes(rdb, prefix) == {"kfz_zulassung:yes": "1", "kfz_zulassung:no": "1"}
    assert sink.texts("b")[-1] == texts.FEEDBACK_THANKS_NO["de"]
