"""The case service against the real gateway (channels/): its notify route delivers a status change
to the citizen's channel, and its internal app serves the case API when CASE_SERVICE_TOKEN is set.

Gateway fixtures (real Redis, fake dialogue core, the test channel's fake device) come from
``tests/channels/conftest.py``.
"""

from __future__ import annotations

import pytest

from backoffice.app import CASES
from backoffice.notify import Outcome
from channels.messages import Channel
from channels.pseudonym import conversation_id
from tests.backoffice.case_support import TOKEN, serve  # noqa: F401 - fixtures
from tests.backoffice.test_api_cases import body
from tests.channels.conftest import (  # noqa: F401 - fixtures
    PSEUDONYM_KEY,
    core,
    http,
    make_settings,
    prefix,
    rdb,
    sink,
    start_gateway,
)


@pytest.fixture(autouse=True)
def staff_side_database(tmp_path, monkeypatch) -> None:
    """With CASE_SERVICE_TOKEN the gateway mounts the staff side; its database is the test's own."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/gateway-cases.db")


def _conv(user: str) -> str:
    return conversation_id(PSEUDONYM_KEY.encode(), Channel.TEST, user)


async def test_status_change_reaches_the_citizen_through_the_real_gateway(
        make_settings, start_gateway, http, sink, serve, tmp_path) -> None:  # noqa: F811
    gateway = await start_gateway(make_settings(case_service_token=TOKEN))
    # the gateway learns the citizen's address from a message (the fake core answers it twice)
    await gateway.send(http, user="u1", id="m0", text="Hallo", language="de")
    await sink.wait_for(lambda: len(sink.texts("u1")) == 2)
    served = await serve(f"sqlite:///{tmp_path}/cases.db", gateway_notify_url=gateway.internal_url)
    conversation = _conv("u1")
    _, created, _ = await served.call("POST", "/api/v1/cases",
                                      json=body(key=f"{conversation}:m0", conversation=conversation))
    ref = created["reference"]

    change = await served.service.change_status(ref, "done", "Das Schlagloch ist repariert.", "anna")
    assert change.outcome is Outcome.QUEUED
    expected = f"Neuigkeiten zu Ihrem Anliegen {ref}: erledigt.\n\nNachricht der Verwaltung: " \
               "Das Schlagloch ist repariert."
    await sink.wait_for(lambda: len(sink.texts("u1")) == 3)
    assert sink.texts("u1")[2] == expected

    # a conversation the gateway has no address for: recorded as not reachable
    _, other, _ = await served.call("POST", "/api/v1/cases", json=body(key="nobody:1", conversation="nobody"))
    assert (await served.service.change_status(other["reference"], "done", None, "anna")).outcome \
        is Outcome.NO_ADDRESS


async def test_gateway_internal_app_serves_the_case_api(make_settings, start_gateway, http) -> None:  # noqa: F811
    gateway = await start_gateway(make_settings(case_service_token=TOKEN))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with http.post(f"{gateway.internal_url}/api/v1/cases", json=body(), headers=headers) as reply:
        assert reply.status == 201
        created = await reply.json()
    async with http.get(f"{gateway.internal_url}/api/v1/cases/{created['reference']}",
                        params={"conversation_id": "conv-a"}, headers=headers) as reply:
        assert reply.status == 200 and (await reply.json())["reference"] == created["reference"]
    async with http.get(f"{gateway.internal_url}/open311/v2/services.json") as reply:
        assert reply.status == 200
    # the gateway's shared settings win: same Redis prefix and token
    service = gateway.runners[1].app[CASES]
    assert service.settings.token == TOKEN and service.settings.database_url.endswith("gateway-cases.db")
