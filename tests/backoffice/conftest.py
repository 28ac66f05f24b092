"""Fixtures of the staff side's tests (real Redis, SQLite and PostgreSQL, real HTTP servers)."""

from tests.backoffice.console_support import *  # noqa: F403 - the console tests' fixtures
