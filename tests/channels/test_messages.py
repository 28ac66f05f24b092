"""Message types: serialisation for the streams and conversion of the connector's responses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.messages import (
    Button,
    Buttons,
    Channel,
    Custom,
    Image,
    InboundMessage,
    Link,
    Location,
    Media,
    Outbound,
    QueuedMessage,
    Text,
    response_from_dict,
    response_to_dict,
    responses_from_connector,
)

text = st.text(min_size=1, max_size=200)
messages = st.builds(
    InboundMessage,
    channel=st.sampled_from(Channel),
    channel_user_id=text,
    channel_message_id=text,
    text=text,
    payload=st.none() | text,
    location=st.none() | st.builds(Location, lat=st.floats(-90, 90), lon=st.floats(-180, 180)),
    media=st.lists(st.builds(Media, url=text, content_type=st.none() | text), max_size=3).map(tuple),
    language_hint=st.none() | st.sampled_from(["de", "en-GB", "ar"]),
    received_at=st.datetimes(timezones=st.just(UTC)),
)


@settings(deadline=None)  # timing is not what these test
@given(messages)
def test_inbound_message_round_trips_through_json(message: InboundMessage) -> None:
    assert InboundMessage.from_json(message.to_json()) == message


@settings(deadline=None)  # timing is not what these test
@given(messages)
def test_queued_message_round_trips_through_stream_fields(message: InboundMessage) -> None:
    queued = QueuedMessage("c" * 32, "m" * 32, message)
    fields = queued.to_fields()
    assert all(isinstance(value, str) for value in fields.values())
    assert QueuedMessage.from_fields(fields) == queued


def test_inbound_message_needs_content_and_ids() -> None:
    with pytest.raises(ValueError, match="needs text"):
        InboundMessage(Channel.TEST, "u", "m")
    with pytest.raises(ValueError, match="required"):
        InboundMessage(Channel.TEST, "", "m", text="hi")
    with pytest.raises(ValueError, match="range"):
        Location(91, 0)
    assert InboundMessage(Channel.TEST, "u", "m", location=Location(51.3, 7.7)).text is None


def test_outbound_round_trips() -> None:
    item = Outbound(Channel.TELEGRAM, "4711", "c1", "m1", "0", {"text": "Hallo", "n": [1, 2]})
    assert Outbound.from_json(item.to_json()) == item
    assert item.key == "m1:0"


RESPONSES = [
    Text("Hallo"),
    Buttons("Wählen Sie", (Button("Ja", "/affirm"), Button("Nein", "/deny"))),
    Image("https://example.org/a.png", "Karte"),
    Link("https://www.maerkischer-kreis.de", "Kreis"),
    Custom({"kind": "map", "zoom": 3}),
]


@pytest.mark.parametrize("response", RESPONSES)
def test_response_dicts_round_trip(response) -> None:
    assert response_from_dict(response_to_dict(response)) == response


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([{"text": "Hallo"}], [Text("Hallo")]),
        ([{"text": "Ja?", "buttons": [{"title": "Ja", "payload": "/affirm"}]}],
         [Buttons("Ja?", (Button("Ja", "/affirm"),))]),
        ([{"text": "Mehr", "buttons": [{"title": "Seite", "url": "https://a.de", "type": "web_url"}]}],
         [Text("Mehr"), Link("https://a.de", "Seite")]),
        ([{"text": "Bild", "image": "https://a.de/b.png"}], [Text("Bild"), Image("https://a.de/b.png")]),
        ([{"custom": {"link": {"url": "https://a.de", "title": "A"}}}], [Link("https://a.de", "A")]),
        ([{"custom": {"map": 1}}], [Custom({"map": 1})]),
        ([{"attachment": "https://a.de/f.pdf"}], [Link("https://a.de/f.pdf", "https://a.de/f.pdf")]),
        ([{"text": "  "}, "nonsense", {"unknown": 1}], []),
        ([{"text": "a"}, {"text": "b"}], [Text("a"), Text("b")]),
    ],
)
def test_connector_responses_become_channel_neutral_responses(messages, expected) -> None:
    assert responses_from_connector(messages) == expected


def test_received_at_defaults_to_now_in_utc() -> None:
    message = InboundMessage(Channel.TEST, "u", "m", text="hi")
    assert message.received_at.tzinfo is not None
    assert abs((datetime.now(UTC) - message.received_at).total_seconds()) < 5
