#!/usr/bin/env python3
"""`make bench-gateway`: throughput and latency of the gateway, with a fake and with the real core.

Prints one JSON line on stdout (progress goes to stderr)::

    {"fake_core": {"msgs_per_s", "ack_p50_ms", "ack_p99_ms", "reply_p50_ms", "reply_p99_ms"},
     "real_core": {"msgs_per_s", "reply_p50_ms", "reply_p99_ms", "direct_reply_p50_ms",
                   "ratio_vs_direct"}}

Everything runs in processes of its own on free loopback ports - its own
redis-server with a temporary data folder, its own gateway settings (only the
``test`` channel is on) - so it neither touches nor is disturbed by a running
``make run``.

* **fake core** measures the gateway itself: ``python -m channels`` with the
  ``test`` channel, the fake dialogue core of the tests (``FakeCore``, two
  responses per turn) and a sink that timestamps deliveries, both in a
  separate process so they do not share the load generator's event loop.
  Open loop: RATE messages/s for DURATION s over CONVERSATIONS conversations,
  sent on schedule whatever the gateway does (a closed loop would hide a slow
  gateway by sending less). ack = webhook response time; reply = send to the
  turn's last item at the sink; msgs_per_s = complete replies per second
  from the first send to the last reply.
* **real core** measures what the gateway adds to a real turn: the Rasa
  server and the action server behind the gateway, REAL_CONVERSATIONS
  conversations each sending FAQ questions (German examples from
  nlu_data/topics) one at a time, the next after the reply arrived; the same
  questions are sent directly to the connector for comparison. The two modes
  run in ABBA order (direct, gateway, gateway, direct) so that a change in the
  machine's background load hits both alike. ratio_vs_direct = gateway reply
  p50 / direct reply p50.

Percentiles are nearest-rank. stderr also shows the CPU each process used
per message and how much other processes took meanwhile (the figures of a
shared 2-core machine mean little without that). The gateway runs as
``make run`` runs it: a web process and GATEWAY_WORKER_PROCESSES worker
processes at lower CPU priority; ``--worker-processes 0`` runs everything in
one process for comparison. Every process is stopped on exit,
Ctrl-C or error; on error the logs are kept and their folder named.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stack as st
from rasa_env import GATEWAY_PYTHON, MODELS, RASA_PYTHON, ROOT

sys.path.insert(0, str(ROOT))
from channels.emergency import detect
from channels.messages import Channel
from channels.pseudonym import message_id

LOOPBACK = st.LOOPBACK
CHANNEL_TOKEN = secrets.token_urlsafe(24)
TURN_TIMEOUT_S = 180.0  # a real-core turn without any reply by then counts as missing
DRAIN_STALL_S = 30.0  # the fake-core run stops waiting for replies when none arrived for this long
FAKE_ITEMS_PER_TURN = 2  # FakeCore's default responder answers every turn with two messages
TARGET_ACK_P99_MS = 20.0
TARGET_RATIO = 1.10


def say(message: str) -> None:
    print(f"[bench-gateway] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p % of the values at or below it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


# --- CPU accounting: who used the machine during a run ---------------------------------------


CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK  # utime, stime


def worker_processes(pid: int, wait_s: float = 30.0) -> list[int]:
    """The gateway's worker processes (its children), once as many as configured have started."""
    expected = int(os.environ.get("GATEWAY_WORKER_PROCESSES", "1"))
    deadline = time.monotonic() + wait_s
    while True:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    children.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                continue
        if len(children) >= expected or time.monotonic() > deadline:
            return sorted(children)
        time.sleep(0.1)


