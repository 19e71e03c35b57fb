"""an index on when updates were posted, so "the newest few across many initiatives" stops early

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_updates_created", "updates", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_updates_created", table_name="updates")
