"""A message the bot cannot place ends up masked in the unanswered-questions store (real Rasa, actions)."""

from __future__ import annotations

import json
import sqlite3

import pytest

pytestmark = pytest.mark.e2e

QUESTION = ("Mein Name ist Schulz, Telefon 0171 1234567, schreiben Sie an k.schulz@example.org: "
            "wie wird das Wetter morgen?")
MASKED = ("Mein Name ist [Name], Telefon [Telefon], schreiben Sie an [E-Mail]: "
          "wie wird das Wetter morgen?")


def test_out_of_scope_question_is_stored_masked(talk, case_service) -> None:
    conversation = talk("telegram")
    conversation.send(QUESTION)
    with sqlite3.connect(case_service.database) as conn:
        rows = conn.execute("SELECT text, language, channel, status, intents FROM unanswered_questions "
                            "WHERE text LIKE 'Mein Name ist %'").fetchall()  # other e2e tests' rows too
        stored = " ".join(row[0] for row in conn.execute("SELECT text FROM unanswered_questions"))
    assert [row[:4] for row in rows] == [(MASKED, "de", "telegram", "open")]
    assert all("confidence" in guess for guess in json.loads(rows[0][4]))
    assert "Schulz" not in stored and "1234567" not in stored and "example.org" not in stored
