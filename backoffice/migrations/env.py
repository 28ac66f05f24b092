"""Alembic environment: runs on the connection that ``backoffice.migrate`` hands over."""

from __future__ import annotations

from alembic import context

from backoffice.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through backoffice.migrate (python -m backoffice.migrate)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
