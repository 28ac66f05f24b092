"""Personal data never reaches a log: every process we run masks each record as it is made.

``install()`` wraps the logging module's record factory, so the masking
holds for every logger and handler of the process - ours, aiohttp's,
Sanic's and Rasa's - however they are configured later (Rasa and Sanic
reconfigure logging after start-up; a handler filter would be lost).
``configure(level)`` is the one logging set-up of our processes. aiohttp's
report of a malformed request becomes one line without the request's bytes.

Masked: e-mail addresses, phone numbers and other runs of six or more
digits (Telegram user and chat ids, Unix times in ids), case reference
numbers (they lead to a citizen's case), in the message and in the text of
a logged exception. Message texts must not be logged at all: that is the
callers' rule (log kinds, ids and counts), checked end to end by
``tests/channels/test_logs_e2e.py``. Standard library only, so the action
server and Rasa (Python 3.10) import it too.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
REFERENCE = re.compile(r"\b[A-Z]{2,4}-\d{4}-\d{6}-\d\b")
# +49 171 1234567, 0171/123 45 67, (02351) 966-0, 987654321: six digits or more, single separators
DIGITS = re.compile(r"(?<![\w.])(?:\+|00)?\(?\d(?:[ \-/()]{0,2}\d){5,}(?![\w]|\.\d)")  # not "101 1234.5 ms"
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # ISO dates in messages stay readable


def _digits(match: re.Match[str]) -> str:
    return match.group(0) if DATE.fullmatch(match.group(0)) else "<number>"


def mask(text: str) -> str:
    """``text`` with e-mail addresses, reference numbers and long digit runs replaced."""
    text = EMAIL.sub("<email>", text)
    text = REFERENCE.sub("<reference>", text)
    return DIGITS.sub(_digits, text)


def mask_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a bad format call: keep the template, drop the arguments
        message = f"{record.msg} (arguments dropped)"
    record.msg, record.args = mask(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = mask(record.stack_info)


class ClientErrorFilter(logging.Filter):
    """aiohttp logs a malformed request (a too long URL or header, bad bytes) as an ERROR with a
    traceback quoting the request's bytes; that is the client's mistake, already answered with
    400, and the bytes may be personal data. One warning line naming the kind stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and type(error).__module__ == "aiohttp.http_exceptions":
            record.msg, record.args = f"malformed request refused: {type(error).__name__}", None
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_installed = False


def install() -> None:
    """Mask every log record of this process from now on (idempotent)."""
    global _installed
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        mask_record(record)
        return record

    logging.setLogRecordFactory(factory)
    logging.getLogger("aiohttp.server").addFilter(ClientErrorFilter())
    _installed = True


def configure(level: int | str) -> None:
    """Our processes' logging: one line per record on stderr, masked."""
    logging.basicConfig(level=level, stream=sys.stderr, format=FORMAT)
    install()
