"""closed doors: registered groups, the requester's @username, when a member's status changed

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "groups",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("registered_by", sa.Integer(), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registered_by"], ["members.id"], name=op.f("fk_groups_registered_by_members")
        ),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_groups")),
    )
    op.add_column("access_requests", sa.Column("username", sa.String(length=64), nullable=True))
    op.add_column("members", sa.Column("status_since", sa.DateTime(timezone=True), nullable=True))
    # The best knowledge there is: a revoked member was last changed when revoked, an active one since joining.
    op.execute("UPDATE members SET status_since = updated_at WHERE status = 'revoked'")
    op.execute("UPDATE members SET status_since = created_at WHERE status <> 'revoked'")


def downgrade() -> None:
    # Not batch_alter_table: rebuilding `members` on SQLite trips the foreign keys that point at it.
    for table, column in (("members", "status_since"), ("access_requests", "username")):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_column(table, column)
    op.drop_table("groups")
