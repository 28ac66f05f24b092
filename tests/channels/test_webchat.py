"""The web chat channel through a running gateway: origins, sessions, replay, dedupe, pub/sub.

A WebSocket client stands in for the browser (the browser tests in
``browser/`` drive the real widget); the fake dialogue core answers with
text and buttons.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from html.parser import HTMLParser
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from channels.adapter import AdapterDeps, WebhookRequest
from channels.adapters import enabled_adapters
from channels.adapters.webchat import WebChat
from channels.adapters.webchat.adapter import normalise_origin
from channels.app import ADAPTERS
from channels.errors import Unauthenticated
from channels.keys import Keys
from channels.messages import Channel
from channels.settings import Settings
from tests.channels.browser.live_gateway import settled, stop_robustly
from tests.channels.conftest import entries_added

SECRET = "webchat-secret-for-the-tests"
ORIGIN = "https://www.maerkischer-kreis.de"


def responder(body: dict[str, Any]) -> list[dict[str, Any]]:
    text = body["text"]
    if text.startswith("/"):
        return [{"text": f"gewählt: {text}"}]
    return [{"text": f"Antwort: {text}"},
            {"text": "Geholfen?", "buttons": [{"title": "Ja", "payload": "/affirm"},
                                             {"title": "Nein", "payload": "/deny"}]}]


@pytest.fixture
def chat_settings(make_settings, core):
    core.responder = responder

    def make(**overrides: Any) -> Settings:
        return make_settings(webchat_session_secret=SECRET, webchat_allowed_origins=ORIGIN, **overrides)

    return make


async def started(start_gateway, settings: Settings):
    gateway = await start_gateway(settings)
    await settled(gateway.public)
    return gateway


@pytest.fixture
async def gateway(chat_settings, start_gateway):
    gateway = await started(start_gateway, chat_settings())
    yield gateway
    await stop_robustly(gateway.stop)  # before start_gateway's own (then no-op) stop; see live_gateway


def webchat(gateway) -> WebChat:
    adapter = gateway.public[ADAPTERS][Channel.WEBCHAT]
    assert isinstance(adapter, WebChat)
    return adapter


class Browser:
    """A WebSocket client speaking the widget's protocol."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.token: str | None = None
        self.session: dict[str, Any] = {}

    async def next(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next frame of ``kind``; frames of other kinds in between are dropped."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.ws.receive()
                if message.type != aiohttp.WSMsgType.TEXT:
                    raise ConnectionError(f"socket closed: {message.type} {self.ws.close_code}")
                frame = json.loads(message.data)
                if frame["type"] == kind:
                    return frame

    async def frames_until(self, done, timeout: float = 5.0) -> list[dict[str, Any]]:
        frames: list[dict[str, Any]] = []
        async with asyncio.timeout(timeout):
            while not done(frames):
                message = await self.ws.receive()
                if message.type != aiohttp.WSMsgType.TEXT:
                    raise ConnectionError(f"socket closed: {message.type} {self.ws.close_code}")
                frames.append(json.loads(message.data))
        return frames

    async def hello(self, token: str | None = None, after: int = 0) -> dict[str, Any]:
        await self.ws.send_json({"type": "hello", "token": token, "after": after, "language": "de-DE"})
        self.session = await self.next("session")
        self.token = self.session["token"]
        return self.session

    async def say(self, text: str | None = None, cmid: str | None = None, token: str | None = None,
                  **extra: Any) -> str:
        cmid = cmid or uuid.uuid4().hex
        frame = {"type": "message", "token": token or self.token, "cmid": cmid, "language": "de-DE", **extra}
        if text is not None:
            frame["text"] = text
        await self.ws.send_json(frame)
        return cmid


async def connect(http: aiohttp.ClientSession, gateway, origin: str | None = ORIGIN) -> Browser:
    ws = await http.ws_connect(f"{gateway.url}/webchat/ws", origin=origin)
    return Browser(ws)


def bot_messages(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in frames if f["type"] == "message" and f["from"] == "bot"]


# --- switching on, origins -------------------------------------------------------------------


def test_the_channel_is_on_only_with_a_session_secret() -> None:
    def adapters(**values: Any) -> set[Channel]:
        settings = Settings(_env_file=None, pseudonym_key="k" * 16, rasa_token="t" * 8, **values)
        deps = AdapterDeps(settings, aioredis.Redis(), Keys("x"), None)  # type: ignore[arg-type]
        return set(enabled_adapters(deps))

    assert Channel.WEBCHAT not in adapters()
    assert Channel.WEBCHAT in adapters(webchat_session_secret=SECRET)
    with pytest.raises(ValueError, match="at least 16"):
        Settings(_env_file=None, pseudonym_key="k" * 16, rasa_token="t" * 8, webchat_session_secret="short")


@pytest.mark.parametrize(("value", "expected"), [
    ("https://www.maerkischer-kreis.de", ORIGIN),
    ("https://WWW.Maerkischer-Kreis.de:443/", ORIGIN),
    ("http://localhost:8080/path", "http://localhost:8080"),
    ("http://localhost:80", "http://localhost"),
    ("null", None),
    ("file:///etc/passwd", None),
    ("https://", None),
])
def test_origins_are_compared_as_browsers_send_them(value: str, expected: str | None) -> None:
    assert normalise_origin(value) == expected


@pytest.mark.parametrize("origin", [None, "https://evil.example", "null", "https://maerkischer-kreis.de.evil.example",
                                    "http://www.maerkischer-kreis.de"])
async def test_a_socket_from_another_origin_is_refused(gateway, http, rdb, prefix, origin) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(f"{gateway.url}/webchat/ws", origin=origin)
    assert refused.value.status == 403
    for kind in ("wc", "seen"):
        assert [key async for key in rdb.scan_iter(match=f"{prefix}:{kind}:*")] == []
    assert sum(await asyncio.gather(*(entries_added(rdb, f"{prefix}:in:{p}") for p in range(4)))) == 0


async def test_the_configured_and_the_gateways_own_origin_are_allowed(gateway, http) -> None:
    for origin in (ORIGIN, "http://localhost:8080"):  # PUBLIC_BASE_URL serves the demo page
        browser = await connect(http, gateway, origin)
        assert (await browser.hello())["new"] is True
        await browser.ws.close()


@pytest.mark.parametrize(("origin", "allowed"), [(ORIGIN, True), ("http://localhost:8080", True),
                                                 ("https://evil.example", False), (None, False)])
async def test_the_widget_can_ask_whether_its_origin_may_chat(gateway, http, origin, allowed: bool) -> None:
    headers = {"Origin": origin} if origin else {}
    async with http.get(f"{gateway.url}/webchat/origin", headers=headers) as reply:
        assert reply.status == 200
        assert await reply.json() == {"allowed": allowed}
        assert reply.headers["Access-Control-Allow-Origin"] == "*"  # readable by the refused page too
        assert "Access-Control-Allow-Credentials" not in reply.headers


async def test_verify_checks_origin_and_token_of_every_frame(gateway) -> None:
    adapter = webchat(gateway)
    _, token = adapter.tokens.issue()

    def frame(origin: str | None, token: str | None) -> WebhookRequest:
        body = json.dumps({"type": "message", "token": token, "cmid": "abcdefgh", "text": "x"}).encode()
        headers = {"Origin": origin} if origin else {}
        return WebhookRequest("WS", "/webchat/ws", "http://localhost:8080/webchat/ws", headers, body,
                              "application/json")

    await adapter.verify(frame(ORIGIN, token))
    for origin, bad_token in ((None, token), ("https://evil.example", token), (ORIGIN, None),
                              (ORIGIN, token[:-2] + "xx")):
        with pytest.raises(Unauthenticated):
            await adapter.verify(frame(origin, bad_token))


# --- a conversation --------------------------------------------------------------------------


async def test_a_message_is_acknowledged_and_answered_with_typing_first(gateway, http, core) -> None:
    core.delay = 0.3  # a turn takes a moment, as with Rasa
    browser = await connect(http, gateway)
    session = await browser.hello()
    assert session["new"] is True and session["retention_hours"] == 24
    assert (await browser.next("ready")) == {"type": "ready", "last": 0, "pending": False}
    cmid = await browser.say("Wie melde ich mein Auto an?")
    frames = await browser.frames_until(lambda fs: len(bot_messages(fs)) == 2)
    kinds = [(f["type"], f.get("from")) for f in frames]
    assert kinds.index(("ack", None)) < kinds.index(("typing", None)) < kinds.index(("message", "bot"))
    ack = next(f for f in frames if f["type"] == "ack")
    assert ack == {"type": "ack", "cmid": cmid, "duplicate": False}
    mine = next(f for f in frames if f["type"] == "message" and f["from"] == "user")
    assert (mine["seq"], mine["cmid"], mine["body"]) == (1, cmid, {"kind": "text",
                                                                  "text": "Wie melde ich mein Auto an?"})
    answer, question = bot_messages(frames)
    assert (answer["seq"], answer["body"]["text"]) == (2, "Antwort: Wie melde ich mein Auto an?")
    assert question["body"]["buttons"] == [{"title": "Ja", "payload": "/affirm"},
                                           {"title": "Nein", "payload": "/deny"}]
    typing = next(f for f in frames if f["type"] == "typing")
    assert typing["after"] == 1

    # The dialogue core sees the pseudonym, never the browser's session id.
    [request] = core.requests
    session_id = browser.token.split(".")[1]
    assert request.body["sender"] == webchat(gateway).conversation_of(session_id) != session_id
    assert request.body["channel"] == "webchat"
    assert request.body["metadata"]["language_hint"] == "de-DE"
    assert session_id not in json.dumps(request.body)


async def test_a_button_sends_its_offered_payload_and_shows_its_title(gateway, http, core) -> None:
    browser = await connect(http, gateway)
    await browser.hello()
    await browser.say("Hallo")
    await browser.frames_until(lambda fs: len(bot_messages(fs)) == 2)
    await browser.say(payload="/affirm", title="Ja")
    frames = await browser.frames_until(lambda fs: len(bot_messages(fs)) == 1)
    mine = next(f for f in frames if f["type"] == "message" and f["from"] == "user")
    assert mine["body"] == {"kind": "choice", "text": "Ja"}
    assert bot_messages(frames)[0]["body"]["text"] == "gewählt: /affirm"
    await browser.say(payload="/restart", title="Neu")  # never offered: escaped, not a command
    frames = await browser.frames_until(lambda fs: len(bot_messages(fs)) == 2)
    assert core.requests[-1].body["text"] == "\uff0frestart"


async def test_a_message_sent_again_after_a_reconnect_counts_once(gateway, http, core, rdb, prefix) -> None:
    browser = await connect(http, gateway)
    await browser.hello()
    await browser.next("ready")
    cmid = await browser.say("Einmal bitte")
    await browser.next("ack")
    token = browser.token
    await browser.ws.close()  # the ack got lost, say: the widget sends it again on the next socket

    again = await connect(http, gateway)
    assert (await again.hello(token, after=1))["new"] is False
    await again.next("ready")
    await again.say("Einmal bitte", cmid=cmid)
    assert (await again.next("ack")) == {"type": "ack", "cmid": cmid, "duplicate": True}
    await asyncio.sleep(0.5)
    sender = webchat(gateway).conversation_of(token.split(".")[1])
    assert core.texts_of(sender) == ["Einmal bitte"]
    entries = await webchat(gateway).history.after(sender, 0)
    assert [e.sender for e in entries] == ["user", "bot", "bot"]
    assert sum(await asyncio.gather(*(entries_added(rdb, f"{prefix}:in:{p}") for p in range(4)))) == 1


async def test_reconnect_replays_exactly_what_the_browser_does_not_have(gateway, http) -> None:
    browser = await connect(http, gateway)
    await browser.hello()
    await browser.say("erste Frage")
    await browser.frames_until(lambda fs: len(bot_messages(fs)) == 2)
    token = browser.token
    await browser.ws.close()

    # A message answered while no socket is open is delivered to the history ...
    offline = await connect(http, gateway)
    await offline.hello(token, after=3)
    await offline.say("zweite Frage")
    await offline.next("ack")
    await offline.ws.close()
    adapter = webchat(gateway)
    conversation = adapter.conversation_of(token.split(".")[1])
    for _ in range(100):
        if (await adapter.history.last_seq(conversation)) == 6:
            break
        await asyncio.sleep(0.05)

    # ... and replayed after the last entry the browser has, each entry once, in order.
    back = await connect(http, gateway)
    await back.hello(token, after=3)
    frames = await back.frames_until(lambda fs: fs and fs[-1]["type"] == "ready")
    replayed = [(f["seq"], f["from"]) for f in frames if f["type"] == "message"]
    assert replayed == [(4, "user"), (5, "bot"), (6, "bot")]
    assert frames[-1] == {"type": "ready", "last": 6, "pending": False}

    # A reloaded page (after=0) gets the whole conversation.
    reloaded = await connect(http, gateway)
    await reloaded.hello(token, after=0)
    frames = await reloaded.frames_until(lambda fs: fs and fs[-1]["type"] == "ready")
    assert [f["seq"] for f in frames if f["type"] == "message"] == [1, 2, 3, 4, 5, 6]


async def test_a_browser_ahead_of_the_history_is_told_to_reset(gateway, http) -> None:
    browser = await connect(http, gateway)
    await browser.hello()
    token = browser.token
    await browser.ws.close()
    again = await connect(http, gateway)
    await again.hello(token, after=40)  # e.g. the history expired while the page stayed open
    frames = await again.frames_until(lambda fs: fs and fs[-1]["type"] == "ready")
    assert [f["type"] for f in frames] == ["reset", "ready"]


async def test_a_running_turn_shows_as_pending_after_a_reload(gateway, http, core) -> None:
    core.delays["langsam"] = 1.0
    browser = await connect(http, gateway)
    await browser.hello()
    await browser.say("langsam")
    await browser.next("ack")
    reloaded = await connect(http, gateway)
    await reloaded.hello(browser.token, after=0)
    assert (await reloaded.next("ready"))["pending"] is True


async def test_a_tampered_token_starts_a_new_conversation(gateway, http) -> None:
    browser = await connect(http, gateway)
    await browser.hello()
    await browser.say("geheim")
    await browser.frames_until(lambda fs: len(bot_messages(fs)) == 2)
    version, session_id, issued, signature = browser.token.split(".")
    forged = f"{version}.{session_id}.{int(issued) + 1}.{signature}"
    stranger = await connect(http, gateway)
    session = await stranger.hello(forged, after=0)
    assert session["new"] is True and session["token"].split(".")[1] != session_id
    frames = await stranger.frames_until(lambda fs: fs and fs[-1]["type"] == "ready")
    assert [f for f in frames if f["type"] == "message"] == []


async def test_a_frame_with_another_sessions_token_closes_the_socket(gateway, http, rdb, prefix) -> None:
    browser = await connect(http, gateway)
    await browser.hello()
    await browser.next("ready")
    _, other = webchat(gateway).tokens.issue()
    await browser.say("fremd", token=other)
    error = await browser.next("error")
    assert error["code"] == "unauthenticated"
    assert (await browser.ws.receive()).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert browser.ws.close_code == 4403
    assert sum(await asyncio.gather(*(entries_added(rdb, f"{prefix}:in:{p}") for p in range(4)))) == 0


@pytest.mark.parametrize("frame", [
    "not json",
    "[1, 2]",
    json.dumps({"type": "message", "cmid": "short", "text": "x"}),
    json.dumps({"type": "message", "cmid": "abcdefgh12"}),
    json.dumps({"type": "message", "cmid": "abcdefgh12", "text": "x" * 2001}),
    json.dumps({"type": "message", "cmid": "abcdefgh12", "text": "a", "payload": "/b"}),
    json.dumps({"type": "subscribe", "conversation": "someone-else"}),
])
async def test_a_malformed_frame_is_refused_and_the_socket_stays(gateway, http, rdb, prefix, frame) -> None:
    browser = await connect(http, gateway)
    await browser.hello()
    await browser.next("ready")
    data = json.loads(frame) if frame.startswith("{") else None
    if data is not None and data.get("type") == "message":
        data["token"] = browser.token
        frame = json.dumps(data)
    await browser.ws.send_str(frame)
    assert (await browser.next("error"))["code"] == "bad_request"
    await browser.say("danach geht es weiter")
    assert (await browser.next("ack"))["duplicate"] is False
    assert sum(await asyncio.gather(*(entries_added(rdb, f"{prefix}:in:{p}") for p in range(4)))) == 1


async def test_the_first_frame_must_be_hello(gateway, http) -> None:
    browser = await connect(http, gateway)
    await browser.ws.send_json({"type": "message", "cmid": "abcdefgh12", "text": "x"})
    assert (await browser.ws.receive()).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert browser.ws.close_code == 4400


async def test_a_flood_from_one_socket_is_slowed_down(gateway, http) -> None:
    browser = await connect(http, gateway)
    await browser.hello()
    await browser.next("ready")
    for number in range(12):
        await browser.say(f"Nachricht {number}")
    frames = await browser.frames_until(
        lambda fs: len([f for f in fs if f["type"] in ("ack", "error")]) == 12)
    results = [f["type"] if f["type"] == "ack" else f["code"]
               for f in frames if f["type"] in ("ack", "error")]
    assert results == ["ack"] * 10 + ["too_fast"] * 2


# --- across gateway processes ------------------------------------------------------------------


async def test_an_answer_processed_by_another_gateway_reaches_the_socket(chat_settings, start_gateway,
                                                                         http, core) -> None:
    """Socket on gateway A (no workers); gateway B runs the turn and the web chat sender."""
    gateway_a = await started(start_gateway, chat_settings(gateway_run_workers=False))
    gateway_b = await started(start_gateway, chat_settings())
    try:
        browser = await connect(http, gateway_a)
        await browser.hello()
        await browser.next("ready")
        await browser.say("Über Redis bitte")
        frames = await browser.frames_until(lambda fs: len(bot_messages(fs)) == 2, timeout=10)
        assert bot_messages(frames)[0]["body"]["text"] == "Antwort: Über Redis bitte"
        assert any(f["type"] == "typing" for f in frames)
        assert webchat(gateway_a).hub.sockets == 1 and webchat(gateway_b).hub.sockets == 0
        assert len(core.requests) == 1
        await browser.ws.close()
    finally:
        for gateway in (gateway_b, gateway_a):
            await stop_robustly(gateway.stop)


async def test_every_tab_of_a_conversation_gets_every_message(gateway, http) -> None:
    first = await connect(http, gateway)
    await first.hello()
    await first.next("ready")
    second = await connect(http, gateway)
    await second.hello(first.token)
    await second.next("ready")
    await first.say("aus Tab eins")
    frames = await second.frames_until(lambda fs: len(bot_messages(fs)) == 2)
    assert next(f["body"]["text"] for f in frames if f["type"] == "message") == "aus Tab eins"


async def test_the_emergency_fast_path_answers_in_the_chat(gateway, http, core) -> None:
    browser = await connect(http, gateway)
    await browser.hello()
    await browser.next("ready")
    await browser.say("Hilfe, es brennt! Feuer im Haus")
    frames = await browser.frames_until(lambda fs: len(bot_messages(fs)) >= 1)
    assert "112" in bot_messages(frames)[0]["body"]["text"]
    assert not any(f["type"] == "typing" for f in frames)
    assert core.requests == []


# --- history -------------------------------------------------------------------------------------


async def test_history_appends_once_per_key_expires_and_is_trimmed(gateway, rdb, prefix, monkeypatch) -> None:
    from channels.adapters.webchat import history as history_module

    history = webchat(gateway).history
    first = await history.append("conv1", "b:m1:0", "bot", {"kind": "text", "text": "a"})
    again = await history.append("conv1", "b:m1:0", "bot", {"kind": "text", "text": "a"})
    assert (first.seq, first.new, again.seq, again.new) == (1, True, 1, False)
    for key in ("seq", "hist", "ids"):
        assert 0 < await rdb.ttl(f"{prefix}:wc:{key}:conv1") <= 24 * 3600
    monkeypatch.setattr(history_module, "MAX_ENTRIES", 3)
    for number in range(2, 7):
        await history.append("conv1", f"b:m{number}:0", "bot", {"kind": "text", "text": str(number)})
    assert [e.seq for e in await history.after("conv1", 0)] == [4, 5, 6]
    assert [e.body["text"] for e in await history.after("conv1", 4)] == ["5", "6"]
    assert (await history.last_entry("conv1")).seq == 6  # type: ignore[union-attr]
    assert await history.after("conv2", 0) == []


class _Tags(HTMLParser):
    """What a page is made of: every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


async def test_pages_carry_a_strict_content_security_policy(gateway, http) -> None:
    pages = {}
    for path in ("/", "/barrierefreiheit.html", "/datenschutz.html", "/impressum.html"):
        async with http.get(f"{gateway.url}{path}") as reply:
            assert reply.status == 200 and reply.content_type == "text/html"
            policy = reply.headers["Content-Security-Policy"]
            assert "script-src 'self'" in policy and "unsafe-inline" not in policy
            assert "frame-ancestors 'none'" in policy
            parser = _Tags()
            parser.feed(await reply.text())
            pages[path] = parser.tags
        tags = pages[path]
        # Nothing inline that the policy would block, the widget by exactly one script tag.
        assert [a for t, a in tags if t == "script"] == [{"src": "/webchat/widget.js", "defer": None}]
        assert not [t for t, a in tags if t in ("style", "iframe") or "style" in a
                    or any(name.startswith("on") for name in a)]
        footer_links = {a.get("href") for t, a in tags if t == "a"}
        assert {"/impressum.html", "/datenschutz.html", "/barrierefreiheit.html"} <= footer_links
    # The demo page has no text box of its own: the chat's input will be the only one.
    assert not [t for t, _ in pages["/"] if t in ("input", "textarea", "select")]
    # The accessibility statement offers a way to report barriers.
    report = [a["href"] for t, a in pages["/barrierefreiheit.html"] if t == "a" and a.get("href")]
    assert any(href.startswith("mailto:barrierefreiheit@") for href in report)
    assert ("h2", {"id": "barriere-melden"}) in pages["/barrierefreiheit.html"]
    async with http.get(f"{gateway.url}/webchat/widget.js") as reply:
        assert reply.status == 200 and reply.content_type == "application/javascript"
    async with http.get(f"{gateway.url}/webchat/widget.css") as reply:
        assert reply.status == 200 and reply.content_type == "text/css"
    async with http.get(f"{gateway.url}/webchat/../settings.py") as reply:
        assert reply.status == 404


@pytest.mark.parametrize("setting", ["true", "false"])
async def test_the_demo_page_says_example_content_only_while_content_is_example(
        chat_settings, start_gateway, http, setting: str) -> None:
    """CONTENT_IS_EXAMPLE governs the demo page's notice as it governs the greeting's."""
    gateway = await started(start_gateway, chat_settings(content_is_example=setting))
    try:
        async with http.get(f"{gateway.url}/") as reply:
            assert reply.status == 200 and reply.content_type == "text/html"
            assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
            page = await reply.text()
    finally:
        await stop_robustly(gateway.stop)
    parser = _Tags()
    parser.feed(page)
    banners = [a for t, a in parser.tags if a.get("class") == "demo-banner"]
    assert len(banners) == (1 if setting == "true" else 0)
    assert ("die Inhalte sind Beispiele" in page) is (setting == "true")
    # Only the notice goes: the rest of the page is the file as it is.
    assert ("<main id=\"inhalt\">" in page) and page.rstrip().endswith("</html>")


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("YES", True), ("1", True),
                                                 ("false", False), ("no", False), ("0", False)])
def test_content_is_example_is_read_as_the_action_server_reads_it(make_settings, value: str,
                                                                  expected: bool) -> None:
    assert make_settings(content_is_example=value).content_is_example is expected


def test_a_content_is_example_value_the_action_server_would_misread_is_refused(make_settings) -> None:
    """``on`` is true for pydantic but false for actions/conversation.py: refused, not guessed."""
    with pytest.raises(ValueError, match="content_is_example"):
        make_settings(content_is_example="on")
