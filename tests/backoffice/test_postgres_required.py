"""In CI the PostgreSQL tests must run: their fixtures fail there instead of skipping silently."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

from tests import postgres

ROOT = Path(__file__).resolve().parents[2]
DOWN = "postgresql://postgres@127.0.0.1:1/test"  # nothing listens on port 1


def test_unreachable_postgres_skips_with_the_reason_outside_ci(monkeypatch) -> None:
    monkeypatch.delenv("REQUIRE_POSTGRES", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"PostgreSQL not reachable at .*:1/test"):
        postgres.need(DOWN)


def test_unreachable_postgres_fails_under_require_postgres(monkeypatch) -> None:
    monkeypatch.setenv("REQUIRE_POSTGRES", "1")
    with pytest.raises(pytest.fail.Exception, match="REQUIRE_POSTGRES is set"):
        postgres.need(DOWN)


def test_ci_requires_postgres_and_pytest_prints_skip_reasons() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "export REQUIRE_POSTGRES=1" in ci
    assert ci.index("export REQUIRE_POSTGRES=1") < ci.rindex("make test")
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "-rs" in options["tool"]["pytest"]["ini_options"]["addopts"].split()


@pytest.mark.parametrize("fixture", ["tests/backoffice/case_support.py",
                                     "tests/backoffice/console_support.py", "tests/scripts/test_backup.py"])
def test_every_postgres_fixture_goes_through_the_gate(fixture: str) -> None:
    source = (ROOT / fixture).read_text(encoding="utf-8")
    assert ".need(" in source and "pytest.skip(" not in source
