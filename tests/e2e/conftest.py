"""The fake Bot API and the bot-process launcher shared by the end-to-end modules, and a PostgreSQL
database for the tests that run several processes."""

from collections.abc import Iterator

import pytest

from tests.databases import PostgresTemplates, backends
from tests.e2e.test_polling import fake_api, launch

__all__ = ["fake_api", "launch", "pg_database"]


@pytest.fixture
def pg_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database (skipped where PostgreSQL is not tested)."""
    if "postgresql" not in backends():
        pytest.skip("PostgreSQL is not among EMWP_TEST_BACKENDS")
    templates: PostgresTemplates = request.getfixturevalue("postgres_templates")
    url = templates.fresh()
    yield url
    templates.drop(url)
