"""an index on what is followed, so a post finds its followers without reading every follow

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_follows_target", "follows", ["kind", "target"])


def downgrade() -> None:
    op.drop_index("ix_follows_target", table_name="follows")
