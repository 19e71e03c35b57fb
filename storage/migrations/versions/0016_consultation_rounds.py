"""consultation rounds: rounds, the delegations asked, answers and their history, reminders, documents

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("background", sa.Text(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("launcher_id", sa.Integer(), nullable=False),
        sa.Column("delegation_code", sa.String(length=16), nullable=False),
        sa.Column("question_tlp", sa.String(length=32), nullable=False),
        sa.Column("answer_tlp", sa.String(length=32), nullable=False),
        sa.Column("deadline", WHEN, nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attachment_file_id", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("closed_early_at", WHEN, nullable=True),
        sa.Column("compiled_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["launcher_id"], ["members.id"], name=op.f("fk_rounds_launcher_id_members")),
        sa.ForeignKeyConstraint(
            ["delegation_code"], ["delegations.code"], name=op.f("fk_rounds_delegation_code_delegations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
        sa.UniqueConstraint("client_key", name=op.f("uq_rounds_client_key")),
    )
    op.create_index(op.f("ix_rounds_launcher_id"), "rounds", ["launcher_id"])
    op.create_index("ix_rounds_status_deadline", "rounds", ["status", "deadline"])
    op.create_table(
        "round_delegations",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("delegation_code", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_round_delegations_round_id_rounds"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["delegation_code"],
            ["delegations.code"],
            name=op.f("fk_round_delegations_delegation_code_delegations"),
        ),
        sa.PrimaryKeyConstraint("round_id", "delegation_code", name=op.f("pk_round_delegations")),
    )
    op.create_index(op.f("ix_round_delegations_delegation_code"), "round_delegations", ["delegation_code"])
    op.create_table(
        "round_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("delegation_code", sa.String(length=16), nullable=False),
        sa.Column("reply", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("file_id", sa.String(length=200), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_round_answers_round_id_rounds"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_round_answers_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_answers")),
        sa.UniqueConstraint("round_id", "delegation_code", name="uq_round_answers_delegation"),
    )
    op.create_table(
        "round_answer_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("delegation_code", sa.String(length=16), nullable=False),
        sa.Column("reply", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_answer_changes_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_round_answer_changes_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_answer_changes")),
    )
    op.create_index(op.f("ix_round_answer_changes_round_id"), "round_answer_changes", ["round_id"])
    op.create_table(
        "round_reminders",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("delegation_code", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=8), nullable=False),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_round_reminders_round_id_rounds"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("round_id", "delegation_code", "stage", name=op.f("pk_round_reminders")),
    )
    op.create_table(
        "round_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_round_files_round_id_rounds"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_files")),
        sa.UniqueConstraint("round_id", "kind", name="uq_round_files_kind"),
    )


def downgrade() -> None:
    for table in ("round_files", "round_reminders", "round_answer_changes", "round_answers", "round_delegations"):
        op.drop_table(table)
    op.drop_index("ix_rounds_status_deadline", table_name="rounds")
    op.drop_index(op.f("ix_rounds_launcher_id"), table_name="rounds")
    op.drop_table("rounds")