def machine_busy_s() -> float:
    """CPU seconds all cores of the machine spent busy (not idle or waiting for I/O) so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / CLOCK_TICK


class CpuMeter:
    """CPU used by our processes and by everything else, summed over ``start``/``stop`` spans.

    The benchmark shares the machine's cores with whatever else runs; a
    figure is only interpretable together with how much CPU the gateway
    needed per message and how much other processes took meanwhile.
    """

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = {**pids, "load generator": os.getpid()}
        self._start: dict[str, float] = {}
        self._began = 0.0
        self.used: dict[str, float] = defaultdict(float)
        self.wall = 0.0

    def start(self) -> None:
        self._start = {name: process_cpu_s(pid) for name, pid in self.pids.items()}
        self._start[""] = machine_busy_s()
        self._began = time.monotonic()

    def stop(self) -> None:
        ours = 0.0
        for name, pid in self.pids.items():
            used = process_cpu_s(pid) - self._start[name]
            self.used[name] += used
            ours += used
        self.used["other processes"] += machine_busy_s() - self._start[""] - ours
        self.wall += time.monotonic() - self._began

    def summary(self, messages: int) -> str:
        cores = ", ".join(f"{name} {used / self.wall:.2f}" for name, used in self.used.items())
        per_message = ", ".join(f"{name} {self.used[name] / max(1, messages) * 1000:.1f}"
                                for name in self.pids if name != "load generator")
        return (f"CPU in cores over {self.wall:.0f} s: {cores} (of {os.cpu_count()}); "
                f"CPU ms per message: {per_message}")


# --- questions -------------------------------------------------------------------------------


def german_faq_questions() -> list[str]:
    """German examples of the FAQ topics, minus any the emergency fast path would answer
    (those never reach the dialogue core, so they would flatter the gateway)."""
    catalogue = yaml.safe_load((ROOT / "nlu_data" / "catalogue.yml").read_text(encoding="utf-8"))
    faq = {topic["id"] for topic in catalogue["topics"] if topic.get("kind") == "faq"}
    questions: list[str] = []
    for path in sorted((ROOT / "nlu_data" / "topics").glob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in content.get("nlu") or ():
            intent = str(block.get("intent", ""))
            if not intent.startswith("faq/") or intent[4:] not in faq:
                continue
            if (block.get("metadata") or {}).get("lang") != "de":
                continue
            for line in str(block.get("examples", "")).splitlines():
                text = line.strip().removeprefix("- ").strip()
                if text and detect(text, None) is None:
                    questions.append(text)
    if not questions:
        raise SystemExit("no German FAQ examples found in nlu_data/topics")
    return questions


# --- the fake world: FakeCore and a timestamping sink, in their own process ----------------------


class SinkRecorder:
    """The citizen's device of the ``test`` channel: timestamps every delivery.

    ``waiters`` lets a conversation wait for the first item of a message
    (real-core run); the times of all items are kept for the statistics.
    """

    def __init__(self) -> None:
        self.arrivals: dict[str, list[tuple[str, float]]] = defaultdict(list)
        self.count = 0
        self.waiters: dict[str, asyncio.Future[float]] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/", self._receive)
        app.router.add_get("/count", self._count)
        app.router.add_get("/arrivals", self._arrivals)
        return app

    async def _receive(self, request: web.Request) -> web.Response:
        data = await request.json()
        now = time.monotonic()  # CLOCK_MONOTONIC: the same clock in every process on this machine
        mid = str(data["message_id"])
        self.arrivals[mid].append((str(data["index"]), now))
        self.count += 1
        waiter = self.waiters.pop(mid, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(now)
        return web.Response(text='{"ok":true}', content_type="application/json")

    async def _count(self, request: web.Request) -> web.Response:
        return web.json_response({"count": self.count})

    async def _arrivals(self, request: web.Request) -> web.Response:
        return web.json_response(self.arrivals)


async def serve_fakes(core_port: int, sink_port: int, token: str) -> None:
    """Child process: FakeCore (the tests' fake connector) and the sink until SIGTERM."""
    from tests.channels.fakes import FakeCore

    core = FakeCore(token)
    core.port = core_port
    await core.start()
    runner = web.AppRunner(SinkRecorder().app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, LOOPBACK, sink_port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    await core.stop()


def start_fakes(stack: st.Stack, core_port: int, sink_port: int, token: str, log: Path) -> int:
    command = [str(GATEWAY_PYTHON), str(Path(__file__).resolve()), "--serve-fakes",
               str(core_port), str(sink_port)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_FAKE_CORE_TOKEN": token}
    with open(log, "ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    stack.add("fakes", process)
    st.wait_http(f"http://{LOOPBACK}:{core_port}/health", 30, process)
    st.wait_port(sink_port, 10)
    return process.pid


# --- the gateway under test --------------------------------------------------------------------


@dataclass(frozen=True)
class Redis:
    url: str
    pid: int


@dataclass(frozen=True)
class GatewayUnderTest:
    url: str
    pseudonym_key: str
    pid: int


@dataclass(frozen=True)
class GatewayConfig:
    """What every gateway process of one part of the benchmark shares."""

    redis_url: str
    prefix: str
    rasa_url: str
    rasa_token: str
    action_server_url: str
    sink_url: str
    pseudonym_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))


def start_gateway(stack: st.Stack, config: GatewayConfig, log: Path) -> GatewayUnderTest:
    """``python -m channels`` with default tuning and only the ``test`` channel on.

    Channel credentials a developer's .env may hold are blanked, so the
    benchmark never talks to Telegram or Twilio and measures one channel.
    Tuning settings in the environment (RASA_TIMEOUT_S, GATEWAY_PARTITIONS,
    GATEWAY_LOG_LEVEL, ...) reach the gateway, to compare settings.
    """
    port, internal_port = st.free_port(), st.free_port()
    env = {
        "REDIS_URL": config.redis_url,
        "GATEWAY_REDIS_PREFIX": config.prefix,
        "PSEUDONYM_KEY": config.pseudonym_key,
        "RASA_URL": config.rasa_url,
        "RASA_TOKEN": config.rasa_token,
        "ACTION_SERVER_URL": config.action_server_url,
        "TEST_CHANNEL_TOKEN": CHANNEL_TOKEN,
        "TEST_CHANNEL_SINK_URL": config.sink_url,
        "GATEWAY_HOST": LOOPBACK,
        "GATEWAY_PORT": str(port),
        "INTERNAL_HOST": LOOPBACK,
        "INTERNAL_PORT": str(internal_port),
        "PUBLIC_BASE_URL": f"http://{LOOPBACK}:{port}",
        "TELEGRAM_BOT_TOKEN": "",
        "TWILIO_ACCOUNT_SID": "",
        "TWILIO_AUTH_TOKEN": "",
        "WEBCHAT_SESSION_SECRET": "",
    }
    process = st.start_gateway(stack, env, internal_port, log)
    on = [line.split("channels on:", 1)[1].strip() for line in log.read_text(errors="replace").splitlines()
          if "channels on:" in line]
    if on and not on[-1].startswith("test;"):
        raise BenchError(f"the gateway under test must have only the test channel on: {on[-1]}")
    return GatewayUnderTest(f"http://{LOOPBACK}:{port}", config.pseudonym_key, process.pid)


def webhook_body(user: str, channel_message_id: str, text: str) -> bytes:
    return json.dumps({"user": user, "id": channel_message_id, "text": text},
                      ensure_ascii=False).encode("utf-8")


WEBHOOK_HEADERS = {"Authorization": f"Bearer {CHANNEL_TOKEN}", "Content-Type": "application/json"}


# --- fake core: open loop ----------------------------------------------------------------------


@dataclass
class Send:
    channel_message_id: str
    due: float  # scheduled send time
    started: float = 0.0
    acked: float = 0.0
    status: int = 0


async def _post_webhook(http: aiohttp.ClientSession, url: str, body: bytes, send: Send) -> None:
    send.started = time.monotonic()
    try:
        async with http.post(f"{url}/webhooks/test", data=body, headers=WEBHOOK_HEADERS) as reply:
            await reply.read()
            send.status = reply.status
    except (aiohttp.ClientError, TimeoutError):
        send.status = -1
    send.acked = time.monotonic()


async def _sink_get(http: aiohttp.ClientSession, sink_url: str, what: str) -> Any:
    async with http.get(f"{sink_url}/{what}") as reply:
        return await reply.json()


async def _wait_deliveries(http: aiohttp.ClientSession, sink_url: str, expected: int) -> int:
    """Wait until ``expected`` items arrived, as long as some arrive: a backlog drains, however
    slowly; DRAIN_STALL_S without any delivery means something is stuck or lost."""
    count, last_count, last_progress = 0, -1, time.monotonic()
    while count < expected and time.monotonic() - last_progress < DRAIN_STALL_S:
        await asyncio.sleep(0.5)
        count = int((await _sink_get(http, sink_url, "count"))["count"])
        if count != last_count:
            last_count, last_progress = count, time.monotonic()
    return count


async def _open_loop(http: aiohttp.ClientSession, url: str, bodies: Sequence[bytes],
                     rate: float) -> list[Send]:
    """Send each body at its scheduled time, without waiting for earlier ones to be acknowledged."""
    start = time.monotonic() + 0.05
    sends: list[Send] = []
    tasks: list[asyncio.Task[None]] = []
    for i, body in enumerate(bodies):
        due = start + i / rate
        pause = due - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        send = Send(f"msg-{i}", due)
        sends.append(send)
        tasks.append(asyncio.create_task(_post_webhook(http, url, body, send)))
        if i and i % int(rate * 10) == 0:
            say(f"fake core: {i} sent")
    await asyncio.gather(*tasks)
    return sends


async def measure_fake(gateway: GatewayUnderTest, sink_url: str, questions: list[str], rate: float,
                       duration: float, conversations: int, cpu: CpuMeter) -> dict[str, float]:
    # A few connections are in use at a time; the pool only fills when acks take long, and then
    # waiting for a connection is part of the ack time. No client timeout: an overloaded gateway
    # shows as long acks, not as errors (how many a 15 s channel would have retried is reported).
    connector = aiohttp.TCPConnector(limit=32)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None)) as http:
        say("fake core: warm-up (100 messages)")
        warm = [Send(f"warm-{i}", 0.0) for i in range(100)]
        await asyncio.gather(*(_post_webhook(http, gateway.url, webhook_body(
            f"warm-user-{i % 20}", s.channel_message_id, questions[i % len(questions)]), s)
            for i, s in enumerate(warm)))
        received = await _wait_deliveries(http, sink_url, len(warm) * FAKE_ITEMS_PER_TURN)

        rng = random.Random(1)
        bodies = [webhook_body(f"user-{i % conversations}", f"msg-{i}", rng.choice(questions))
                  for i in range(int(rate * duration))]
        say(f"fake core: {rate:g} messages/s for {duration:g} s over {conversations} conversations "
            "(open loop)")
        cpu.start()
        sends = await _open_loop(http, gateway.url, bodies, rate)
        acked = [s for s in sends if s.status == 200]
        expected = received + len(acked) * FAKE_ITEMS_PER_TURN
        say(f"fake core: last webhook acknowledged after {sends[-1].acked - sends[0].due:.1f} s; "
            "waiting for the replies")
        received = await _wait_deliveries(http, sink_url, expected)
        cpu.stop()
        arrivals: dict[str, list[list[Any]]] = await _sink_get(http, sink_url, "arrivals")
    return fake_figures(gateway, sends, arrivals, cpu)


