"""daten_auskunft and daten_loeschen end to end, and what is left afterwards in every store.

Everything real: a redis-server of its own with append-only persistence in a temp folder
(so its AOF files can be searched), the Rasa server and action server on that Redis, the case
service (``python -m backoffice``, SQLite) and the gateway with the test channel. A citizen
writes personal details, has a case, asks what is stored, then has it erased. Afterwards no
Redis key, value or stream entry, no AOF file and no SQL row holds their texts, their channel
id or their pseudonym, and Redis holds no reference number of theirs either.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from channels.app import KEYS
from channels.messages import Channel
from channels.pseudonym import conversation_id
from tests.channels import case_service
from tests.channels.conftest import PSEUDONYM_KEY, Gateway
from tests.channels.fakes import Sink
from tests.channels.real_core import _model, st
from tests.e2e.answers import answer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

USER = "tc-erika-4711-0176"  # the test channel's user id (a phone number on SMS)
CONV = conversation_id(PSEUDONYM_KEY.encode(), Channel.TEST, USER)
PERSONAL = ("Erika Mustermann", "Lindenweg 12", "erika.mustermann@example.org", "Schlagloch am Lindenweg")


@dataclass(frozen=True)
class Stack:
    redis_url: str
    aof_dir: Path
    database: Path
    rasa_url: str
    action_server_url: str
    rasa_token: str
    tracker_prefix: str
    case_service_url: str


@pytest.fixture
def stack(tmp_path: Path, prefix: str) -> Iterator[Stack]:
    processes = st.Stack()
    cases = case_service.CaseService(tmp_path, prefix)
    try:
        redis_url = st.start_redis(processes, st.free_port(), tmp_path / "redis", tmp_path / "redis.log",
                                   fsync_always=True)
        cases.env["REDIS_URL"] = redis_url
        cases.start()
        tracker_prefix, token = f"rc{secrets.token_hex(5)}", secrets.token_urlsafe(16)
        action_port, rasa_port = st.free_port(), st.free_port()
        nlg = st.Nlg(f"{cases.url}/nlg", case_service.TOKEN)  # python -m backoffice serves the answers too
        env = {**st.endpoint_environ(redis_url, action_port, 3600, nlg, prefix=tracker_prefix),
               "CASE_SERVICE_URL": cases.url, "CASE_SERVICE_TOKEN": case_service.TOKEN}
        st.start_action_server(processes, action_port, env, tmp_path / "actions.log")
        st.start_rasa(processes, _model(), rasa_port, token, env, tmp_path / "rasa.log")
        yield Stack(redis_url, tmp_path / "redis" / "appendonlydir", tmp_path / "cases.db",
                    f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}", token,
                    tracker_prefix, cases.url)
    finally:
        cases.stop()
        processes.stop()


async def say(http: aiohttp.ClientSession, gateway: Gateway, sink: Sink, mid: str,
              **message: Any) -> list[dict[str, Any]]:
    """One message; the bodies delivered for it, once 2 s pass without another."""
    before = len([d for d in sink.deliveries if d["to"] == USER])
    status, _ = await gateway.send(http, user=USER, id=mid, **message)
    assert status == 200
    await sink.wait_for(lambda: len([d for d in sink.deliveries if d["to"] == USER]) > before, 90)
    while True:
        count = len(sink.deliveries)
        try:
            await sink.wait_for(lambda seen=count: len(sink.deliveries) > seen, 2)
        except TimeoutError:
            return [d["body"] for d in sink.deliveries if d["to"] == USER][before:]


async def _redis_dump(client: aioredis.Redis) -> str:
    """Every key of the test's own Redis with its value; streams with their entries."""
    lines = []
    async for key in client.scan_iter(count=1000):
        kind = await client.type(key)
        reader = {"string": lambda k: _raw_string(client, k), "hash": client.hgetall, "set": client.smembers,
                  "list": lambda k: client.lrange(k, 0, -1), "zset": lambda k: client.zrange(k, 0, -1),
                  "stream": client.xrange}.get(kind)
        lines.append(f"{key} {await reader(key) if reader else kind}")
    return "\n".join(lines)


async def _raw_string(client: aioredis.Redis, key: str) -> str:
    """A string value as text even when it is binary (the analytics' HyperLogLogs)."""
    value = await client.execute_command("GET", key, NEVER_DECODE=True)
    return value.decode("utf-8", "replace") if value is not None else ""


