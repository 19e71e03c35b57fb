"""Alembic environment: runs on the connection the caller hands over (see storage.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from storage.models import Base

target_metadata = Base.metadata


SEARCH_OBJECTS = {"updates_fts", "initiatives_fts", "search_vector"}


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Autogenerate must not drop what migration 0004 made by hand: FTS5 tables and search vectors."""
    if name is None:
        return True
    return not (name in SEARCH_OBJECTS or name.startswith(("updates_fts_", "initiatives_fts_")))


def run_migrations(connection: Connection) -> None:
    """Run the migrations on an open connection, batch mode for SQLite's ALTER limits."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `emwp-bot db upgrade`, which supplies the connection")
run_migrations(connection)