def fake_figures(gateway: GatewayUnderTest, sends: list[Send], arrivals: dict[str, list[list[Any]]],
                 cpu: CpuMeter) -> dict[str, float]:
    key = gateway.pseudonym_key.encode("utf-8")
    acked = [s for s in sends if s.status == 200]
    ack_s = [s.acked - s.started for s in acked]
    lag_s = [s.started - s.due for s in sends]
    reply_s: list[float] = []
    last_reply = sends[0].due
    for send in acked:
        items = arrivals.get(message_id(key, Channel.TEST, send.channel_message_id), [])
        if len({index for index, _ in items}) >= FAKE_ITEMS_PER_TURN:
            done = max(t for _, t in items)
            reply_s.append(done - send.started)
            last_reply = max(last_reply, done)
    failed, missing = len(sends) - len(acked), len(acked) - len(reply_s)
    say(f"fake core: {len(acked)} acknowledged ({sum(a > 15 for a in ack_s)} after more than 15 s), "
        f"{failed} refused or failed, {len(reply_s)} answered, {missing} without a complete reply; "
        f"load generator behind schedule p99 {ms(percentile(lag_s, 99))} ms, max {ms(max(lag_s))} ms")
    say(f"fake core: {cpu.summary(len(sends))}")
    if failed or missing:
        raise BenchError(f"fake core: {failed} webhook failures, {missing} replies missing")
    return {
        "msgs_per_s": round(len(reply_s) / (last_reply - sends[0].due), 1),
        "ack_p50_ms": ms(percentile(ack_s, 50)),
        "ack_p99_ms": ms(percentile(ack_s, 99)),
        "reply_p50_ms": ms(percentile(reply_s, 50)),
        "reply_p99_ms": ms(percentile(reply_s, 99)),
    }


