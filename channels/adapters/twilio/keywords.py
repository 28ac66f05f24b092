"""SMS keywords: a message that is exactly one configured word, in any case.

Only a message consisting of the single word counts ("Stopp", " STOP. "),
so "Stopp, ich meinte Iserlohn" stays a normal message. Words that are
also answers inside a conversation ("ende", "abmelden", "abbrechen") are
never keywords (settings refuse them): a citizen cancelling a form must
not unsubscribe by accident.
"""

from __future__ import annotations

from enum import StrEnum

from channels.adapters.twilio.sms_text import MORE_KEYWORD
from channels.messages import Channel
from channels.settings import Settings


class Keyword(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"
    MORE = "more"


def keyword_of(text: str | None, channel: Channel, settings: Settings) -> Keyword | None:
    """The keyword ``text`` is, if it is one. MEHR only on SMS (only SMS answers are cut)."""
    if not text:
        return None
    word = text.strip().rstrip(".!").strip().casefold()
    if not word or any(c.isspace() for c in word):
        return None
    table = (
        (Keyword.STOP, settings.sms_opt_out_keywords),
        (Keyword.START, settings.sms_opt_in_keywords),
        (Keyword.HELP, settings.sms_help_keywords),
        (Keyword.MORE, [MORE_KEYWORD] if channel is Channel.SMS else []),
    )
    for keyword, words in table:
        if word in (w.casefold() for w in words):
            return keyword
    return None
