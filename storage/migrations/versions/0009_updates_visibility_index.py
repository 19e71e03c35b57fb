"""an index to count and list the updates a reader may see without reading the rows

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_updates_visibility", "updates", ["initiative_id", "tlp", "delegation_code", "withdrawn_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_updates_visibility", table_name="updates")