class BenchError(RuntimeError):
    """The system under test misbehaved (lost or refused messages): no figures are reported."""


def run_fake_phase(stacks: list[st.Stack], redis: Redis, work: Path, args: argparse.Namespace,
                   questions: list[str]) -> dict[str, float]:
    """Fake core and gateway are stopped before the real core starts (they would compete for CPU)."""
    phase = st.Stack()
    stacks.append(phase)
    try:
        core_port, sink_port = st.free_port(), st.free_port()
        core_token = secrets.token_urlsafe(16)
        say("fake core: starting the fake dialogue core and sink, and the gateway")
        fakes_pid = start_fakes(phase, core_port, sink_port, core_token, work / "fakes.log")
        core_url, sink_url = f"http://{LOOPBACK}:{core_port}", f"http://{LOOPBACK}:{sink_port}"
        config = GatewayConfig(redis.url, "benchfake", core_url, core_token, core_url, f"{sink_url}/")
        pids = {"fake core + sink": fakes_pid, "redis": redis.pid}
        gateway = start_gateway(phase, config, work / "gateway-fake.log")
        for number, pid in enumerate(worker_processes(gateway.pid)):
            pids[f"gateway worker {number}"] = pid
        cpu = CpuMeter({"gateway": gateway.pid, **pids})
        return asyncio.run(measure_fake(gateway, sink_url, questions, args.rate, args.duration,
                                        args.conversations, cpu))
    finally:
        phase.stop()


