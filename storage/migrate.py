"""Bring the schema up to date with Alembic, from code (no alembic.ini needed by users)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


SEARCH_OBJECTS = {
    "updates_fts",
    "initiatives_fts",
    "search_vector",
    "ix_updates_search_vector",
    "ix_initiatives_search_vector",
}


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Autogenerate must not drop what migration 0004 made by hand: FTS5 tables and search vectors."""
    if name is None:
        return True
    return not (name in SEARCH_OBJECTS or name.startswith(("updates_fts_", "initiatives_fts_")))


async def model_drift(engine: AsyncEngine) -> list[object]:
    """Differences between the migrated schema and the models (empty when they agree)."""
    from alembic.autogenerate import compare_metadata

    from storage.round_models import Base  # storage.models and the rounds' tables

    def compare(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_object, "compare_type": True}
        )
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        return await connection.run_sync(compare)


def alembic_config() -> Config:
    """An Alembic configuration pointing at the shipped migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply every pending migration in one transaction."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def pending(engine: AsyncEngine) -> list[str]:
    """The revisions not yet applied to this database."""
    async with engine.connect() as connection:
        current = await connection.run_sync(lambda c: MigrationContext.configure(c).get_current_heads())
    script = ScriptDirectory.from_config(alembic_config())
    applied = set(current)
    return [rev.revision for rev in script.walk_revisions() if rev.revision not in applied and not applied]
