"""The SQL database: one synchronous SQLAlchemy engine, used from async code through a thread.

``DATABASE_URL`` (``postgresql://`` is rewritten to the psycopg 3 driver) or
the SQLite file ``data/run/cases.db``. SQLite runs in WAL mode with foreign
keys on and a busy timeout, and every transaction starts with
``BEGIN IMMEDIATE``: it takes the writer lock up front, so two transactions
never both read a counter and then fight over upgrading to a write lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from backoffice.settings import DEFAULT_DB_PATH

T = TypeVar("T")
SQLITE_BUSY_TIMEOUT_MS = 10_000


def normalise_url(url: str | None) -> str:
    """The SQLAlchemy URL for ``DATABASE_URL``; the SQLite default when unset."""
    if not url:
        return f"sqlite:///{DEFAULT_DB_PATH}"
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN itself
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create(url: str | None) -> Engine:
    """An engine for ``url`` (``DATABASE_URL``); creates the SQLite file's folder."""
    sa_url = make_url(normalise_url(url))
    if sa_url.get_backend_name() == "sqlite":
        if sa_url.database and sa_url.database != ":memory:":
            Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(sa_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _sqlite_pragmas(engine)
        return engine
    return create_engine(sa_url, pool_pre_ping=True, pool_size=5, max_overflow=10)


class Database:
    """Engine plus session factory; :meth:`run` executes a function in one transaction off the loop."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str | None) -> Database:
        return cls(create(url))

    def call(self, fn: Callable[[Session], T]) -> T:
        """``fn(session)`` in one transaction, committed when it returns, rolled back when it raises."""
        with self.sessions.begin() as session:
            return fn(session)

    async def run(self, fn: Callable[[Session], T]) -> T:
        return await asyncio.to_thread(self.call, fn)

    def dispose(self) -> None:
        self.engine.dispose()
