""""War das hilfreich?" after FAQ answers: the offer, the button payloads and the vote.

The FAQ actions add ``custom: {"feedback": {"topic": <id>}}`` to an answer.
The worker stamps it with the answer's id (the turn's message id) and the
answer's language and moves it to the end of the turn (it asks about the
whole answer); each adapter decides how to show it - two small buttons in
the web chat and on Telegram, nothing on SMS and WhatsApp, where it would
cost a segment.

A press is handled by the gateway, not by the dialogue core: a vote is not
part of the conversation (it must not answer a form's open question or count
as a "not understood"), and the thank-you is fixed text. It still goes
through the inbound stream and worker like every message, so it is deduped,
ordered and only accepted when the bot offered exactly that payload in this
conversation (``dialogue.Offers``). One vote per answer shown: the first
press sets a marker (set-if-absent) and counts, in one Lua step; later
presses are thanked but not counted. Votes are aggregates per topic and day
(``analytics.py``): no conversation, text or time of day is kept with them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import redis.asyncio as aioredis

from channels import texts
from channels.analytics import Counters, local_day
from channels.keys import Keys
from channels.messages import Button, Custom, Response

KEY = "feedback"
ANSWER_ID_LENGTH = 12  # of the answer turn's message id: unique enough within one conversation
LANGUAGES = ("de", "en", "ls")
_TOPIC = re.compile(r"[a-z0-9_]{1,60}")
_PAYLOAD = re.compile(r"fb:(y|n):(de|en|ls):([a-z0-9_]{1,60}):([0-9a-f]{1,32})")

VOTE = """
-- KEYS: voted, feedback   ARGV: marker_ttl_s, field, expire_at
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
  redis.call('EXPIREAT', KEYS[2], ARGV[3])
  return 1
end
return 0
"""


class Vote(StrEnum):
    YES = "yes"
    NO = "no"


@dataclass(frozen=True)
class Offer:
    """The question after one answer: which topic, which answer, in which language."""

    topic: str
    answer: str = ""
    language: str = "de"

    def payload(self, vote: Vote) -> str:
        return f"fb:{vote.value[0]}:{self.language}:{self.topic}:{self.answer}"

    def buttons(self) -> tuple[Button, Button]:
        """Ja / Nein (in the answer's language) with their payloads."""
        return (Button(texts.pick(texts.FEEDBACK_YES, self.language), self.payload(Vote.YES)),
                Button(texts.pick(texts.FEEDBACK_NO, self.language), self.payload(Vote.NO)))

    @property
    def question(self) -> str:
        return texts.pick(texts.FEEDBACK_QUESTION, self.language)


@dataclass(frozen=True)
class Press:
    """A pressed feedback button, parsed from its payload."""

    vote: Vote
    offer: Offer


def offer_of(response: Response) -> Offer | None:
    """The feedback offer a response carries, or None."""
    if not isinstance(response, Custom):
        return None
    data = response.data.get(KEY)
    if not isinstance(data, Mapping) or not isinstance(data.get("topic"), str) \
            or not _TOPIC.fullmatch(data["topic"]):
        return None
    answer = data.get("answer")
    language = data.get("language")
    return Offer(data["topic"], answer if isinstance(answer, str) else "",
                 language if language in LANGUAGES else "de")


def parse(payload: str | None) -> Press | None:
    """The press a button payload stands for; None for every other payload."""
    match = _PAYLOAD.fullmatch(payload or "")
    if match is None:
        return None
    vote, language, topic, answer = match.groups()
    return Press(Vote.YES if vote == "y" else Vote.NO, Offer(topic, answer, language))


def stamp(responses: Sequence[Response], message_id: str, language: str | None) -> list[Response]:
    """The responses with at most one feedback offer, stamped and last (the turn's last offer wins)."""
    offers = [offer for r in responses if (offer := offer_of(r)) is not None]
    rest = [r for r in responses if offer_of(r) is None]
    if not offers:
        return rest
    answer_language = (language or "de") if (language or "de") in LANGUAGES else "de"
    data = {"topic": offers[-1].topic, "answer": message_id[:ANSWER_ID_LENGTH], "language": answer_language}
    return [*rest, Custom({KEY: data})]


def payloads(responses: Sequence[Response]) -> list[str]:
    """The payloads of the feedback buttons among ``responses``."""
    return [b.payload for r in responses if (offer := offer_of(r)) is not None for b in offer.buttons()]


def topics(responses: Sequence[Response]) -> list[str]:
    """The topics answered in a turn (every answer carries its offer, on every channel)."""
    return [offer.topic for r in responses if (offer := offer_of(r)) is not None]


def thanks(press: Press, counted: bool) -> str:
    if not counted:
        return texts.pick(texts.FEEDBACK_ALREADY, press.offer.language)
    table = texts.FEEDBACK_THANKS_YES if press.vote is Vote.YES else texts.FEEDBACK_THANKS_NO
    return texts.pick(table, press.offer.language)


class Votes:
    """Records votes: at most one per conversation and answer."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, counters: Counters, marker_ttl_s: int) -> None:
        self._keys = keys
        self._counters = counters
        self._marker_ttl_s = marker_ttl_s
        self._vote = redis.register_script(VOTE)

    async def record(self, conversation: str, press: Press, day: date | None = None) -> bool:
        """Count the vote; False when this conversation already voted on this answer."""
        day = day or local_day()
        keys = [self._keys.voted(conversation, press.offer.answer), self._counters.vote_key(day)]
        args = [self._marker_ttl_s, f"{press.offer.topic}:{press.vote.value}",
                self._counters.vote_expire_at(day)]
        return bool(await self._vote(keys=keys, args=args))
