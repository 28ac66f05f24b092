"""Property-based fuzzing of the case service's input parsers: a new case's body, phone numbers,
places, contacts and reference numbers either parse or are refused with ``Invalid`` (a 400), and a
reference number made by ``make`` always parses back to itself."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from backoffice import inputs, reference
from tests.fuzzing import fuzz, json_values, nasty_text

CASE_KEYS = ["kind", "conversation_id", "channel", "language", "idempotency_key", "data", "place", "contact",
             "media", "category", "description", "town", "address", "lat", "lon", "name", "phone", "email",
             "topic", "date", "reachable"]
phones = st.one_of(nasty_text(30), st.sampled_from(["+4915112345678", "0171 1234567", "0049 2351 9660",
                                                    "+49" + "9" * 40, "110", "+", "00"]), json_values())


def refused_or_parsed(parse: Any, *args: Any) -> Any:
    try:
        return parse(*args)
    except inputs.Invalid:
        return None


KINDS = ["maengelmeldung", "sperrmuell", "rueckruf"]
REFERENCE_LIKE = r"[A-Za-z]{2,4}[- ]?\d{4}[- ]?\d{6}[- ]?\d"


@fuzz
@given(body=st.one_of(json_values(CASE_KEYS),
                      st.fixed_dictionaries({"kind": st.sampled_from(KINDS),
                                             "conversation_id": nasty_text(20), "channel": nasty_text(10)},
                                            optional={k: json_values(CASE_KEYS) for k in CASE_KEYS[3:]})))
def test_new_case_bodies(body: Any) -> None:
    refused_or_parsed(inputs.new_case, body)


@fuzz
@given(value=phones)
def test_phone_numbers(value: Any) -> None:
    parsed = refused_or_parsed(inputs.phone, value)
    assert parsed is None or (parsed.startswith("+") and parsed[1:].isdigit())


@fuzz
@given(raw=json_values(["town", "address", "lat", "lon", "name", "phone", "email"]))
def test_places_and_contacts(raw: Any) -> None:
    refused_or_parsed(inputs.place, raw)
    refused_or_parsed(inputs.contact, raw)


@fuzz
@given(text=st.one_of(nasty_text(), st.from_regex(REFERENCE_LIKE, fullmatch=True)))
def test_reference_numbers(text: str) -> None:
    parsed = reference.parse(text)
    assert parsed is None or parsed.valid
    assert not (parsed is not None and reference.is_mistyped(text))


@fuzz
@given(prefix=st.sampled_from(["MK", "ABC", "XYZW"]), year=st.integers(1000, 9999),
       seq=st.integers(1, reference.MAX_SEQUENCE))
def test_made_references_parse_back(prefix: str, year: int, seq: int) -> None:
    made = reference.make(prefix, year, seq)
    assert reference.parse(made) is not None and reference.parse(made.lower().replace("-", " ")) is not None
