"""Fixtures of the staff side's tests (real Redis, SQLite and PostgreSQL, real HTTP servers)."""

from tests.backoffice.console_support import *  # noqa: F403 - the console tests' fixtures
from tests.backoffice.content_support import content  # noqa: F401 - the content tests' fixture
