"""The SMS simulator: a chat through an in-process gateway and the fake Twilio (echo core, no Rasa)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.channels.conftest import CORE_TOKEN, PSEUDONYM_KEY, REDIS_URL, free_port
from tests.channels.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, PUBLIC_BASE_URL
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


async def test_it_connects_to_a_running_gateway(make_settings, start_gateway, core, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """``--gateway``: the simulator's fake Twilio takes the port the gateway's TWILIO_API_BASE names,
    and it signs with the credentials from the environment the gateway was started with."""
    twilio_port = free_port()
    gateway = await start_gateway(make_settings(
        twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN, twilio_from_number=FROM_NUMBER,
        twilio_api_base=f"http://127.0.0.1:{twilio_port}", public_base_url=PUBLIC_BASE_URL,
        gateway_lease_ttl_ms=15_000))
    monkeypatch.chdir(tmp_path)  # no .env
    for name, value in {"REDIS_URL": REDIS_URL, "PSEUDONYM_KEY": PSEUDONYM_KEY, "RASA_TOKEN": CORE_TOKEN,
                        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                        "PUBLIC_BASE_URL": PUBLIC_BASE_URL}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sms_simulator, "QUIET_S", 0.3)
    args = sms_simulator.parse_args(["--gateway", gateway.url, "--twilio-port", str(twilio_port),
                                     "--wait", "10", "--number", "+4915100000002"])
    out = io.StringIO()
    code = await sms_simulator.run(args, typed("Wie melde ich mein Auto an?", "/quit"), out,
                                   interactive=False)
    text = out.getvalue()
    assert code == 0
    assert f"Gateway: {gateway.url}" in text
    assert "| echo: Wie melde ich mein Auto an?\n  | done: Wie melde ich mein Auto an?" in text
    assert [r.body["channel"] for r in core.requests] == ["sms"]  # the running gateway's turn
