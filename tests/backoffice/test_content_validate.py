"""The content validator's validity-window checks (dates, order, no day without a German answer)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from backoffice.content.validate import validate
from tests.backoffice.content_support import ROOT

TODAY = dt.date(2026, 12, 1)
ANSWER = "  - text: |\n      Einen neuen Personalausweis"


def _with_windows(content: Path, *windows: tuple[str | None, str | None]) -> str:
    """personalausweis.yml with extra German variants carrying these windows (text as override)."""
    text = (content / "topics" / "personalausweis.yml").read_text(encoding="utf-8")
    extra = ""
    for start, end in windows:
        meta = "".join(f"\n      {k}: {v}" for k, v in (("valid_from", start), ("valid_until", end)) if v)
        extra += (f"  - text: Variante {start}-{end}\n    metadata:\n      source: https://example.org"
                  f'\n      reviewed: "2026-11-30"\n      verified: false{meta}\n')
    return text + extra


def errors(content: Path, text: str) -> list[str]:
    return validate(content, overrides={"personalausweis": text}, today=TODAY).errors


def test_repository_content_is_valid_today() -> None:
    assert validate(ROOT / "nlu_data").errors == []


def test_windows_are_fine_alongside_an_open_answer(content: Path) -> None:
    assert errors(content, _with_windows(content, ("2026-12-24", "2026-12-26"))) == []


@pytest.mark.parametrize(("window", "message"), [
    (("2026-12-31", "2026-12-01"), "before valid_from"),
    (("31.12.2026", None), "not a date"),
])
def test_bad_windows_are_named(content: Path, window, message: str) -> None:
    found = errors(content, _with_windows(content, window))
    assert any("personalausweis.yml" in e and message in e for e in found), found


def test_a_gap_between_windows_is_reported(content: Path) -> None:
    text = _with_windows(content, (None, "2026-12-31"), ("2027-01-05", None))
    first = "    metadata: &meta\n"
    # the open German answer ends, so only the windowed variants remain for the default
    text = text.replace(first, "    metadata: &meta\n      valid_until: 2026-11-30\n", 1)
    found = errors(content, text)
    assert any("no German answer is valid on 2027-01-01" in e for e in found), found


def test_windows_covering_every_day_are_fine(content: Path) -> None:
    text = _with_windows(content, (None, "2026-12-31"), ("2027-01-01", None))
    text = text.replace("    metadata: &meta\n", "    metadata: &meta\n      valid_until: 2026-11-30\n", 1)
    assert [e for e in errors(content, text) if "valid" in e] == []