async def _rewrites_done(client: aioredis.Redis, at_least: int) -> None:
    for _ in range(300):
        info = await client.info("persistence")
        if (int(info["aof_rewrites"]) >= at_least and not int(info["aof_rewrite_in_progress"])
                and not int(info["aof_rewrite_scheduled"])):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("the AOF rewrite did not finish")


def _sql_dump(database: Path) -> str:
    with sqlite3.connect(database) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return "\n".join(str(row) for table in tables for row in db.execute(f'SELECT * FROM "{table}"'))


async def test_data_access_then_erasure_leaves_nothing_of_the_citizen(
        stack: Stack, make_settings, start_gateway, sink: Sink, http: aiohttp.ClientSession) -> None:
    gateway = await start_gateway(make_settings(
        redis_url=stack.redis_url, rasa_url=stack.rasa_url, rasa_token=stack.rasa_token,
        action_server_url=stack.action_server_url, rasa_timeout_s=60, tracker_key_prefix=stack.tracker_prefix,
        case_service_url=stack.case_service_url, case_service_token=case_service.TOKEN,
        database_url=f"sqlite:///{stack.database}"))
    client = aioredis.Redis.from_url(stack.redis_url, decode_responses=True)
    try:
        async with http.post(f"{stack.case_service_url}/api/v1/cases", headers={
                "Authorization": f"Bearer {case_service.TOKEN}"}, json={
                "idempotency_key": f"{CONV}:m0", "kind": "maengelmeldung", "conversation_id": CONV,
                "channel": "test", "language": "de",
                "data": {"category": "road_damage", "description": "Schlagloch am Lindenweg"},
                "place": {"town": "iserlohn", "address": "Lindenweg 12", "lat": None, "lon": None},
                "contact": {"name": "Erika Mustermann", "email": "erika.mustermann@example.org"}}) as reply:
            assert reply.status == 201
            reference = (await reply.json())["reference"]

        await say(http, gateway, sink, "m1", text="Guten Tag, ich bin Erika Mustermann.")
        tracker = f"{stack.tracker_prefix}:tracker:{CONV}"
        assert 0 < await client.ttl(tracker) <= 3600  # record_exp: the tracker expires by itself

        bodies = await say(http, gateway, sink, "m2", text="Welche Daten speichern Sie über mich?")
        texts = [b.get("text", "") for b in bodies]
        assert texts[0] == answer("daten_auskunft")
        assert any("2 Nachrichten von Ihnen" in t and "1 Tag nach Ihrer letzten Nachricht" in t
                   for t in texts)
        assert any(reference in t and "Mängelmeldung" in t and "90 Tage nach Abschluss" in t for t in texts)
        address = next(t for t in texts if t.startswith("Ihre Adresse in diesem Kanal (Test)"))
        assert "•••" in address and USER not in address and "30 Tage nach Ihrer letzten" in address

        bodies = await say(http, gateway, sink, "m3", text="Bitte löschen Sie meine Daten.")
        assert bodies[0]["text"] == answer("daten_loeschen")
        question = bodies[-1]
        assert question["text"] == "Soll ich jetzt alles löschen?"
        assert [b["payload"] for b in question["buttons"]] == ["/affirm", "/deny"]

        rewrites = int((await client.info("persistence"))["aof_rewrites"])
        bodies = await say(http, gateway, sink, "m4", payload="/affirm")
        assert bodies[-1]["text"].startswith("Ihre Daten werden jetzt gelöscht.")
        await _rewrites_done(client, rewrites + 2)  # after the erasure and after the confirmation left
        for _ in range(50):  # the sender deletes the delivered confirmation from the outbox
            if not await client.xlen(f"{gateway.public[KEYS].outbox(Channel.TEST)}"):
                break
            await asyncio.sleep(0.1)

        needles = (*PERSONAL, USER, CONV)
        in_redis = await _redis_dump(client)
        for needle in (*needles, reference):
            assert needle not in in_redis, needle
        aof = b"".join(path.read_bytes() for path in sorted(stack.aof_dir.iterdir()))
        assert aof  # the AOF exists and was searched
        for needle in (*needles, reference):
            assert needle.encode() not in aof, needle
        rows = _sql_dump(stack.database)
        assert reference in rows  # the case stays for the records, without the citizen
        for needle in needles:
            assert needle not in rows, needle

        # the citizen can start anew: a fresh conversation that knows nothing of the old one
        bodies = await say(http, gateway, sink, "m5", text="Welche Daten speichern Sie über mich?")
        texts = [b.get("text", "") for b in bodies]
        assert any("1 Nachricht von Ihnen" in t for t in texts)
        assert not any(reference in t for t in texts)
    finally:
        await client.aclose()



