"""The simulator command: a person chats as a Telegram user in the terminal (here: piped stdin)."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

from channels.adapters.telegram import texts
from tests.channels.conftest import CORE_TOKEN, PSEUDONYM_KEY, REDIS_URL, ROOT, free_port
from tests.channels.fake_telegram import SECRET, TOKEN
from tools.telegram_simulator import lines, parse_args, run


async def simulate(args: list[str], typed: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT),
               "REDIS_URL": REDIS_URL, **env}
    command = [sys.executable, "-m", "tools.telegram_simulator", "--wait", "10", "--quiet", "0.4", *args]
    return await asyncio.to_thread(
        subprocess.run, command,
        input=typed, env=environ, cwd=cwd, capture_output=True, text=True, timeout=90)


async def test_chatting_with_buttons_location_and_a_sticker_against_its_own_gateway(tmp_path: Path) -> None:
    done = await simulate(["--echo-core"], "Hallo\n2\nSchaden melden\n/ort 51.35 7.69\n/sticker\n7\n/quit\n",
                          tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "<< Guten Tag! Wählen Sie ein Thema:\n   [1] Personalausweis\n   [2] Führerschein" in out
    # button 2 carries a payload over 64 bytes: it came back whole, through Redis
    assert '<< Echo: /faq{"topic":"fuehrerschein_umtausch","hinweis":"ein Payload über 64 Bytes"}' in out
    assert "<escaped> & https://www.maerkischer-kreis.de" in out  # shown as the citizen reads it
    assert "Wo genau ist der Schaden?" in out and "[📍 Standort senden" in out
    assert "<< Echo: [Standort]" in out
    assert f"<< {texts.UNSUPPORTED['de']}" in out
    assert "(keine Schaltfläche mit dieser Nummer)" in out
    assert "keine Antwort" not in out


async def test_it_connects_to_a_running_gateway(make_settings, start_gateway, core, tmp_path: Path) -> None:
    api_port = free_port()
    gateway = await start_gateway(make_settings(telegram_bot_token=TOKEN, telegram_webhook_secret=SECRET,
                                                telegram_api_base=f"http://127.0.0.1:{api_port}"))
    done = await simulate(["--gateway", gateway.url, "--api-port", str(api_port)],
                          "Wie melde ich mein Auto an?\n", tmp_path, TELEGRAM_BOT_TOKEN=TOKEN,
                          TELEGRAM_WEBHOOK_SECRET=SECRET, PSEUDONYM_KEY=PSEUDONYM_KEY, RASA_TOKEN=CORE_TOKEN)
    assert done.returncode == 0, done.stderr
    assert "<< echo: Wie melde ich mein Auto an?\n<< done: Wie melde ich mein Auto an?" in done.stdout
    assert [r.body["channel"] for r in core.requests] == ["telegram"]


async def test_connecting_needs_the_gateways_credentials(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    for name, value in {"PSEUDONYM_KEY": PSEUDONYM_KEY, "RASA_TOKEN": CORE_TOKEN}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    args = parse_args(["--gateway", "http://127.0.0.1:9", "--api-port", "8443"])
    assert await run(args, lines(io.StringIO("")), io.StringIO(), interactive=False) == 2
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err
