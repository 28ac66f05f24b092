"""Conversations through the real Rasa server and action server.

Every topic of the catalogue, responsibility routing, language handling and
fallback, asserted on the exact answers from the topic files.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from actions.language import NO_ANSWER_NOTICE
from tests.e2e.answers import ROOT, answer, catalogue, first_example

pytestmark = pytest.mark.e2e

FAQ = [t for t in catalogue() if t["kind"] == "faq"]
OTHER = [t for t in catalogue() if t["kind"] != "faq"]
ASK_TOWN = "In welcher Stadt oder Gemeinde"


@pytest.mark.parametrize("topic", FAQ, ids=[t["id"] for t in FAQ])
def test_every_faq_topic_is_answered(talk, topic) -> None:
    conversation = talk()
    reply = conversation.texts(first_example(topic["id"]))
    if topic["authority"] in ("gemeinde", "mixed") and ASK_TOWN in reply:
        reply = conversation.texts("Balve")
        assert "Balve" in reply
    assert answer(topic["id"]) in reply


# The request forms, the status query and the handoff: tests/e2e/test_requests.py.
SIMPLE = {"help", "goodbye", "thanks", "bot_challenge", "daten_loeschen", "daten_auskunft",
          "affirm", "deny"}


# termin_buchen, termin_absagen, termin_verschieben start forms: tests/e2e/test_appointments.py
@pytest.mark.parametrize("topic_id", sorted(SIMPLE))
def test_request_and_meta_topics(talk, topic_id: str) -> None:
    assert answer(topic_id) in talk().texts(first_example(topic_id))


def test_help_explains_and_offers_topic_buttons(talk) -> None:
    """Like the greeting, help offers the most asked topics as buttons, with their payloads."""
    messages = talk().send(first_example("help"))
    assert messages[0]["text"] == answer("help")
    help_file = yaml.safe_load((ROOT / "nlu_data" / "topics" / "help.yml").read_text("utf-8"))
    offered = help_file["responses"]["utter_help"][0]["buttons"]
    assert [(b["title"], b["payload"]) for b in messages[0]["buttons"]] == [
        (b["title"], b["payload"]) for b in offered]
    assert len(offered) >= 3


def test_greeting_offers_topics_and_says_content_is_example(talk) -> None:
    messages = talk().send("Guten Tag")
    assert messages[0]["text"] == answer("greet")
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert "Personalausweis" in titles
    assert "Beispielinhalte" in messages[1]["text"]


def test_button_payload_answers_the_topic(talk) -> None:
    conversation = talk()
    assert answer("kfz_zulassung") in conversation.texts('/faq{"topic":"kfz_zulassung"}')


def test_gemeinde_topic_asks_for_the_town_once(talk) -> None:
    conversation = talk()
    assert ASK_TOWN in conversation.texts("perso abgelaufen, was muss ich machen?")
    reply = conversation.texts("Iserlohn")
    assert "Iserlohn" in reply and answer("personalausweis") in reply
    # Remembered: the next town topic is answered for Iserlohn without asking.
    reply = conversation.texts("Wie melde ich meinen Hund an?")
    assert ASK_TOWN not in reply and "Iserlohn" in reply
    assert answer("hundesteuer") in reply


def _towns() -> list[dict[str, Any]]:
    directory = yaml.safe_load((ROOT / "nlu_data" / "directory" / "municipalities.yml").read_text("utf-8"))
    return directory["municipalities"]


@pytest.mark.parametrize("town", _towns(), ids=lambda t: t["id"])
def test_town_answer_gives_the_towns_office_and_online_service(talk, town: dict[str, Any]) -> None:
    """The town's own office and its online service, so the citizen can often skip the visit."""
    reply = talk().texts(f"Ich brauche einen neuen Personalausweis, ich wohne in {town['name']}")
    assert ASK_TOWN not in reply and answer("personalausweis") in reply
    assert town["office"]["name"] in reply
    assert town["online_services"] in reply


def test_town_by_postcode_and_in_the_question(talk) -> None:
    conversation = talk()
    assert ASK_TOWN in conversation.texts("Ich möchte meinen Wohnsitz anmelden")
    assert "Altena" in conversation.texts("58762")
    other = talk()
    reply = other.texts("Wo beantrage ich einen Reisepass in Menden?")
    assert ASK_TOWN not in reply and "Menden" in reply