# --- real core: closed loop, through the gateway and directly -----------------------------------


@dataclass
class RealRun:
    latencies: list[float] = field(default_factory=list)
    missing: int = 0
    seconds: float = 0.0
    failed_actions: int = 0


@dataclass
class RealSetup:
    """What the real-core rounds talk to."""

    http: aiohttp.ClientSession
    rasa_url: str
    token: str
    gateway: GatewayUnderTest
    sink: SinkRecorder
    rasa_log: Path

    def failed_actions(self) -> int:
        """Rasa's failed calls to the action server so far: such a turn is answered without the
        action's events, and so does less work; they must not differ much between the modes."""
        return count_lines(self.rasa_log, "Failed to run custom action")


def count_lines(path: Path, needle: str) -> int:
    if not path.exists():
        return 0
    with path.open(encoding="utf-8", errors="replace") as lines:
        return sum(needle in line for line in lines)


async def _direct_conversation(setup: RealSetup, sender: str, questions: Sequence[str],
                               run: RealRun) -> None:
    headers = {"Authorization": f"Bearer {setup.token}"}
    for turn, text in enumerate(questions):
        body = {"sender": sender, "message_id": f"{sender}-{turn}", "channel": "webchat", "text": text,
                "metadata": {}}
        started = time.monotonic()
        try:
            async with setup.http.post(f"{setup.rasa_url}/webhooks/gateway/webhook", json=body,
                                       headers=headers) as reply:
                data = await reply.json()
                ok = reply.status == 200 and isinstance(data.get("messages"), list)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            ok = False
        if ok:
            run.latencies.append(time.monotonic() - started)
        else:
            run.missing += 1


