"""The gateway's Rasa input channel and Rasa's protected HTTP API."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid

import pytest
import redis

from tests.e2e.answers import answer

pytestmark = pytest.mark.e2e


def _body(**overrides: object) -> dict[str, object]:
    sender = f"test-{uuid.uuid4().hex}"
    return {"sender": sender, "message_id": f"{sender}-1", "channel": "webchat",
            "text": "Guten Tag", "metadata": {}, **overrides}


@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_wrong_token_is_refused_and_nothing_stored(core, token: str) -> None:
    body = _body()
    status, reply = core.post(body, token=token)
    assert status == 403
    assert "token" in reply["error"]
    client = redis.Redis.from_url(core.redis_url)
    assert client.get(f"{core.prefix}:tracker:{body['sender']}") is None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"sender": ""}, "sender"),
        ({"sender": "a b"}, "sender"),
        ({"message_id": None}, "message_id"),
        ({"channel": "fax"}, "channel"),
        ({"text": ""}, "text"),
        ({"text": "x" * 10_001}, "text"),
        ({"metadata": []}, "metadata"),
    ],
)
def test_malformed_requests_get_400(core, overrides: dict, reason: str) -> None:
    status, reply = core.post(_body(**overrides))
    assert status == 400
    assert reason in reply["error"]


def test_replayed_message_id_returns_the_same_answer_without_a_second_turn(core) -> None:
    body = _body(text="Wie melde ich mein Auto an?")
    status, first = core.post(body)
    assert status == 200 and first["replayed"] is False
    status, again = core.post(body)
    assert status == 200 and again["replayed"] is True
    assert again["messages"] == first["messages"]
    assert first["intent"] == again["intent"] and first["intent"].split("/")[0] == "faq"  # NLU's intent
    # the answer's "War das hilfreich?" offer travels as custom data
    assert {"feedback": {"topic": "kfz_zulassung"}} in [m.get("custom") for m in first["messages"]]
    client = redis.Redis.from_url(core.redis_url)
    stored = client.get(f"{core.prefix}:tracker:{body['sender']}")
    assert stored is not None
    assert stored.decode().count('"event": "user"') == 1


def test_output_channel_is_the_real_channel(core) -> None:
    body = _body(text="Kfz Zulassung beantragen", channel="sms")
    _, reply = core.post(body)
    assert reply["messages"][-1]["text"] == answer("kfz_zulassung", channel="sms")


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_rasa_http_api_needs_the_token(core) -> None:
    assert _get(f"{core.rasa_url}/status?token={core.token}") == 200
    assert _get(f"{core.rasa_url}/status") == 401
    assert _get(f"{core.rasa_url}/status?token=wrong") == 401


def test_model_parse_needs_the_token(core) -> None:
    request = urllib.request.Request(
        f"{core.rasa_url}/model/parse", data=b'{"text": "Hallo"}',
        headers={"Content-Type": "application/json"}, method="POST")
    try:
        urllib.request.urlopen(request, timeout=30)
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == 401


def test_model_parse_reports_nlu_fallback_for_out_of_scope(core) -> None:
    request = urllib.request.Request(
        f"{core.rasa_url}/model/parse?token={core.token}",
        data=b'{"text": "Wie wird das Wetter morgen in Paris?"}',
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        import json

        parsed = json.loads(response.read())
    assert parsed["intent"]["name"] in ("nlu_fallback", "out_of_scope")
    assert "oos_scores" in parsed
    status, reply = core.post(_body(text="Wie wird das Wetter morgen in Paris?"))
    assert status == 200 and reply["intent"] in ("nlu_fallback", "out_of_scope")  # counted as not understood
