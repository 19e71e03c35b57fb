"""Alembic environment: runs on the connection the caller hands over (see storage.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from storage.migrate import include_object
from storage.round_models import Base  # storage.models and the rounds' tables

target_metadata = Base.metadata


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
