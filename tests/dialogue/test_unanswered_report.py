"""``action_fallback`` reports what the bot could not place to the real case service, which masks it."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionFallback
from actions.unanswered import guesses
from tests.dialogue import case_service_process as cs
from tests.dialogue.requests_support import domain, tracker

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def service_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[cs.CaseService, Path]]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.fail(f"these tests need Redis at {REDIS_URL} (TEST_REDIS_URL)")
    tmp = Path(tmp_path_factory.mktemp("unanswered"))
    processes = cs.st.Stack()
    try:
        yield cs.start(processes, tmp, REDIS_URL), tmp / "cases.db"
    finally:
        processes.stop()


def _rows(database: Path) -> list[tuple]:
    with sqlite3.connect(database) as conn:
        return conn.execute("SELECT text, language, channel, intents, status FROM unanswered_questions "
                            "ORDER BY id").fetchall()


def test_guesses_prefer_faq_answers_and_drop_the_fallback() -> None:
    message = {"intent_ranking": [{"name": "nlu_fallback", "confidence": 0.2},
                                  {"name": "faq", "confidence": 0.2}, {"name": "greet", "confidence": 0.05}],
               "response_selector": {"faq": {"ranking": [
                   {"intent_response_key": "faq/wohngeld", "confidence": 0.31},
                   {"intent_response_key": "faq/elterngeld", "confidence": 0.12},
                   {"intent_response_key": "faq/kita_platz", "confidence": 0.1}]}}}
    assert guesses(message) == [{"name": "faq/wohngeld", "confidence": 0.31},
                                {"name": "faq/elterngeld", "confidence": 0.12},
                                {"name": "greet", "confidence": 0.05}]
    assert guesses({}) == []


async def test_fallback_records_the_masked_question(service_db, monkeypatch) -> None:
    service, database = service_db
    for key, value in service.environ.items():
        monkeypatch.setenv(key, value)
    turn = tracker("Ich heiße Meier, Tel. 0171 1234567: wann kommt der Schneepflug?", "nlu_fallback",
                   slots={"user_language": "de"}, metadata={"channel": "telegram"})
    dispatcher = CollectingDispatcher()
    assert await ActionFallback().run(dispatcher, turn, domain()) == []
    await ActionFallback().run(dispatcher, tracker("/mensch_sprechen", "nlu_fallback"), domain())
    await ActionFallback().run(dispatcher, tracker("[Standort]", "nlu_fallback"), domain())
    rows = _rows(database)
    assert rows == [("Ich heiße [Name], Tel. [Telefon]: wann kommt der Schneepflug?", "de", "telegram", "[]",
                     "open")]


async def test_a_case_service_that_is_down_does_not_disturb_the_answer(monkeypatch) -> None:
    monkeypatch.setenv("CASE_SERVICE_URL", f"http://127.0.0.1:{cs.st.free_port()}")
    dispatcher = CollectingDispatcher()
    assert await ActionFallback().run(dispatcher, tracker("Wetter morgen?", "out_of_scope"), domain()) == []
    assert dispatcher.messages == []
