"""Dump and restore the cases database, for ``scripts/backup.py``.

Three methods, chosen by what the database is and what the machine has:

* ``sqlite``: SQLite's online backup API (``sqlite3.Connection.backup``). It
  copies a consistent snapshot while the case service keeps writing (WAL),
  and restores the same way, page by page into the live file.
* ``pg_dump``: PostgreSQL's own dump (custom format) and ``pg_restore
  --clean --single-transaction``, when both are on PATH. Schema, data and
  sequences, exactly.
* ``jsonl``: PostgreSQL without the client tools: every table as JSON lines,
  read in one REPEATABLE READ transaction (one snapshot across tables).
  Restore needs the schema in place (``python -m backoffice.migrate``); it
  empties the dumped tables, inserts the rows in foreign-key order and moves
  each serial sequence past the largest id.

Credentials never go on a command line: pg_dump and pg_restore get them in
their environment (PGPASSWORD ...).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import os
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "data" / "run" / "cases.db"  # the case service's default (backoffice/db.py)
METHODS = ("auto", "sqlite", "pg_dump", "jsonl")


class BackupError(RuntimeError):
    """A dump or restore that cannot be done; the message says why and what to do."""


def normalise(url: str | None) -> URL:
    """SQLAlchemy URL of DATABASE_URL (plain postgresql:// means psycopg 3), or the SQLite default."""
    if not url:
        return make_url(f"sqlite:///{DEFAULT_SQLITE}")
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            url = "postgresql+psycopg://" + url[len(plain):]
    return make_url(url)


def choose(url: URL, method: str) -> str:
    backend = url.get_backend_name()
    if backend == "sqlite":
        if method not in ("auto", "sqlite"):
            raise BackupError(f"method {method} is not for SQLite")
        return "sqlite"
    if backend != "postgresql":
        raise BackupError(f"unsupported database {backend}")
    if method == "auto":
        return "pg_dump" if shutil.which("pg_dump") and shutil.which("pg_restore") else "jsonl"
    if method == "sqlite":
        raise BackupError("method sqlite is not for PostgreSQL")
    return method


def dump(url: URL, folder: Path, method: str = "auto") -> dict[str, Any]:
    """Write the database into ``folder``; returns the manifest entry that restore needs."""
    folder.mkdir(parents=True, exist_ok=True)
    chosen = choose(url, method)
    if chosen == "sqlite":
        _sqlite_copy(_sqlite_path(url), folder / "cases.sqlite", source_must_exist=True)
        return {"dialect": "sqlite", "method": "sqlite", "file": "cases.sqlite"}
    if chosen == "pg_dump":
        _pg_tool(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                  "--file", str(folder / "cases.pgdump")], url)
        return {"dialect": "postgresql", "method": "pg_dump", "file": "cases.pgdump"}
    tables = _jsonl_dump(url, folder)
    return {"dialect": "postgresql", "method": "jsonl", "tables": tables}


def exists(url: URL) -> bool:
    """Whether there is a database to back up (a SQLite file may not exist yet)."""
    return url.get_backend_name() != "sqlite" or _sqlite_path(url).exists()


def restore(url: URL, folder: Path, entry: dict[str, Any]) -> None:
    """Replace the database's contents with the dump in ``folder``."""
    backend = url.get_backend_name()
    if backend != entry["dialect"]:
        raise BackupError(f"the backup is of a {entry['dialect']} database, the target is {backend}")
    if entry["method"] == "sqlite":
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(folder / entry["file"], target, source_must_exist=True)
    elif entry["method"] == "pg_dump":
        _pg_tool(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                  "--single-transaction", "--exit-on-error", "--dbname", str(url.database),
                  str(folder / entry["file"])], url)
    elif entry["method"] == "jsonl":
        _jsonl_restore(url, folder, entry["tables"])
    else:
        raise BackupError(f"unknown method {entry['method']}")


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path, source_must_exist: bool) -> None:
    if source_must_exist and not source.exists():
        raise BackupError(f"no database at {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


# --- PostgreSQL with its own tools -------------------------------------------------------------


def _pg_env(url: URL) -> dict[str, str]:
    env = dict(os.environ)
    values = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username, "PGPASSWORD": url.password,
              "PGDATABASE": url.database}
    env.update({key: str(value) for key, value in values.items() if value is not None})
    return env


def _pg_tool(command: list[str], url: URL) -> None:
    result = subprocess.run(command, env=_pg_env(url), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:500]} "
                          "(a client older than the server cannot dump it; --method jsonl does not "
                          "need the client tools)")


# --- PostgreSQL as JSON lines ------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


DECODERS = {"$b64": base64.b64decode, "$datetime": dt.datetime.fromisoformat, "$date": dt.date.fromisoformat,
            "$time": dt.time.fromisoformat, "$decimal": decimal.Decimal}


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        (tag, raw), = value.items()
        if tag in DECODERS:
            return DECODERS[tag](raw)
    return value


def _jsonl_dump(url: URL, folder: Path) -> list[dict[str, Any]]:
    engine = create_engine(url)
    tables = []
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            metadata = MetaData()
            metadata.reflect(connection)
            for table in metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                count = 0
                with (folder / f"{table.name}.jsonl").open("w", encoding="utf-8") as out:
                    for row in connection.execute(table.select().order_by(*order)).mappings():
                        out.write(json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False))
                        out.write("\n")
                        count += 1
                tables.append({"name": table.name, "rows": count})
    finally:
        engine.dispose()
    return tables


def _jsonl_restore(url: URL, folder: Path, tables: list[dict[str, Any]]) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            metadata = MetaData()
            metadata.reflect(connection)
            names = [entry["name"] for entry in tables]
            missing = [name for name in names if name not in metadata.tables]
            if missing:
                raise BackupError(f"the target has no table {', '.join(missing)}: create the schema first "
                                  "(python -m backoffice.migrate)")
            ordered = [t for t in metadata.sorted_tables if t.name in names]
            for table in reversed(ordered):
                connection.execute(table.delete())
            for table in ordered:
                with (folder / f"{table.name}.jsonl").open(encoding="utf-8") as lines:
                    rows = [{k: _decode(v) for k, v in json.loads(line).items()} for line in lines]
                for start in range(0, len(rows), 500):
                    connection.execute(table.insert(), rows[start:start + 500])
                _reset_sequences(connection, table)
    finally:
        engine.dispose()


def _reset_sequences(connection: Any, table: Any) -> None:
    """Move each serial/identity sequence past the largest restored value."""
    quote = connection.dialect.identifier_preparer.quote
    for column in table.columns:
        sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                      {"t": quote(table.name), "c": column.name}).scalar()
        if sequence:
            largest = f"SELECT MAX({quote(column.name)}) FROM {quote(table.name)}"
            connection.execute(text(f"SELECT setval(:s, COALESCE(({largest}), 0) + 1, false)"),
                               {"s": sequence})
