"""Real test databases: a migrated, seeded template per backend, copied for every test."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg

from bot.commands.common import prepare_store
from storage.factory import open_store

PG_ADMIN_DSN = os.environ.get("EMWP_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def backends() -> list[str]:
    """The backends to run against: both unless EMWP_TEST_BACKENDS narrows it (e.g. 'sqlite')."""
    chosen = os.environ.get("EMWP_TEST_BACKENDS", "sqlite,postgresql")
    return [b.strip() for b in chosen.split(",") if b.strip()]


def pg_url(database: str) -> str:
    """A SQLAlchemy URL for a database on the test server."""
    base, _, _ = PG_ADMIN_DSN.rpartition("/")
    return f"{base}/{database}"


async def _prepare(url: str) -> None:
    store = open_store(url)
    try:
        await prepare_store(store)
    finally:
        await store.dispose()


class SqliteTemplates:
    """One migrated and seeded SQLite file; each test gets a copy."""

    def __init__(self, folder: Path) -> None:
        self._template = folder / "template.sqlite3"
        asyncio.run(_prepare(f"sqlite:///{self._template}"))

    def fresh(self, folder: Path) -> str:
        """A new database for one test."""
        target = folder / f"{uuid.uuid4().hex}.sqlite3"
        shutil.copyfile(self._template, target)
        return f"sqlite:///{target}"


class PostgresTemplates:
    """One migrated and seeded PostgreSQL database used as TEMPLATE for each test's database."""

    def __init__(self) -> None:
        self._prefix = f"emwp_t{os.getpid()}"
        self._template = f"{self._prefix}_template"
        self._created: list[str] = []
        asyncio.run(
            self._admin(f'DROP DATABASE IF EXISTS "{self._template}"', f'CREATE DATABASE "{self._template}"')
        )
        asyncio.run(_prepare(pg_url(self._template)))

    def fresh(self) -> str:
        """A new database for one test, cloned from the template."""
        name = f"{self._prefix}_{uuid.uuid4().hex[:12]}"
        asyncio.run(self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"'))
        self._created.append(name)
        return pg_url(name)

    def drop(self, url: str) -> None:
        """Drop one test's database."""
        name = url.rsplit("/", 1)[-1]
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._created.remove(name)

    def close(self) -> None:
        """Drop the template and anything left over."""
        statements = [f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in [*self._created, self._template]]
        asyncio.run(self._admin(*statements))

    @staticmethod
    async def _admin(*statements: str) -> None:
        connection = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()
