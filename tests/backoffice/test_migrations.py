"""``alembic upgrade head`` creates the schema of models.py on SQLite and PostgreSQL, twice is a no-op,
and the partial unique index allows one active booking per slot but any number of cancelled ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from backoffice import db, migrate
from backoffice.models import Appointment, Base, Case
from tests.backoffice.case_support import database_url, pg_url, sqlite_url  # noqa: F401 - fixtures


def _case(n: int, now: datetime) -> Case:
    return Case(reference=f"MK-2026-{n:06d}-0", idempotency_key=f"k{n}", kind="termin", status="received",
                conversation_id="c", channel="test", language="de", pin_hash="x", routed_kind="department",
                routed_id="strassenverkehr", data={}, created_at=now, updated_at=now)


def test_upgrade_creates_every_table_and_is_idempotent(database_url: str) -> None:  # noqa: F811
    engine = db.create(database_url)
    try:
        migrate.upgrade(engine)
        migrate.upgrade(engine)  # a second start-up changes nothing
        inspector = inspect(engine)
        assert set(Base.metadata.tables) <= set(inspector.get_table_names())
        for table in Base.metadata.tables.values():
            columns = {column["name"] for column in inspector.get_columns(table.name)}
            assert columns == {column.name for column in table.columns}, table.name
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0005"
    finally:
        engine.dispose()


def test_partial_unique_index_on_active_slots(database_url: str) -> None:  # noqa: F811
    engine = db.create(database_url)
    migrate.upgrade(engine)
    database = db.Database(engine)
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    start = now + timedelta(days=1)
    try:
        def book(n: int, active: bool) -> None:
            def apply(session) -> None:
                case = _case(n, now)
                session.add(case)
                session.flush()
                session.add(Appointment(case_id=case.id, office="zulassung_luedenscheid", start=start,
                                        end=start + timedelta(minutes=15), active=active))
            database.call(apply)

        book(1, active=False)
        book(2, active=False)  # cancelled bookings do not block the slot
        book(3, active=True)
        with pytest.raises(IntegrityError):
            book(4, active=True)
    finally:
        engine.dispose()


def test_sqlite_connection_pragmas(sqlite_url: str) -> None:  # noqa: F811
    engine = db.create(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == db.SQLITE_BUSY_TIMEOUT_MS
    finally:
        engine.dispose()


@pytest.mark.parametrize(("given", "expected"), [
    ("postgresql://u@h:5432/d", "postgresql+psycopg://u@h:5432/d"),
    ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
    ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_url_rewrite(given: str, expected: str) -> None:
    assert db.normalise_url(given) == expected


def test_default_is_the_sqlite_file_under_data_run() -> None:
    assert db.normalise_url(None).endswith("/data/run/cases.db")
    assert db.normalise_url(None).startswith("sqlite:///")
