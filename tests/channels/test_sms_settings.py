"""The SMS settings: keyword lists, caps and their validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from channels.settings import Settings

BASE = {"pseudonym_key": "k" * 16, "rasa_token": "t" * 8}


def test_defaults() -> None:
    s = Settings(_env_file=None, **BASE)
    assert (s.sms_opt_out_keywords, s.sms_opt_in_keywords, s.sms_help_keywords) == (
        ["STOPP", "STOP"], ["START"], ["HILFE", "HELP"])
    assert (s.sms_segment_budget, s.sms_daily_cap_per_number, s.sms_hourly_cap) == (3, 50, 2000)


def test_keyword_lists_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_OPT_OUT_KEYWORDS", " stopp, Abbestellen ,")
    monkeypatch.setenv("SMS_HELP_KEYWORDS", "hilfe,info")
    s = Settings(_env_file=None, **BASE)
    assert s.sms_opt_out_keywords == ["STOPP", "ABBESTELLEN"]
    assert s.sms_help_keywords == ["HILFE", "INFO"]


@pytest.mark.parametrize("words", ["ende", "STOPP,Abmelden", "abbrechen", "mehr", "nicht mehr", ""])
def test_conversation_words_and_phrases_are_refused_as_opt_out(words: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_OPT_OUT_KEYWORDS", words)
    with pytest.raises(ValidationError, match="sms_opt_out_keywords"):
        Settings(_env_file=None, **BASE)


def test_there_must_be_a_way_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_OPT_IN_KEYWORDS", " , ")
    with pytest.raises(ValidationError, match="sms_opt_in_keywords"):
        Settings(_env_file=None, **BASE)
