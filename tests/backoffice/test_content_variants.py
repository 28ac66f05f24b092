"""Variant choice as Rasa makes it, plus validity windows (Europe/Berlin days)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from backoffice.content import variants

DE = {"text": "Deutsch"}
IN_ENGLISH = [{"type": "slot", "name": "language", "value": "en"}]
EN = {"text": "English", "condition": IN_ENGLISH}
SMS = {"text": "SMS", "channel": "sms"}
EN_SMS = {"text": "EN SMS", "channel": "sms", "condition": IN_ENGLISH}
DAY = dt.date(2026, 12, 24)


@pytest.mark.parametrize(("slots", "channel", "expected"), [
    ({"language": "de"}, "webchat", ["Deutsch"]),
    ({"language": "en"}, "webchat", ["English"]),
    ({"language": "EN"}, "telegram", ["English"]),  # Rasa compares strings case-insensitively
    ({"language": "de"}, "sms", ["SMS"]),
    ({"language": "en"}, "sms", ["SMS"]),  # default + channel beats condition without channel
    ({}, "sms", ["SMS"]),
    ({"language": "tr"}, None, ["Deutsch"]),
])
def test_rasa_preference_order(slots, channel, expected) -> None:
    chosen = variants.eligible([DE, EN, SMS], slots, channel, DAY)
    assert [v["text"] for v in chosen] == expected


def test_condition_and_channel_together_win() -> None:
    assert [v["text"] for v in variants.eligible([DE, EN, SMS, EN_SMS], {"language": "en"}, "sms", DAY)] == [
        "EN SMS"]


def _dated(text: str, start: str | None = None, end: str | None = None) -> dict:
    meta = {k: v for k, v in (("valid_from", start), ("valid_until", end)) if v}
    return {"text": text, "metadata": {"source": "https://example.org", **meta}}


@pytest.mark.parametrize(("day", "expected"), [
    (dt.date(2026, 12, 23), "normal"),
    (dt.date(2026, 12, 24), "holiday"),  # both ends inclusive
    (dt.date(2026, 12, 26), "holiday"),
    (dt.date(2026, 12, 27), "normal"),
])
def test_validity_window_chooses_the_variant_of_the_day(day, expected) -> None:
    holiday = _dated("holiday", "2026-12-24", "2026-12-26")
    normal_before = _dated("normal", end="2026-12-23")
    normal_after = _dated("normal", start="2026-12-27")
    assert [v["text"] for v in variants.eligible([normal_before, holiday, normal_after], {}, None, day)] == [
        expected]


def test_a_new_fee_from_a_date() -> None:
    old, new = _dated("28,80 €", end="2026-12-31"), _dated("37,00 €", start="2027-01-01")
    assert variants.generate([old, new], {}, None, dt.date(2026, 12, 31))["text"] == "28,80 €"
    assert variants.generate([old, new], {}, None, dt.date(2027, 1, 1))["text"] == "37,00 €"


def test_expired_channel_variant_falls_back_to_the_default() -> None:
    sms = {**SMS, "metadata": {"valid_until": "2026-01-31"}}
    assert variants.generate([DE, sms], {}, "sms", DAY)["text"] == "Deutsch"


def test_nothing_valid_means_no_message() -> None:
    assert variants.generate([_dated("alt", end="2020-01-01")], {}, None, DAY) is None


def test_interpolation_fills_slots_and_arguments_and_keeps_unknown_names() -> None:
    response = {"text": "Hallo {name}, Termin {when}. {unbekannt}",
                "buttons": [{"title": "{name}", "payload": '/faq{"topic":"x"}'}]}
    out = variants.generate([response], {"name": "Frau Muster"}, None, DAY, {"when": "Montag"},
                            random.Random(1))
    assert out["text"] == "Hallo {name}, Termin {when}. {unbekannt}"  # an unknown name leaves the text as is
    out = variants.generate([{"text": "Hallo {name}, Termin {when}."}], {"name": "Frau Muster"}, None, DAY,
                            {"when": "Montag"})
    assert out["text"] == "Hallo Frau Muster, Termin Montag."
    out = variants.generate([{"text": "x", "buttons": response["buttons"]}], {"name": "A"}, None, DAY)
    assert out["buttons"] == [{"title": "A", "payload": '/faq{"topic":"x"}'}]


def test_the_stored_variant_is_not_changed_by_interpolation() -> None:
    stored = {"text": "Hallo {name}"}
    variants.generate([stored], {"name": "B"}, None, DAY)
    assert stored == {"text": "Hallo {name}"}


def test_a_dated_variant_replaces_the_undated_one_on_its_days() -> None:
    normal, holiday = _dated("normal"), _dated("holiday", "2026-12-24", "2027-01-02")
    english = {**EN, "metadata": {}}
    for day, expected in ((dt.date(2026, 12, 23), "normal"), (dt.date(2026, 12, 24), "holiday"),
                          (dt.date(2027, 1, 2), "holiday"), (dt.date(2027, 1, 3), "normal")):
        assert [v["text"] for v in variants.eligible([normal, holiday, english], {}, None, day)] == [expected]
    # other languages keep their own answer: the preference acts within Rasa's chosen group only
    assert [v["text"] for v in variants.eligible([normal, holiday, english], {"language": "en"}, None,
                                                  dt.date(2026, 12, 24))] == ["English"]
