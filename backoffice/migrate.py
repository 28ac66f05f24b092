"""Bring the schema to Alembic's head: at service start-up and by ``python -m backoffice.migrate``.

The configuration is built in code (no alembic.ini to keep in step). On
PostgreSQL a transaction-scoped advisory lock makes concurrent start-ups
of several processes migrate one after the other instead of racing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from backoffice import db
from backoffice.settings import load

MIGRATIONS = Path(__file__).with_name("migrations")
LOCK_ID = 0x6B617365  # any constant shared by all processes of this service


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def main() -> None:
    parser = argparse.ArgumentParser(description="Create or upgrade the case service's schema.")
    parser.add_argument("revision", nargs="?", default="head")
    args = parser.parse_args()
    engine = db.create(load().database_url)
    upgrade(engine, args.revision)
    print(f"schema at {args.revision} on {engine.url.render_as_string(hide_password=True)}")


if __name__ == "__main__":
    main()