async def _gateway_conversation(setup: RealSetup, user: str, questions: Sequence[str],
                                sent: dict[str, float], run: RealRun) -> None:
    """Next question once the first item of the reply arrived (the rest follows within ms)."""
    key = setup.gateway.pseudonym_key.encode("utf-8")
    loop = asyncio.get_running_loop()
    for turn, text in enumerate(questions):
        channel_message_id = f"{user}-{turn}"
        mid = message_id(key, Channel.TEST, channel_message_id)
        first_item = setup.sink.waiters[mid] = loop.create_future()
        send = Send(channel_message_id, 0.0)
        await _post_webhook(setup.http, setup.gateway.url, webhook_body(user, channel_message_id, text),
                            send)
        try:
            if send.status != 200:
                raise TimeoutError
            await asyncio.wait_for(first_item, TURN_TIMEOUT_S)
            sent[mid] = send.started
        except TimeoutError:
            setup.sink.waiters.pop(mid, None)
            run.missing += 1


async def _round(setup: RealSetup, mode: str, number: int, plan: list[list[str]], run: RealRun,
                 cpu: CpuMeter | None = None) -> None:
    tag = secrets.token_hex(3)
    senders = [f"bench-{tag}-r{number}-c{c}" for c in range(len(plan))]
    failed_before = setup.failed_actions()
    if cpu:
        cpu.start()
    started = time.monotonic()
    if mode == "direct":
        await asyncio.gather(*(_direct_conversation(setup, sender, questions, run)
                               for sender, questions in zip(senders, plan, strict=True)))
        seconds = time.monotonic() - started
    else:
        sent: dict[str, float] = {}
        await asyncio.gather(*(_gateway_conversation(setup, sender, questions, sent, run)
                               for sender, questions in zip(senders, plan, strict=True)))
        seconds = time.monotonic() - started
        await asyncio.sleep(0.5)  # the last turns' later items
        run.latencies += [max(t for _, t in setup.sink.arrivals[mid]) - at for mid, at in sent.items()]
    if cpu:
        cpu.stop()
    run.seconds += seconds
    run.failed_actions += setup.failed_actions() - failed_before
    turns = sum(len(questions) for questions in plan)
    say(f"real core: round {number} {mode}: {turns} turns in {seconds:.1f} s")


