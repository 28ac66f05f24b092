#!/usr/bin/env python3
"""`make chaos`: the whole system under a scripted load while its parts fail; prints one JSON line.

    {"accepted", "answered_once", "answered_twice", "lost", "order_violations",
     "reply_p99_ms_outside_faults"}

Targets: lost 0, answered_twice 0, order_violations 0 (exit code 1 otherwise).
Progress goes to stderr; the processes' logs stay in a temporary folder when
a target is missed.

The system, on free loopback ports beside anything else running (``make run``
included): its own redis-server (append-only, ``appendfsync always``), the
NLG endpoint, the action server, one Rasa server with the newest model under
models/ (``BENCH_MODEL`` to choose; ``make train`` if there is none) and two
gateways (``python -m channels``, each with its worker process). Telegram and
Twilio are the local fakes of their APIs (``tests/channels/fake_*.py``); the
real client libraries talk to them. The load (``chaos_load.py``): MESSAGES
messages over CONVERSATIONS conversations, a third each on Telegram, SMS and
the web chat, open loop at RATE messages/s; a refused delivery is resent to
the next gateway, as the channels retry; 10 % are delivered two or three times.

Faults, one after the other, at fixed shares of the sending time:

* 15 %: gateway 0 is killed with SIGKILL - its whole process group, web and
  worker process, as when its container or machine dies - and started again
  after GATEWAY_DOWN_S (5 s: deliveries to it are refused meanwhile and resent).
  Recovered: its health check answers again.
* 35 %: the Rasa server is stopped (SIGTERM) and started again after
  RASA_PAUSE s (30). Recovered: it serves the model again.
* 65 %: Redis is stopped (SIGTERM; with ``appendfsync always`` every
  acknowledged write is on disk) and started again on its port and folder
  after REDIS_DOWN_S (3 s: the gateways answer webhooks 503 meanwhile).
  Recovered: it accepts connections.

A fault window runs from the fault's start to its recovery + 10 s
(``chaos_account.GRACE_S``); the reply p99 counts only messages whose whole
way (first delivery attempt to last reply item) lies outside every window.
How answers are matched to messages: ``chaos_account.py``.

``--quick`` (the test, tests/channels/test_chaos_e2e.py): 150 messages over 15
conversations at 3/s, Rasa away for 10 s; every fault is still injected. It
takes 2-4 minutes, most of it Rasa loading its model twice (over 6 minutes
were seen while other jobs kept the 2-core machine at a load average of 8).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stack as st
from rasa_env import GATEWAY_PYTHON, ROOT

sys.path.insert(0, str(ROOT))
import aiohttp
import bench_gateway as bg
import redis.asyncio as aioredis
from bench_scale import Proc, World, newest_model, run_stack, start_world
from chaos_account import Fault, Received, account, delivery_key
from chaos_load import ORIGIN, PUBLIC_BASE_URL, Citizens, Message, run_load

from channels.messages import Channel
from tests.channels import fake_twilio
from tests.channels.fake_telegram import SECRET as TELEGRAM_SECRET
from tests.channels.fake_telegram import TOKEN as TELEGRAM_TOKEN
from tests.channels.fake_telegram import FakeBotApi

LOOPBACK = st.LOOPBACK
PREFIX = "chaos"
STALL_S = 120.0  # no reply item for this long after the load: the rest counts as lost
QUIET_S = 5.0  # once every message has an answer: wait this long for trailing items
GATEWAY_DOWN_S = 5.0
REDIS_DOWN_S = 3.0
TARGETS = ("lost", "answered_twice", "order_violations")


def say(message: str) -> None:
    print(f"[chaos] {message}", file=sys.stderr, flush=True)


def gateway_procs(world: World, rasa: Proc, telegram: FakeBotApi, twilio: fake_twilio.FakeTwilio,
                  pseudonym_key: str) -> list[Proc]:
    """Two gateways with every citizen channel on, pointed at the fakes and the one Rasa server."""
    procs = []
    for number in range(2):
        port, internal = st.free_port(), st.free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "REDIS_URL": world.redis_url,
               "GATEWAY_REDIS_PREFIX": PREFIX, "PSEUDONYM_KEY": pseudonym_key,
               "RASA_URL": rasa.ready_url.split("/status", 1)[0], "RASA_TOKEN": world.token,
               "ACTION_SERVER_URL": f"http://{LOOPBACK}:{world.action_port}",
               "GATEWAY_HOST": LOOPBACK, "GATEWAY_PORT": str(port), "INTERNAL_HOST": LOOPBACK,
               "INTERNAL_PORT": str(internal), "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
               "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
               "TELEGRAM_MODE": "webhook", "TELEGRAM_API_BASE": telegram.base,
               "TWILIO_ACCOUNT_SID": twilio.account_sid, "TWILIO_AUTH_TOKEN": twilio.auth_token,
               "TWILIO_FROM_NUMBER": fake_twilio.FROM_NUMBER, "TWILIO_API_BASE": twilio.url,
               "TWILIO_WHATSAPP_FROM": "", "TWILIO_MESSAGING_SERVICE_SID": "",
               "WEBCHAT_SESSION_SECRET": secrets.token_urlsafe(32), "WEBCHAT_ALLOWED_ORIGINS": ORIGIN,
               # every citizen of the load comes from 127.0.0.1 and asks more than a citizen would
               "WEBCHAT_CONNECTIONS_PER_IP_PER_MINUTE": "100000",
               "WEBCHAT_MESSAGES_PER_IP_PER_MINUTE": "100000", "SMS_DAILY_CAP_PER_NUMBER": "1000",
               "TEST_CHANNEL_TOKEN": "", "CASE_SERVICE_TOKEN": "", "DATABASE_URL": ""}
        procs.append(Proc(f"gateway-{number}", [str(GATEWAY_PYTHON), "-m", "channels"], env,
                          f"http://{LOOPBACK}:{internal}/healthz", world.work / f"gateway-{number}.log", 60))
    # one webchat secret for both: a session issued by one gateway is valid at the other
    for proc in procs[1:]:
        proc.env["WEBCHAT_SESSION_SECRET"] = procs[0].env["WEBCHAT_SESSION_SECRET"]
    return procs


@contextlib.contextmanager
def fault(faults: list[Fault], name: str) -> Any:
    say(f"fault: {name}")
    start = time.monotonic()
    yield
    faults.append(Fault(name, start, time.monotonic()))
    say(f"recovered from {name} after {faults[-1].recovered - start:.0f} s")


class Chaos:
    """The running system and the faults done to it."""

    def __init__(self, world: World, rasa: Proc, gateways: list[Proc], redis_port: int) -> None:
        self.world = world
        self.rasa = rasa
        self.gateways = gateways
        self.redis_port = redis_port
        self.faults: list[Fault] = []

    def redis_process(self) -> subprocess.Popen:
        return next(p for name, p in reversed(self.world.stack.processes) if name == "redis")

    async def inject(self, sending_s: float, rasa_pause_s: float) -> None:
        start = time.monotonic()

        async def at(share: float) -> None:
            await asyncio.sleep(max(0.0, start + share * sending_s - time.monotonic()))

        stack = self.world.stack
        await at(0.15)
        victim = self.gateways[0]
        with fault(self.faults, "gateway 0 killed (SIGKILL, web and worker process)"):
            assert victim.process is not None
            os.killpg(victim.process.pid, signal.SIGKILL)
            await asyncio.to_thread(victim.process.wait)
            await asyncio.sleep(GATEWAY_DOWN_S)
            await asyncio.to_thread(victim.start, stack)
        await at(0.35)
        with fault(self.faults, f"Rasa stopped (SIGTERM) for {rasa_pause_s:g} s"):
            await asyncio.to_thread(self.rasa.stop)
            await asyncio.sleep(rasa_pause_s)
            await asyncio.to_thread(self.rasa.start, stack)
        await at(0.65)
        with fault(self.faults, "Redis restarted (SIGTERM, AOF with appendfsync always)"):
            redis = self.redis_process()
            os.killpg(redis.pid, signal.SIGTERM)
            await asyncio.to_thread(redis.wait, 60)
            await asyncio.sleep(REDIS_DOWN_S)
            work = self.world.work
            await asyncio.to_thread(st.start_redis, stack, self.redis_port, work / "redis",
                                    work / "redis.log", True)


async def wait_for_answers(messages: list[Message], citizens: Citizens,
                           records: Callable[[], Awaitable[dict[str, str]]]) -> None:
    """Until every acknowledged message has a delivery record, as long as records keep coming."""
    last, progress = -1, time.monotonic()
    while time.monotonic() - progress < STALL_S:
        citizens.finish_ids(messages)
        found = await records()
        answered = {key.rsplit(":", 2)[1] for key in found}  # <prefix>:sent:<message id>:<index>
        if all(m.mid in answered for m in messages if m.acked):
            await asyncio.sleep(QUIET_S)
            return
        if len(found) != last:
            last, progress = len(found), time.monotonic()
        await asyncio.sleep(1.0)
    say(f"no reply for {STALL_S:.0f} s; counting the rest as lost")


async def run(world: World, args: argparse.Namespace, questions: list[str]) -> dict[str, Any]:
    [rasa] = await asyncio.to_thread(world.ensure_rasa, 1)
    telegram, twilio = FakeBotApi(TELEGRAM_TOKEN), fake_twilio.FakeTwilio()
    await telegram.start()
    await twilio.start()
    pseudonym_key = secrets.token_urlsafe(32)
    redis_port = int(world.redis_url.rsplit(":", 1)[1].split("/", 1)[0])
    gateways = gateway_procs(world, rasa, telegram, twilio, pseudonym_key)
    chaos = Chaos(world, rasa, gateways, redis_port)
    messages: list[Message] = []
    redis = aioredis.Redis.from_url(world.redis_url, decode_responses=True)

    async def records() -> dict[str, str]:
        keys = [key async for key in redis.scan_iter(match=f"{PREFIX}:sent:*", count=1000)]
        values = await redis.mget(keys) if keys else []
        return dict(zip(keys, values, strict=True))

    try:
        await asyncio.gather(*(asyncio.to_thread(proc.start, world.stack) for proc in gateways))
        urls = [f"http://{LOOPBACK}:{p.env['GATEWAY_PORT']}" for p in gateways]
        sending_s = args.messages / args.rate
        say(f"{args.messages} messages over {args.conversations} conversations (Telegram, SMS, web chat) "
            f"at {args.rate:g}/s for {sending_s:.0f} s, with faults")
        async with aiohttp.ClientSession() as http:
            citizens = Citizens(http, urls, telegram, pseudonym_key, args.conversations)
            try:
                await asyncio.gather(run_load(citizens, questions, args.messages, args.rate, messages),
                                     chaos.inject(sending_s, args.rasa_pause))
                say("load sent; waiting for the answers")
                await wait_for_answers(messages, citizens, records)
                citizens.finish_ids(messages)
            finally:
                await citizens.close()
        by_item: dict[str, dict[str, str]] = {}
        for key, value in (await records()).items():
            _, _, mid, index = key.split(":", 3)
            by_item.setdefault(mid, {})[index] = value
        received: dict[tuple[str, str], Received] = {}
        for sent in telegram.sent:
            received[delivery_key(Channel.TELEGRAM, 0, str(sent.message_id))] = Received(
                str(sent.chat_id), sent.text, sent.at)
        for sms in twilio.messages:
            received[delivery_key(Channel.SMS, 0, sms.sid)] = Received(sms.to, sms.body, sms.at)
        for conversation, citizen in citizens.webchat.items():
            for seq, at in citizen.bot_entries.items():
                received[delivery_key(Channel.WEBCHAT, conversation, str(seq))] = Received(
                    str(conversation), "", at)
        return account(messages, by_item, received, chaos.faults)
    finally:
        await redis.aclose()
        for proc in gateways:
            await asyncio.to_thread(proc.stop)
        await telegram.stop()
        await twilio.stop()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--rate", type=float, default=2.0, help="messages per second (open loop)")
    parser.add_argument("--rasa-pause", type=float, default=30.0, help="seconds Rasa stays stopped")
    parser.add_argument("--keep-logs", action="store_true", help="keep the work folder even on success")
    parser.add_argument("--quick", action="store_true",
                        help="150 messages over 15 conversations at 3/s, Rasa away 10 s")
    args = parser.parse_args(argv)
    if args.quick:
        args.messages, args.conversations, args.rate, args.rasa_pause = 150, 15, 3.0, 10.0
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)

    def body(stack: st.Stack, work: Path) -> int:
        model = newest_model()
        questions = bg.german_faq_questions()
        say(f"model {model.name}; work folder {work}")
        world = start_world(stack, work, model, prefix=PREFIX, fsync_always=True)
        result = asyncio.run(run(world, args, questions))
        print(json.dumps(result), flush=True)
        return 1 if any(result[name] for name in TARGETS) else 0

    return run_stack("chaos-", body, say, keep=args.keep_logs)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
