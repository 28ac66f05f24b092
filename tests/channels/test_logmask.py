"""The log masking every process installs (channels/logmask.py): what it masks, what it keeps,
and that it holds for every logger however logging is configured afterwards."""

from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Iterator

import pytest

from channels import logmask


@pytest.mark.parametrize(("text", "masked"), [
    ("call +49 171 1234567 now", "call <number> now"),
    ("0171/123 45 67", "<number>"),
    ("(02351) 966-0 ext", "<number> ext"),
    ("whatsapp:+4915112345678", "whatsapp:<number>"),
    ("chat 987654321 blocked the bot", "chat <number> blocked the bot"),
    ("from erika.mustermann+chat@example.co.uk:", "from <email>:"),
    ("case MK-2026-000123-7 updated", "case <reference> updated"),
])
def test_personal_data_is_masked(text: str, masked: str) -> None:
    assert logmask.mask(text) == masked


@pytest.mark.parametrize("text", [
    "holiday 2026-12-24, back at 10:00",
    "POST /webhooks/telegram 200 12.3 ms",
    "GET /webchat/ws 101 1234.5 ms",
    "queued channel=sms mid=SM0123abcd conv=3f9a1b2c4d5e6f70 partition=3",
    "worker host-4242-ab12cd: 32 partitions",
    "Rasa on http://127.0.0.1:5005",
])
def test_operational_facts_stay_readable(text: str) -> None:
    assert logmask.mask(text) == text


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """A root handler configured *after* install, as Rasa and Sanic do with dictConfig. The test
    process' own record factory comes back afterwards (other tests read their logs unmasked)."""
    stream = io.StringIO()
    root = logging.getLogger()
    old_handlers, old_level, old_factory = root.handlers[:], root.level, logging.getLogRecordFactory()
    server = logging.getLogger("aiohttp.server")
    old_filters = server.filters[:]
    monkeypatch.setattr(logmask, "_installed", False)
    logmask.install()
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False,
                               "handlers": {"s": {"class": "logging.StreamHandler", "stream": stream}},
                               "root": {"handlers": ["s"], "level": "INFO"}})
    yield stream
    logging.setLogRecordFactory(old_factory)
    server.filters[:] = old_filters
    root.handlers[:] = old_handlers
    root.setLevel(old_level)


def test_every_logger_is_masked_after_any_reconfiguration(captured: io.StringIO) -> None:
    logging.getLogger("sanic.access").info("request from %s", "+49 171 7654321")
    logging.getLogger("rasa.core.processor").warning("user %s", "erika@example.de")
    output = captured.getvalue()
    assert "7654321" not in output and "erika@" not in output
    assert output.count("<number>") == 1 and output.count("<email>") == 1


def test_exception_texts_are_masked(captured: io.StringIO) -> None:
    try:
        raise ValueError("no chat 918273645 for erika@example.de")
    except ValueError:
        logging.getLogger("x").exception("send failed")
    output = captured.getvalue()
    assert "Traceback" in output and "ValueError: no chat <number> for <email>" in output
    assert "918273645" not in output


def test_a_broken_format_call_is_logged_not_raised(captured: io.StringIO) -> None:
    logging.getLogger("x").info("two %s %s", "+49 171 7654321")
    assert "7654321" not in captured.getvalue() and "arguments dropped" in captured.getvalue()


def test_malformed_requests_are_one_line_without_their_bytes(captured: io.StringIO) -> None:
    from aiohttp.http_exceptions import LineTooLong

    try:
        raise LineTooLong("/webhooks/telegram?name=Erika+Mustermann", "8190")
    except LineTooLong:
        logging.getLogger("aiohttp.server").exception("Error handling request from 127.0.0.1")
    output = captured.getvalue()
    assert output.strip() == "malformed request refused: LineTooLong"
