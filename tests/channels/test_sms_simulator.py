"""The SMS simulator: a chat through an in-process gateway and the fake Twilio (echo core, no Rasa)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.channels.conftest import REDIS_URL
from tools import sms_simulator


async def typed(*lines: str) -> AsyncIterator[str]:
    for line in lines:
        yield line


async def test_simulator_chats_and_shows_segments_and_encoding(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setattr(sms_simulator, "QUIET_S", 0.3)
    args = sms_simulator.parse_args(["--echo-core", "--wait", "10", "--number", "+4915100000001"])
    out = io.StringIO()
    code = await sms_simulator.run(args, typed("Hallo", "1", "Was kostet 😀?", "/quit", "never read"), out,
                                   interactive=False)
    text = out.getvalue()
    assert code == 0
    assert "Sie schreiben als +4915100000001" in text
    assert "<< [1 Segment, GSM-7, " in text and "| Datenschutz:" in text  # first contact
    assert "| 1 Personalausweis\n  | 2 Termin vereinbaren" in text  # the numbered menu
    assert '| Echo: /faq{"topic":"personalausweis"}' in text  # "1" chose the first entry
    assert "<< [1 Segment, UCS-2, 19 Zeichen]\n  | Echo: Was kostet 😀?" in text
    assert "never read" not in text
