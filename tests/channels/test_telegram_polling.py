"""Long polling (getUpdates) through the same intake, and the webhook/poll command."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from channels.adapters.telegram import texts
from channels.adapters.telegram.botapi import ALLOWED_UPDATES, COMMAND_MENU, make_bot
from channels.adapters.telegram.polling import stop_if_cancelled
from channels.app import ADAPTERS, INTAKE
from channels.messages import Channel
from channels.telegram_cli import delete_webhook, main, set_commands, set_webhook, webhook_info
from tests.channels.conftest import CORE_TOKEN, PSEUDONYM_KEY, REDIS_URL, ROOT, Gateway, entries_added
from tests.channels.fake_telegram import SECRET, TOKEN, Citizen, FakeBotApi, Webhook, post_update


@pytest.fixture
def polling_settings(make_settings, api: FakeBotApi):
    return make_settings(telegram_bot_token=TOKEN, telegram_mode="polling", telegram_api_base=api.base)


def offsets(api: FakeBotApi) -> list[int]:
    return [int(c.params["offset"]) for c in api.calls_of("getUpdates") if c.params.get("offset") is not None]


async def test_polling_feeds_the_same_intake_and_confirms_what_it_took(polling_settings, start_gateway, api,
                                                                       core, http):
    api.webhook = Webhook("https://old.example/webhooks/telegram", SECRET, None, 40)  # left from webhook mode
    core.responder = lambda body: [{"text": f"Antwort auf: {body['text']}"}]
    gateway: Gateway = await start_gateway(polling_settings)
    erika = Citizen(api, 4711)
    assert await post_update(http, f"{gateway.url}/webhooks/telegram", erika.text("Hallo")) == 404
    adapter, intake = gateway.public[ADAPTERS][Channel.TELEGRAM], gateway.public[INTAKE]
    async with adapter.lifespan(intake):
        await api.wait_for(lambda: api.webhook is None and len(api.calls_of("getUpdates")) >= 1)
        first, second = erika.text("Erste Frage"), erika.text("Zweite Frage")
        await api.deliver(first)
        await api.deliver(second)
        await api.deliver(erika.sticker())
        await api.wait_for(lambda: len(api.sent) == 3)
        assert [r.body["text"] for r in core.requests] == ["Erste Frage", "Zweite Frage"]
        assert sorted(m.text for m in api.sent) == sorted(
            ["Antwort auf: Erste Frage", "Antwort auf: Zweite Frage", texts.UNSUPPORTED["de"]])
        await api.wait_for(lambda: bool(offsets(api)) and max(offsets(api)) == api._update_id + 1)
    assert api.calls_of("getUpdates")[0].params["allowed_updates"] == list(ALLOWED_UPDATES)
    assert api.pending == [] or all(u["update_id"] > second["update_id"] for u in api.pending)
    assert api.conflicts == 0


async def test_only_one_process_polls_and_another_takes_over(polling_settings, start_gateway, api, core):
    first, second = await start_gateway(polling_settings), await start_gateway(polling_settings)
    erika = Citizen(api, 4711)
    one = first.public[ADAPTERS][Channel.TELEGRAM].lifespan(first.public[INTAKE])
    other = second.public[ADAPTERS][Channel.TELEGRAM].lifespan(second.public[INTAKE])
    async with other:
        async with one:
            await api.deliver(erika.text("Eins"))
            await api.wait_for(lambda: len(core.requests) == 1)
            await asyncio.sleep(1.5)  # longer than the lease TTL: renewals kept one poller
            assert api.conflicts == 0
        await api.deliver(erika.text("Zwei"))  # the remaining process takes over
        await api.wait_for(lambda: len(core.requests) == 2, timeout=10)
    assert [r.body["text"] for r in core.requests] == ["Eins", "Zwei"]
    assert api.conflicts <= 1  # at most the moment of the takeover


async def test_webhook_commands(make_settings, api):
    settings = make_settings(telegram_bot_token=TOKEN, telegram_webhook_secret=SECRET,
                             telegram_api_base=api.base, public_base_url="https://buergerassistent.example")
    handle = make_bot(api.base, TOKEN)
    try:
        await handle.bot.initialize()
        api.pending.append(Citizen(api, 4711).text("alt"))
        said = await set_webhook(handle.bot, settings, drop_pending_updates=True)
        assert said.startswith("webhook set: https://buergerassistent.example/webhooks/telegram")
        assert api.webhook == Webhook("https://buergerassistent.example/webhooks/telegram", SECRET,
                                      list(ALLOWED_UPDATES), 40)
        assert api.pending == []
        api.pending.extend([Citizen(api, 4711).text("a"), Citizen(api, 4711).text("b")])
        api.last_webhook_error = (1_767_225_600, "Wrong response from the webhook: 503 Service Unavailable")
        info = await webhook_info(handle.bot)
        assert "url: https://buergerassistent.example/webhooks/telegram" in info
        assert "pending updates: 2" in info
        assert "last error: 2026-01-01 00:00:00 UTC: Wrong response from the webhook: 503" in info
        assert TOKEN not in info and SECRET not in info
        assert await delete_webhook(handle.bot) == "webhook deleted"
        assert api.webhook is None and len(api.pending) == 2
        await set_commands(handle.bot)
        assert [c["command"] for c in api.commands] == [name for name, _ in COMMAND_MENU]
    finally:
        await handle.close()


def _cli_env(api: FakeBotApi, prefix: str, **extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT),
            "PSEUDONYM_KEY": PSEUDONYM_KEY, "RASA_TOKEN": CORE_TOKEN, "REDIS_URL": REDIS_URL,
            "GATEWAY_REDIS_PREFIX": prefix, "GATEWAY_LEASE_TTL_MS": "1200", "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_MODE": "polling", "TELEGRAM_API_BASE": api.base, **extra}


async def test_the_command_line_says_what_happened_without_the_token(api, prefix, tmp_path, monkeypatch,
                                                                     capsys):
    monkeypatch.chdir(tmp_path)  # no .env from the working copy
    for name, value in _cli_env(api, prefix).items():
        monkeypatch.setenv(name, value)
    assert await asyncio.to_thread(main, ["info"]) == 0
    info = capsys.readouterr()
    assert "pending updates: 0" in info.out
    assert await asyncio.to_thread(main, ["set-webhook"]) == 2
    no_secret = capsys.readouterr()
    assert "TELEGRAM_WEBHOOK_SECRET is not set" in no_secret.err
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "999:wrong-token")
    assert await asyncio.to_thread(main, ["info"]) == 1
    wrong = capsys.readouterr()
    assert "rejected the bot token" in wrong.err
    for said in (info, no_secret, wrong):
        assert TOKEN not in said.out + said.err and "wrong-token" not in said.out + said.err


async def test_the_standalone_poller_queues_updates_for_the_gateway(api, prefix, tmp_path, rdb):
    process = subprocess.Popen([sys.executable, "-m", "channels.telegram_cli", "poll"],
                               env=_cli_env(api, prefix), cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        await api.wait_for(lambda: len(api.calls_of("getUpdates")) >= 1, timeout=20)
        await api.deliver(Citizen(api, 4711).text("Hallo aus dem Poller"))

        async def queued() -> int:
            return sum([await entries_added(rdb, f"{prefix}:in:{p}") for p in range(32)])

        for _ in range(100):
            if await queued():
                break
            await asyncio.sleep(0.05)
        assert await queued() == 1
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.to_thread(process.communicate, timeout=15)
    assert process.returncode == 0, stderr
    assert TOKEN not in stderr


async def test_a_loop_stops_even_when_a_library_swallowed_its_cancellation():
    swallowed = asyncio.Event()

    async def loop() -> None:
        while True:
            stop_if_cancelled()
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:  # what redis-py 8 sometimes does inside a command
                swallowed.set()

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.wait_for(swallowed.wait(), 1)
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 1)
