"""Session tokens: only the gateway can make one, and only for as long as it is valid."""

from __future__ import annotations

import pytest

from channels.adapters.webchat.tokens import InvalidToken, SessionTokens

SECRET = "session-secret-for-the-tests"
NOW = 1_800_000_000


def test_a_token_names_its_session() -> None:
    tokens = SessionTokens(SECRET, ttl_s=3600)
    session, token = tokens.issue(now=NOW)
    assert tokens.verify(token, now=NOW + 10) == session
    assert len(session.session_id) == 22  # 128 random bits, base64url
    assert session.session_id not in tokens.issue(now=NOW)[1]  # a new session is a new id


def test_every_changed_character_is_refused() -> None:
    tokens = SessionTokens(SECRET, ttl_s=3600)
    _, token = tokens.issue(now=NOW)
    for position in range(len(token)):
        if token[position] == ".":
            continue
        replacement = "A" if token[position] != "A" else "B"
        tampered = token[:position] + replacement + token[position + 1:]
        with pytest.raises(InvalidToken):
            tokens.verify(tampered, now=NOW)


def test_a_session_id_cannot_be_moved_to_another_signature() -> None:
    tokens = SessionTokens(SECRET, ttl_s=3600)
    first, token_a = tokens.issue(now=NOW)
    second, _ = tokens.issue(now=NOW)
    version, _, issued, signature = token_a.split(".")
    with pytest.raises(InvalidToken):
        tokens.verify(f"{version}.{second.session_id}.{issued}.{signature}", now=NOW)
    later = f"{version}.{first.session_id}.{NOW + 100}.{signature}"  # extend its life
    with pytest.raises(InvalidToken):
        tokens.verify(later, now=NOW)


def test_a_token_of_another_secret_is_refused() -> None:
    _, token = SessionTokens("another-secret-entirely", ttl_s=3600).issue(now=NOW)
    with pytest.raises(InvalidToken):
        SessionTokens(SECRET, ttl_s=3600).verify(token, now=NOW)


def test_expired_and_future_tokens_are_refused() -> None:
    tokens = SessionTokens(SECRET, ttl_s=3600)
    _, token = tokens.issue(now=NOW)
    tokens.verify(token, now=NOW + 3600)
    with pytest.raises(InvalidToken):
        tokens.verify(token, now=NOW + 3601)
    with pytest.raises(InvalidToken):
        tokens.verify(token, now=NOW - 61)  # issued "in the future" beyond the clock skew


@pytest.mark.parametrize("value", [None, 42, "", "v1", "v1.a.b.c", "v2.AAAAAAAAAAAAAAAAAAAAAA.1.x",
                                   "v1.AAAAAAAAAAAAAAAAAAAAAA.-5.x", "v1.AAAAAAAAAAAAAAAAAAAAAA.1.ü",
                                   "x" * 500])
def test_malformed_tokens_are_refused_without_crashing(value: object) -> None:
    with pytest.raises(InvalidToken):
        SessionTokens(SECRET, ttl_s=3600).verify(value, now=NOW)


def test_an_old_token_is_refreshed_for_the_same_session() -> None:
    tokens = SessionTokens(SECRET, ttl_s=3600)
    session, _ = tokens.issue(now=NOW)
    assert not tokens.needs_refresh(session, now=NOW + 1800)
    assert tokens.needs_refresh(session, now=NOW + 1801)
    renewed, token = tokens.issue(session.session_id, now=NOW + 1801)
    assert renewed.session_id == session.session_id
    assert tokens.verify(token, now=NOW + 1801 + 3000).session_id == session.session_id
