"""Reference numbers: format, Damm check digit, tolerant parsing, mistyped numbers."""

from __future__ import annotations

import pytest

from backoffice import reference
from backoffice.reference import damm, is_mistyped, make, parse


@pytest.mark.parametrize(("digits", "check"), [
    ("572", 4),  # the worked example of the Damm algorithm
    ("5724", 0),  # a number followed by its check digit checks to 0
    ("0", 0),
    ("2026000123", damm("2026000123")),
])
def test_damm_known_values(digits: str, check: int) -> None:
    assert damm(digits) == check


@pytest.mark.parametrize(("prefix", "year", "seq", "expected"), [
    ("MK", 2026, 1, f"MK-2026-000001-{damm('2026000001')}"),
    ("MK", 2026, 123, f"MK-2026-000123-{damm('2026000123')}"),
    ("ABCD", 2031, 999_999, f"ABCD-2031-999999-{damm('2031999999')}"),
])
def test_make(prefix: str, year: int, seq: int, expected: str) -> None:
    assert make(prefix, year, seq) == expected
    assert damm(expected.split("-", 1)[1].replace("-", "")) == 0


@pytest.mark.parametrize(("prefix", "year", "seq"), [
    ("mk", 2026, 1), ("M", 2026, 1), ("MKXYZ", 2026, 1), ("MK", 999, 1), ("MK", 2026, 0),
    ("MK", 2026, 1_000_000),
])
def test_make_rejects_bad_parts(prefix: str, year: int, seq: int) -> None:
    with pytest.raises(ValueError):
        make(prefix, year, seq)


REF = make("MK", 2026, 123)


@pytest.mark.parametrize("typed", [
    REF, REF.lower(), REF.replace("-", ""), REF.replace("-", " "), f"  {REF.lower()}  ",
    REF.replace("-", " - "), REF.replace("-", "/"), "mk 2026 000123 " + REF[-1],
])
def test_parse_is_tolerant_of_case_and_separators(typed: str) -> None:
    parsed = parse(typed)
    assert parsed is not None and str(parsed) == REF
    assert not is_mistyped(typed)


@pytest.mark.parametrize("typed", ["", "MK", "MK-2026-123-4", "MK-26-000123-4", "2026-000123-4",
                                   "MK-2026-0001234-5", "Schlagloch", "MK-2026-000123-"])
def test_wrong_shape_is_neither_valid_nor_mistyped(typed: str) -> None:
    assert parse(typed) is None
    assert not is_mistyped(typed)


def test_wrong_check_digit_is_mistyped() -> None:
    wrong = REF[:-1] + str((int(REF[-1]) + 1) % 10)
    assert parse(wrong) is None
    assert is_mistyped(wrong)
    assert is_mistyped(wrong.lower().replace("-", ""))


SAMPLES = [make("MK", year, seq) for year, seq in
           [(2026, 1), (2026, 123), (2027, 480_913), (2030, 999_999), (2026, 100_000), (2099, 55_555)]]


def _digits_of(ref: str) -> list[str]:
    return list(ref.replace("-", "")[2:])  # year, sequence, check digit


def _as_reference(digits: list[str]) -> str:
    d = "".join(digits)
    return f"MK-{d[:4]}-{d[4:10]}-{d[10]}"


@pytest.mark.parametrize("ref", SAMPLES)
def test_every_single_digit_substitution_is_detected(ref: str) -> None:
    digits = _digits_of(ref)
    checked = 0
    for position, original in enumerate(digits):
        for replacement in "0123456789":
            if replacement == original:
                continue
            typo = _as_reference([*digits[:position], replacement, *digits[position + 1:]])
            assert parse(typo) is None, typo
            assert is_mistyped(typo), typo
            checked += 1
    assert checked == 11 * 9


@pytest.mark.parametrize("ref", SAMPLES)
def test_every_adjacent_transposition_is_detected(ref: str) -> None:
    digits = _digits_of(ref)
    checked = 0
    for position in range(len(digits) - 1):
        if digits[position] == digits[position + 1]:
            continue  # swapping equal digits changes nothing
        swapped = list(digits)
        swapped[position], swapped[position + 1] = swapped[position + 1], swapped[position]
        typo = _as_reference(swapped)
        assert is_mistyped(typo), typo
        checked += 1
    assert checked > 0


def test_reference_value_round_trips() -> None:
    parsed = parse(REF)
    assert parsed == reference.Reference("MK", 2026, 123, int(REF[-1]))
    assert parsed.valid