def test_unknown_place_is_asked_again_then_answered_generally(talk) -> None:
    conversation = talk()
    conversation.texts("Führungszeugnis beantragen")
    assert "Bitte schreiben Sie den Namen Ihrer Stadt" in conversation.texts("Hogwarts")
    reply = conversation.texts("Mordor")
    assert answer("fuehrungszeugnis") in reply
    assert "Stadt- oder Gemeindeverwaltung Ihres Wohnorts" in reply


def test_postcode_outside_the_district(talk) -> None:
    conversation = talk()
    conversation.texts("Führungszeugnis beantragen")
    reply = conversation.texts("10115")
    assert "gehört nicht zum Märkischen Kreis" in reply
    assert answer("fuehrungszeugnis") in reply


def test_declining_the_town_still_answers(talk) -> None:
    conversation = talk()
    conversation.texts("Ich brauche eine Geburtsurkunde")
    reply = conversation.texts("nein, das möchte ich nicht sagen")
    assert answer("geburtsurkunde") in reply


def test_mixed_topic_depends_on_the_town(talk) -> None:
    balve, iserlohn = talk(), talk()
    balve.texts("Ich wohne in Balve")  # no topic: nothing remembered yet
    reply = balve.texts("Wie stelle ich einen Bauantrag in Balve?")
    assert "der Märkische Kreis zuständig" in reply
    reply = iserlohn.texts("Wie stelle ich einen Bauantrag in Iserlohn?")
    assert "In Iserlohn ist dafür zuständig" in reply


def test_notfall_answers_at_once(talk) -> None:
    reply = talk().texts("Notfall! Mein Vater ist zusammengebrochen")
    assert "112" in reply and ASK_TOWN not in reply


def test_english_question_gets_english_answer(talk) -> None:
    conversation = talk()
    assert answer("kfz_zulassung", "en") in conversation.texts(first_example("kfz_zulassung", "en"))
    # A short "ok" keeps English.
    assert conversation.last["user_language"] == "en"
    conversation.texts("ok")
    assert conversation.last["user_language"] == "en"


def test_ukrainian_gets_notice_then_english_answer(talk) -> None:
    conversation = talk()
    messages = conversation.send(first_example("kfz_zulassung", "uk"))
    texts = [m["text"] for m in messages if m.get("text")]
    assert texts[0].startswith("На жаль, відповіді українською")
    assert answer("kfz_zulassung", "en") in texts[1]
    # "War das hilfreich?" for the answer (the gateway shows it after the answer, in English)
    assert [m["custom"] for m in messages if m.get("custom")] == [{"feedback": {"topic": "kfz_zulassung"}}]
    assert conversation.last["user_language"] == "uk"


@pytest.mark.parametrize(
    ("text", "language", "topic"),
    [
        ("Elterngeld için nereden başvurabilirim?", "tr", "elterngeld"),
        ("Как получить пособие Elterngeld?", "ru", "elterngeld"),
        ("Gdzie mogę złożyć wniosek o Elterngeld?", "pl", "elterngeld"),
        ("كيف أحصل على رخصة القيادة لأول مرة؟", "ar", "fuehrerschein_ersterteilung"),
        # No German word in them: only the multilingual sentence features can find the topic.
        ("Yeni arabamı nasıl tescil ettirebilirim?", "tr", "kfz_zulassung"),
        # "Oturma iznimi nasıl uzatabilirim?" (tr, aufenthaltstitel) is a known miss of some trained
        # models (taken as out of scope); training is not bit-for-bit repeatable on CPU, so a
        # borderline case is not pinned here (`make eval-nlu` measures other_acc on 208 questions).
        ("Alman vatandaşlığına nasıl başvurabilirim?", "tr", "einbuergerung"),
        ("كيف أسجل سيارتي الجديدة؟", "ar", "kfz_zulassung"),
        ("كيف يمكنني تمديد تصريح الإقامة الخاص بي؟", "ar", "aufenthaltstitel"),
        ("كيف أحصل على الجنسية الألمانية؟", "ar", "einbuergerung"),
        ("Как зарегистрировать новую машину?", "ru", "kfz_zulassung"),
        ("Как оформить родительское пособие после рождения ребёнка?", "ru", "elterngeld"),
        ("Как получить удостоверение инвалида?", "ru", "schwerbehindertenausweis"),
        ("Jak zarejestrować nowy samochód?", "pl", "kfz_zulassung"),
        ("Jak zrobić prawo jazdy po raz pierwszy?", "pl", "fuehrerschein_ersterteilung"),
        ("Jak przedłużyć zezwolenie na pobyt?", "pl", "aufenthaltstitel"),
    ],
)
def test_other_languages_reach_the_german_topic(talk, text: str, language: str, topic: str) -> None:
    """No answer exists in these languages: one sentence in the citizen's language says so, then English."""
    conversation = talk()
    texts = [m["text"] for m in conversation.send(text) if m.get("text")]
    assert conversation.last["user_language"] == language
    assert texts[0] == NO_ANSWER_NOTICE[language]
    assert answer(topic, "en") in "\n".join(texts[1:])