async def measure_real(gateway: GatewayUnderTest, sink_port: int, rasa_url: str, token: str,
                       rasa_log: Path, questions: list[str], args: argparse.Namespace,
                       pids: dict[str, int]) -> dict[str, float]:
    sink = SinkRecorder()
    runner = web.AppRunner(sink.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, LOOPBACK, sink_port).start()
    rng = random.Random(2)
    per_round = max(1, args.real_messages // args.rounds)
    plans = [[[rng.choice(questions) for _ in range(per_round)] for _ in range(args.real_conversations)]
             for _ in range(args.rounds)]
    runs = {"direct": RealRun(), "gateway": RealRun()}
    cpu = {mode: CpuMeter(pids) for mode in runs}
    # one connection per conversation: a direct turn holds its connection until Rasa answers
    connector = aiohttp.TCPConnector(limit=args.real_conversations)
    try:
        async with aiohttp.ClientSession(connector=connector,
                                         timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT_S)) as http:
            setup = RealSetup(http, rasa_url, token, gateway, sink, rasa_log)
            say("real core: warm-up (both ways)")
            warm = [[rng.choice(questions) for _ in range(2)] for _ in range(5)]
            for mode in runs:
                await _round(setup, mode, -1, warm, RealRun())
            for number, plan in enumerate(plans):
                # ABBA: direct first in even rounds, gateway first in odd ones
                for mode in ("direct", "gateway") if number % 2 == 0 else ("gateway", "direct"):
                    await _round(setup, mode, number, plan, runs[mode], cpu[mode])
    finally:
        await runner.cleanup()
    direct, through = runs["direct"], runs["gateway"]
    if direct.missing or through.missing:
        raise BenchError(f"real core: {direct.missing} direct and {through.missing} gateway turns "
                         "failed or got no reply")
    direct_p50, gateway_p50 = percentile(direct.latencies, 50), percentile(through.latencies, 50)
    for mode, run in runs.items():
        say(f"real core: {mode}: p50 {ms(percentile(run.latencies, 50))} ms, "
            f"p99 {ms(percentile(run.latencies, 99))} ms, {len(run.latencies) / run.seconds:.1f} turns/s, "
            f"{run.failed_actions} failed action server calls; {cpu[mode].summary(len(run.latencies))}")
    return {
        "msgs_per_s": round(len(through.latencies) / through.seconds, 1),
        "reply_p50_ms": ms(gateway_p50),
        "reply_p99_ms": ms(percentile(through.latencies, 99)),
        "direct_reply_p50_ms": ms(direct_p50),
        "ratio_vs_direct": round(gateway_p50 / direct_p50, 3),
    }


