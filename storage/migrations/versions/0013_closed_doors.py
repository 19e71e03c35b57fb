"""closed doors: registered groups, the requester's @username, when a member's status changed

Revision ID: 0013
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
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
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username", sa.String(length=64), nullable=True))
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_since", sa.DateTime(timezone=True), nullable=True))
    # The best knowledge there is: a revoked member was last changed when revoked, an active one since joining.
    op.execute("UPDATE members SET status_since = updated_at WHERE status = 'revoked'")
    op.execute("UPDATE members SET status_since = created_at WHERE status <> 'revoked'")


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("status_since")
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.drop_column("username")
    op.drop_table("groups")