@pytest.mark.parametrize(("text", "language"), [
    ("Yarın hava nasıl olacak?", "tr"),  # the weather: out of scope
    ("Какая завтра будет погода?", "ru"),
])
def test_out_of_scope_in_another_language_gets_the_notice_first(talk, text: str, language: str) -> None:
    conversation = talk()
    texts = [m["text"] for m in conversation.send(text) if m.get("text")]
    assert conversation.last["user_language"] == language
    assert texts[0] == NO_ANSWER_NOTICE[language]
    assert texts[1] == answer("out_of_scope", "en", name="utter_out_of_scope")


def test_channel_hint_decides_the_first_message(talk) -> None:
    conversation = talk(language_hint="en-US")
    assert answer("kfz_zulassung", "en") in conversation.texts("Kfz Zulassung")


def test_switch_to_leichte_sprache_and_back(talk) -> None:
    conversation = talk()
    assert "Leichter Sprache" in conversation.texts("Bitte in Leichter Sprache")
    question = first_example("kfz_zulassung")
    assert answer("kfz_zulassung", "ls") in conversation.texts(question)
    conversation.texts('/sprache_wechseln{"language":"de"}')
    assert answer("kfz_zulassung") in conversation.texts(question)


def test_language_question_without_language_offers_choices(talk) -> None:
    messages = talk().send("Kann ich die Sprache ändern?")
    assert [b["payload"] for b in messages[0]["buttons"]][:2] == [
        '/sprache_wechseln{"language":"de"}', '/sprache_wechseln{"language":"en"}']


def test_sms_channel_gets_the_short_variant(talk) -> None:
    reply = talk("sms").texts(first_example("kfz_zulassung"))
    assert reply == answer("kfz_zulassung", channel="sms")


def _authorities() -> dict[str, dict[str, Any]]:
    directory = yaml.safe_load((ROOT / "nlu_data" / "directory" / "authorities.yml").read_text("utf-8"))
    return {a["id"]: a for a in directory["authorities"]}


# A citizen's question per authority of nlu_data/directory/authorities.yml (issue 2 names the tax
# office, pension insurance, job centre, broadcasting fee and health insurance).
AUTHORITY_QUESTIONS = {
    "familienkasse": "Wie beantrage ich Kindergeld für mein Baby?",
    "finanzamt": "Wo gebe ich meine Steuererklärung ab?",
    "rentenversicherung": "Wie stelle ich einen Rentenantrag?",
    "jobcenter": "Wo kann ich Bürgergeld beantragen?",
    "arbeitsagentur": "Ich habe meine Arbeit verloren, wo melde ich mich arbeitslos?",
    "rundfunkbeitrag": "Muss ich den Rundfunkbeitrag zahlen, wenn ich keinen Fernseher habe?",
    "krankenkasse": "Ich habe meine Gesundheitskarte verloren, wo bekomme ich eine neue?",
}


def test_every_authority_has_a_question() -> None:
    assert set(AUTHORITY_QUESTIONS) == set(_authorities())


@pytest.mark.parametrize("authority_id", sorted(AUTHORITY_QUESTIONS))
def test_other_authority_is_named(talk, authority_id: str) -> None:
    """A near-domain question gets the responsible authority's answer, not a bare fallback or a topic."""
    authority = _authorities()[authority_id]
    reply = talk().texts(AUTHORITY_QUESTIONS[authority_id])
    assert authority["name"]["de"] in reply
    assert reply == authority["answer"]["de"].strip()


def test_gibberish_falls_back_politely(talk) -> None:
    reply = talk().texts("asdkjh qwoeiu zxmcnb")
    assert reply == answer("help", name="utter_default")


def test_off_topic_is_out_of_scope(talk) -> None:
    reply = talk().texts("Wer wird heute Abend Fußballmeister?")
    assert reply in (answer("out_of_scope"), answer("help", name="utter_default"))
