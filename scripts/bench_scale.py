#!/usr/bin/env python3
"""`make bench-scale`: the same load through 1 gateway + 1 Rasa, then 2 + 2 (and the mixed setups
with --mixed), then a rolling restart of every gateway and Rasa process under load.

Prints one JSON line on stdout (progress on stderr); exits 1 if any setup or the rolling restart
lost, duplicated or reordered a message (``violations``), keeping the logs::

    {"setups": [{"gateways", "rasa", "msgs_per_s", "reply_p99_ms", "lost", "duplicated",
                 "order_violations", "sent"}, ...],
     "rolling_restart": {"gateways", "rasa", "restarted", "msgs_per_s", "reply_p99_ms", "lost",
                         "duplicated", "order_violations", "sent"}}

Everything runs on free loopback ports with its own redis-server and temporary
folder, like ``make bench-gateway``, and with the real dialogue core: Rasa
servers with the newest trained model under models/ (``BENCH_MODEL`` to choose
one; none: stop with a message, train with ``make train``), one shared action
server, and ``python -m channels`` gateways (each with its worker process) that
spread the conversations over the Rasa servers with ``RASA_URLS``. The load is
open loop at RATE messages/s for DURATION s over CONVERSATIONS conversations
(``bench_scale_load.py`` says what is counted and how). Rasa servers are started
once and shared by the setups that use them; gateways are started per setup.

Rolling restart (on the largest setup): while the load runs, each gateway and
then each Rasa server is stopped with SIGTERM and started again on its port,
one after the other, each once the previous one is back.

On a shared 2-core machine the figures say little about capacity; ``--rate 1
--duration 15`` is a smoke check that the harness and the guarantees hold.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stack as st
from rasa_env import GATEWAY_PYTHON, MODELS, RASA_PYTHON, ROOT, rasa_environ

sys.path.insert(0, str(ROOT))
import aiohttp
import bench_gateway as bg
from aiohttp import web
from bench_scale_load import Load, account, say, wait_for_replies

LOOPBACK = st.LOOPBACK
STALL_S = 90.0  # replies may pause this long (a Rasa restart) before the rest counts as lost
RASA_START_S = 600.0  # loading a model on a busy machine


class BenchError(RuntimeError):
    """The benchmark could not run (no model, a process would not start)."""


def newest_model() -> Path:
    """BENCH_MODEL, else the newest models/bot-*.tar.gz; never trains (that takes the machine)."""
    if os.environ.get("BENCH_MODEL"):
        model = Path(os.environ["BENCH_MODEL"])
        if not model.exists():
            raise BenchError(f"BENCH_MODEL {model} does not exist")
        return model
    models = sorted(MODELS.glob("bot-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise BenchError(f"no trained model in {MODELS} (bot-*.tar.gz): run `make train` first, "
                         "or set BENCH_MODEL")
    return models[-1]


@dataclass
class Proc:
    """A process that can be stopped and started again on the same port."""

    name: str
    command: list[str]
    env: dict[str, str]
    ready_url: str
    log: Path
    timeout: float
    process: subprocess.Popen | None = None

    def start(self, stack: st.Stack) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        stack.add(self.name, self.process)
        st.wait_http(self.ready_url, self.timeout, self.process)

    def stop(self, timeout: float = 60) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@dataclass
class World:
    """What the setups share: Redis, the action server, the Rasa servers started so far."""

    stack: st.Stack
    work: Path
    redis_url: str
    model: Path
    token: str
    action_port: int
    nlg_url: st.Nlg
    rasa: list[Proc] = field(default_factory=list)
    core_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    prefix: str = "benchscale"  # Redis keys of Rasa and the NLG endpoint

    def rasa_env(self) -> dict[str, str]:
        return st.endpoint_environ(self.redis_url, self.action_port, 3600, self.nlg_url, prefix=self.prefix)

    def ensure_rasa(self, count: int) -> list[Proc]:
        while len(self.rasa) < count:
            port = st.free_port()
            number = len(self.rasa)
            command = [str(RASA_PYTHON), "-m", "rasa", "run", "--model", str(self.model), "--enable-api",
                       "--auth-token", self.token, "--interface", LOOPBACK, "--port", str(port),
                       "--credentials", "bot/credentials.yml", "--endpoints", "bot/endpoints.yml"]
            env = rasa_environ({**self.rasa_env(), "RASA_TOKEN": self.token})
            proc = Proc(f"rasa-{number}", command, env, f"http://{LOOPBACK}:{port}/status?token={self.token}",
                        self.work / f"rasa-{number}.log", RASA_START_S)
            say(f"starting Rasa server {number} with {self.model.name} (loading takes a minute or more)")
            proc.start(self.stack)
            self.rasa.append(proc)
        return self.rasa[:count]


def rasa_url(proc: Proc) -> str:
    return proc.ready_url.split("/status", 1)[0]


def gateway_procs(world: World, rasa: list[Proc], count: int, prefix: str, sink_url: str,
                  pseudonym_key: str) -> list[Proc]:
    procs = []
    for number in range(count):
        port, internal = st.free_port(), st.free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT),
               "REDIS_URL": world.redis_url, "GATEWAY_REDIS_PREFIX": prefix, "PSEUDONYM_KEY": pseudonym_key,
               "RASA_URL": rasa_url(rasa[0]), "RASA_URLS": ",".join(rasa_url(r) for r in rasa),
               "RASA_TOKEN": world.token, "ACTION_SERVER_URL": f"http://{LOOPBACK}:{world.action_port}",
               "TEST_CHANNEL_TOKEN": bg.CHANNEL_TOKEN, "TEST_CHANNEL_SINK_URL": sink_url,
               "GATEWAY_HOST": LOOPBACK, "GATEWAY_PORT": str(port), "INTERNAL_HOST": LOOPBACK,
               "INTERNAL_PORT": str(internal), "PUBLIC_BASE_URL": f"http://{LOOPBACK}:{port}",
               "TELEGRAM_BOT_TOKEN": "", "TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "",
               "WEBCHAT_SESSION_SECRET": "", "CASE_SERVICE_TOKEN": ""}
        log = world.work / f"{prefix}-gateway-{number}.log"
        procs.append(Proc(f"gateway-{number}", [str(GATEWAY_PYTHON), "-m", "channels"], env,
                          f"http://{LOOPBACK}:{internal}/healthz", log, 60))
    return procs


def public_url(proc: Proc) -> str:
    return f"http://{LOOPBACK}:{proc.env['GATEWAY_PORT']}"


async def run_setup(world: World, gateways: int, rasa_count: int, args: argparse.Namespace,
                    questions: list[str], restart: bool) -> dict[str, Any]:
    rasa = await asyncio.to_thread(world.ensure_rasa, rasa_count)
    sink = bg.SinkRecorder()
    runner = web.AppRunner(sink.app(), access_log=None)
    await runner.setup()
    sink_port = st.free_port()
    await web.TCPSite(runner, LOOPBACK, sink_port).start()
    tag = f"s{gateways}x{rasa_count}{'r' if restart else ''}-{secrets.token_hex(2)}"
    key = secrets.token_urlsafe(32)
    procs = gateway_procs(world, rasa, gateways, tag.replace("-", ""), f"http://{LOOPBACK}:{sink_port}/", key)
    try:
        for proc in procs:
            await asyncio.to_thread(proc.start, world.stack)
        say(f"{tag}: {gateways} gateway(s), {rasa_count} Rasa; {args.rate:g} msg/s over "
               f"{args.conversations} conversations" + (" during a rolling restart" if restart
                                                        else f" for {args.duration:g} s"))
        load = Load([public_url(p) for p in procs], key, questions, args.conversations, args.rate, tag)
        async with aiohttp.ClientSession() as http:
            sending = asyncio.create_task(load.run(http, None if restart else args.duration))
            restarted: list[str] = []
            if restart:
                await asyncio.sleep(args.duration / 2)
                for proc in [*procs, *rasa]:
                    say(f"{tag}: restarting {proc.name}")
                    await asyncio.to_thread(proc.stop)
                    await asyncio.to_thread(proc.start, world.stack)
                    restarted.append(proc.name)
                await asyncio.sleep(args.duration / 2)
                load.stop.set()
            await sending
            await wait_for_replies(sink.arrivals, load.sent, STALL_S)
        figures = account(load.sent, sink.arrivals)
        result: dict[str, Any] = {"gateways": gateways, "rasa": rasa_count, **figures}
        if restart:
            result["restarted"] = restarted
        return result
    finally:
        for proc in procs:
            await asyncio.to_thread(proc.stop)
        await runner.cleanup()


def setups(mixed: bool) -> list[tuple[int, int]]:
    return [(1, 1), (1, 2), (2, 1), (2, 2)] if mixed else [(1, 1), (2, 2)]


async def bench(world: World, args: argparse.Namespace, questions: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {"setups": []}
    for gateways, rasa in setups(args.mixed):
        result["setups"].append(await run_setup(world, gateways, rasa, args, questions, restart=False))
    if not args.no_restart:
        gateways, rasa = max(setups(args.mixed))
        result["rolling_restart"] = await run_setup(world, gateways, rasa, args, questions, restart=True)
    return result


def violations(result: dict[str, Any]) -> list[str]:
    """Each setup (and the rolling restart) that lost, duplicated or reordered a message: the guarantees
    this benchmark exists to check, so any of them makes the run fail (exit 1), whatever the throughput."""
    runs = [*result.get("setups", []), *([result["rolling_restart"]] if "rolling_restart" in result else [])]
    found = []
    for number, run in enumerate(runs):
        name = "rolling restart" if number == len(result.get("setups", [])) else "setup"
        bad = {key: run[key] for key in ("lost", "duplicated", "order_violations") if run.get(key, 0) > 0}
        if bad:
            found.append(f"{name} {run['gateways']} gateway(s) + {run['rasa']} Rasa: "
                         + ", ".join(f"{key} {count}" for key, count in bad.items()))
    return found


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=6.0, help="messages per second (open loop)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per setup")
    parser.add_argument("--conversations", type=int, default=30)
    parser.add_argument("--mixed", action="store_true", help="also 1 gateway + 2 Rasa and 2 + 1")
    parser.add_argument("--no-restart", action="store_true", help="skip the rolling restart")
    parser.add_argument("--keep-logs", action="store_true", help="keep the work folder even on success")
    return parser.parse_args(argv)


def start_world(stack: st.Stack, work: Path, model: Path, prefix: str = "benchscale",
                fsync_always: bool = False) -> World:
    """Redis of its own, the NLG endpoint and the action server; Rasa servers come with ``ensure_rasa``."""
    redis_url = st.start_redis(stack, st.free_port(), work / "redis", work / "redis.log", fsync_always)
    nlg_url = st.start_nlg(stack, {"REDIS_URL": redis_url, "GATEWAY_REDIS_PREFIX": prefix}, work / "nlg.log")
    world = World(stack, work, redis_url, model, secrets.token_urlsafe(24), st.free_port(), nlg_url,
                  prefix=prefix)
    st.start_action_server(stack, world.action_port, world.rasa_env(), work / "actions.log")
    return world


def run_stack(work_prefix: str, body: Callable[[st.Stack, Path], int],
              report: Callable[[str], None] = say, keep: bool = False) -> int:
    """``body(stack, work)`` with a fresh work folder; every process stopped afterwards, the folder
    (the processes' logs) kept if ``keep`` or ``body`` did not return 0. Its exit code, 130 on Ctrl-C."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix=work_prefix))
    stack = st.Stack()
    code = 1
    try:
        code = body(stack, work)
        report(f"done in {time.monotonic() - began:.0f} s")
    except KeyboardInterrupt:
        report("interrupted; stopping everything")
        code = 130
    except (BenchError, TimeoutError, RuntimeError) as exc:
        report(f"failed: {exc}")
    finally:
        with contextlib.suppress(Exception):
            stack.stop(timeout=30)
        if code or keep:
            report(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return code


def main(argv: list[str]) -> int:
    args = parse_args(argv)

    def body(stack: st.Stack, work: Path) -> int:
        model = newest_model()
        questions = bg.german_faq_questions()
        say(f"bench-scale: model {model.name}; work folder {work}")
        world = start_world(stack, work, model)
        result = asyncio.run(bench(world, args, questions))
        print(json.dumps(result), flush=True)
        if problems := violations(result):
            for problem in problems:
                say(f"FAILED: {problem}")
            return 1  # run_stack keeps the logs for the analysis
        return 0

    return run_stack("bench-scale-", body, keep=args.keep_logs)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