def newest_model() -> Path:
    """BENCH_MODEL, else the newest models/bot-*.tar.gz, else one trained now."""
    if os.environ.get("BENCH_MODEL"):
        return Path(os.environ["BENCH_MODEL"])
    models = sorted(MODELS.glob("bot-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if models:
        return models[-1]
    say("no trained model in models/: training one (a few minutes)")
    out = subprocess.run([str(RASA_PYTHON), str(ROOT / "scripts" / "train.py")], cwd=ROOT,
                         stdout=subprocess.PIPE, text=True, check=True)
    return Path(out.stdout.strip().splitlines()[-1])


def run_real_phase(stacks: list[st.Stack], redis: Redis, work: Path, args: argparse.Namespace,
                   questions: list[str]) -> dict[str, float]:
    model = newest_model()
    stack = st.Stack()
    stacks.append(stack)
    action_port, rasa_port, sink_port = st.free_port(), st.free_port(), st.free_port()
    token = secrets.token_urlsafe(24)
    nlg_url = st.start_nlg(stack, {"REDIS_URL": redis.url, "GATEWAY_REDIS_PREFIX": "benchrasa"},
                           work / "nlg.log")
    env = st.endpoint_environ(redis.url, action_port, 3600, nlg_url, prefix="benchrasa")
    say("real core: starting the action server")
    st.start_action_server(stack, action_port, env, work / "actions.log")
    say(f"real core: starting the Rasa server with {model.name} (loading takes a minute)")
    st.start_rasa(stack, model, rasa_port, token, env, work / "rasa.log")
    rasa_url = f"http://{LOOPBACK}:{rasa_port}"
    config = GatewayConfig(redis.url, "benchreal", rasa_url, token, f"http://{LOOPBACK}:{action_port}",
                           f"http://{LOOPBACK}:{sink_port}/")
    gateway = start_gateway(stack, config, work / "gateway-real.log")
    say(f"real core: {args.real_conversations} conversations x {args.real_messages} questions, "
        f"directly and through the gateway, in {args.rounds} rounds")
    try:
        pids = {name: process.pid for name, process in stack.processes}
        pids["redis"] = redis.pid
        return asyncio.run(measure_real(gateway, sink_port, rasa_url, token, work / "rasa.log", questions,
                                        args, pids))
    finally:
        stack.stop()
        # each of these is a turn Rasa ran twice (the gateway gave up waiting, Sanic cancelled it)
        retried = count_lines(work / "gateway-real.log", "retrying")
        say(f"real core: turns the gateway had to retry: {retried}")


# --- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=300.0, help="fake core: messages per second")
    parser.add_argument("--duration", type=float, default=60.0, help="fake core: seconds of load")
    parser.add_argument("--conversations", type=int, default=500, help="fake core: conversations")
    parser.add_argument("--real-conversations", type=int, default=50)
    # 6, not more: Rasa needs ~0.3 s of CPU per turn, so 2 x 50 x 6 turns take 3 minutes on an idle
    # machine and 7 on a busy one, which keeps the whole benchmark within its 15 minutes
    parser.add_argument("--real-messages", type=int, default=6, help="questions per conversation")
    parser.add_argument("--rounds", type=int, default=2, help="real core: ABBA rounds the questions "
                        "are split into")
    parser.add_argument("--worker-processes", type=int, help="GATEWAY_WORKER_PROCESSES of the gateway "
                        "under test (default: the gateway's default, 1; 0 = one process)")
    parser.add_argument("--only", choices=("fake", "real"), help="run one part (the JSON then has one key)")
    parser.add_argument("--serve-fakes", nargs=2, type=int, metavar=("CORE_PORT", "SINK_PORT"),
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def report_targets(result: dict[str, dict[str, float]]) -> None:
    fake, real = result.get("fake_core"), result.get("real_core")
    if fake is not None:
        verdict = "met" if fake["ack_p99_ms"] < TARGET_ACK_P99_MS else "MISSED"
        say(f"target fake_core.ack_p99_ms < {TARGET_ACK_P99_MS:g}: {verdict} ({fake['ack_p99_ms']})")
    if real is not None:
        verdict = "met" if real["ratio_vs_direct"] <= TARGET_RATIO else "MISSED"
        say(f"target real_core.ratio_vs_direct <= {TARGET_RATIO:g}: {verdict} ({real['ratio_vs_direct']})")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.worker_processes is not None:
        os.environ["GATEWAY_WORKER_PROCESSES"] = str(args.worker_processes)
    if args.serve_fakes:
        asyncio.run(serve_fakes(*args.serve_fakes, os.environ["BENCH_FAKE_CORE_TOKEN"]))
        return 0
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up on SIGTERM as on Ctrl-C
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    stacks = [st.Stack()]  # Redis first; each part adds (and stops) its own processes
    keep_logs = True
    try:
        questions = german_faq_questions()
        say(f"{len(questions)} German FAQ questions; work folder {work}")
        redis_url = st.start_redis(stacks[0], st.free_port(), work / "redis", work / "redis.log")
        redis = Redis(redis_url, stacks[0].processes[-1][1].pid)
        result: dict[str, dict[str, float]] = {}
        if args.only in (None, "fake"):
            result["fake_core"] = run_fake_phase(stacks, redis, work, args, questions)
        if args.only in (None, "real"):
            result["real_core"] = run_real_phase(stacks, redis, work, args, questions)
        report_targets(result)
        say(f"done in {time.monotonic() - began:.0f} s")
        print(json.dumps(result), flush=True)
        keep_logs = False
        return 0
    except KeyboardInterrupt:
        say("interrupted; stopping everything")
        return 130
    except (BenchError, TimeoutError, RuntimeError, subprocess.CalledProcessError) as exc:
        say(f"failed: {exc}")
        return 1
    finally:
        for stack in reversed(stacks):
            stack.stop()
        if keep_logs:
            say(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
