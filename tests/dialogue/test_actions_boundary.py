"""The action server reaches the case service over HTTP only (issue 6): no database, no backoffice code."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import actions

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("sqlalchemy", "backoffice", "alembic", "psycopg", "psycopg2", "sqlite3")
SOURCES = sorted((ROOT / "actions").rglob("*.py"))


def _root(name: str) -> str:
    return name.split(".")[0]


def imported_modules(source: str) -> set[str]:
    """Top-level names of every module ``source`` imports, also inside functions and through
    ``importlib.import_module("...")`` / ``__import__("...")`` with a literal name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(_root(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(_root(node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.add(_root(node.args[0].value))
    return found


def test_the_scan_sees_every_kind_of_import() -> None:
    source = ("import sqlalchemy.orm\nfrom backoffice.models import Case\n"
              "def f():\n    import alembic\n    return importlib.import_module('psycopg')\n"
              "from . import places\n")
    assert imported_modules(source) >= {"sqlalchemy", "backoffice", "alembic", "psycopg"}


def test_there_are_actions_to_scan() -> None:
    assert len(SOURCES) > 10 and ROOT / "actions" / "case_service.py" in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_actions_never_import_the_database_or_the_backoffice(path: Path) -> None:
    imports = imported_modules(path.read_text(encoding="utf-8"))
    bad = sorted(imports & set(FORBIDDEN))
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


def test_loading_every_action_module_loads_no_database_code() -> None:
    """Also what the imported libraries pull in: checked in a fresh interpreter."""
    names = [f"actions.{m.name}" for m in pkgutil.iter_modules(actions.__path__)]
    code = ("import importlib, sys\n"
            f"for name in {names!r}: importlib.import_module(name)\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(FORBIDDEN)!r}))\n")
    result = subprocess.run([sys.executable, "-W", "ignore", "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"
