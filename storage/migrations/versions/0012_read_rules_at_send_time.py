"""read rules at send time: what each queued message reveals, edits and deletions of delivered copies,
activity per reading class, notices resolved at their send time

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD COLUMN, never a batch operation: on SQLite a batch rebuilds the table and drops the
# full-text-search triggers of 0004.
COLUMNS: list[tuple[str, sa.Column[Any]]] = [
    ("outbox", sa.Column("op", sa.String(8), nullable=False, server_default="send")),
    ("outbox", sa.Column("stale", sa.Boolean(), nullable=False, server_default=sa.false())),
    ("outbox", sa.Column("retracted", sa.Boolean(), nullable=False, server_default=sa.false())),
    ("updates", sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True)),
    ("initiatives", sa.Column("open_activity_at", sa.DateTime(timezone=True), nullable=True)),
    ("initiatives", sa.Column("amber_activity_at", sa.DateTime(timezone=True), nullable=True)),
    ("initiatives", sa.Column("all_activity_at", sa.DateTime(timezone=True), nullable=True)),
    ("notices", sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True)),
]


# Whatever a read rule depends on bumps one counter: the sender checks a batch when it claims it, and the
# statement that marks a message in flight goes through only if the counter has not moved since; if it
# has, the message is checked again. Triggers, so that no write path can forget to bump it.
EPOCH_SOURCES = [
    ("members", "UPDATE OF role, status, delegation_code"),
    ("members", "DELETE"),
    ("delegations", "UPDATE OF kind"),
    ("updates", "UPDATE OF text, tlp, withdrawn_at, edited_at"),
    ("updates", "DELETE"),
    ("update_readers", "INSERT"),
    ("update_readers", "DELETE"),
    ("follows", "INSERT"),
    ("follows", "DELETE"),
    ("notices", "UPDATE OF status"),
]
BUMP = "UPDATE read_epoch SET value = value + 1 WHERE key = 'rules'"


def _trigger(table: str, event: str) -> str:
    return f"read_epoch_{table}_{event.split()[0].lower()}"


def _create_epoch() -> None:
    op.create_table(
        "read_epoch",
        sa.Column("key", sa.String(16), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_read_epoch"),
    )
    op.execute("INSERT INTO read_epoch (key, value) VALUES ('rules', 0)")
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(
            "CREATE OR REPLACE FUNCTION bump_read_epoch() RETURNS trigger AS $$ "
            f"BEGIN {BUMP}; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
    for table, event in EPOCH_SOURCES:
        name = _trigger(table, event)
        if postgres:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_read_epoch()"
            )
        else:
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP}; END")


def _drop_epoch() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, event in EPOCH_SOURCES:
        name = _trigger(table, event)
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}" if postgres else f"DROP TRIGGER IF EXISTS {name}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS bump_read_epoch()")
    op.drop_table("read_epoch")


def upgrade() -> None:
    _create_epoch()
    for table, column in COLUMNS:
        op.add_column(table, column)
    op.create_index("ix_updates_changed_at", "updates", ["changed_at"])
    op.create_table(
        "delegation_activity",
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("delegation_code", sa.String(16), nullable=False),
        sa.Column("own_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("named_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiatives.id"],
            name="fk_delegation_activity_initiative_id_initiatives",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("initiative_id", "delegation_code", name="pk_delegation_activity"),
    )
    op.create_index("ix_delegation_activity_delegation_code", "delegation_activity", ["delegation_code"])
    # Notices stored before were queued when confirmed.
    op.execute("UPDATE notices SET dispatched_at = created_at")
    # Posting no longer moves an initiative up the shared list: its own activity (created, curated) is
    # kept apart, and what was posted counts per reading class (storage.activity), so a list never
    # orders by what its reader may not read.
    live = "updates.initiative_id = initiatives.id AND updates.withdrawn_at IS NULL"
    op.execute(
        "UPDATE initiatives SET last_activity_at = created_at "
        "WHERE last_activity_at = (SELECT max(created_at) FROM updates WHERE initiative_id = initiatives.id)"
    )
    for name, labels in (
        ("open_activity_at", "'TLP:CLEAR', 'TLP:GREEN'"),
        ("amber_activity_at", "'TLP:AMBER'"),
        ("all_activity_at", None),
    ):
        where = live + (f" AND updates.tlp IN ({labels})" if labels else "")
        op.execute(f"UPDATE initiatives SET {name} = (SELECT max(created_at) FROM updates WHERE {where})")  # noqa: S608
    op.execute(
        "INSERT INTO delegation_activity (initiative_id, delegation_code, own_at) "
        "SELECT initiative_id, delegation_code, max(created_at) FROM updates "
        "WHERE withdrawn_at IS NULL AND tlp IN ('TLP:AMBER+STRICT', 'TLP:RED') "
        "GROUP BY initiative_id, delegation_code"
    )
    op.execute(
        "INSERT INTO delegation_activity (initiative_id, delegation_code, named_at) "
        "SELECT u.initiative_id, r.delegation_code, max(u.created_at) FROM updates u "
        "JOIN update_readers r ON r.update_id = u.id "
        "WHERE u.withdrawn_at IS NULL AND u.tlp = 'TLP:RED' "
        "AND NOT EXISTS (SELECT 1 FROM delegation_activity d "
        "WHERE d.initiative_id = u.initiative_id AND d.delegation_code = r.delegation_code) "
        "GROUP BY u.initiative_id, r.delegation_code"
    )
    op.execute(
        "UPDATE delegation_activity SET named_at = (SELECT max(u.created_at) FROM updates u "
        "JOIN update_readers r ON r.update_id = u.id WHERE u.withdrawn_at IS NULL AND u.tlp = 'TLP:RED' "
        "AND u.initiative_id = delegation_activity.initiative_id "
        "AND r.delegation_code = delegation_activity.delegation_code) WHERE own_at IS NOT NULL"
    )


def downgrade() -> None:
    _drop_epoch()
    op.drop_index("ix_delegation_activity_delegation_code", table_name="delegation_activity")
    op.drop_table("delegation_activity")
    op.drop_index("ix_updates_changed_at", table_name="updates")
    for table, column in reversed(COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column.name}")
        else:
            op.drop_column(table, column.name)
