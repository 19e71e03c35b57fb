"""personal data: when a member was revoked or erased, emptied outbox payloads, audit look-ups by person

Revision ID: 0014
Revises: 0012

- members.revoked_at (retention pseudonymises members revoked for longer than a set period) and
  members.erased_at (the member was pseudonymised: the row keeps only a pseudonym);
- outbox.payload_emptied_at, and a partial index on the terminal rows whose payload is still kept, so
  the daily retention finds the next batch to empty without reading the rows it already emptied;
- audit_log indexes on actor_id and subject, so /mydata finds the entries by or about a person;
- the audit log named one person's Telegram account until now (access.requested kept it in its
  details): those details are scrubbed once here. This is the only place that ever changes the
  append-only log; it lifts its trigger for this one statement, inside the migration's transaction.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Finished rows: the outbox sends nothing that is neither queued nor being sent (whatever final status).
KEPT = "payload_emptied_at IS NULL AND status NOT IN ('queued', 'sending')"

BACKFILL_REVOKED_AT = """
UPDATE members SET revoked_at = COALESCE(
    (SELECT max(audit_log.at) FROM audit_log
     WHERE audit_log.action = 'member.revoked' AND audit_log.subject = 'member ' || members.id),
    members.updated_at)
WHERE status = 'revoked'
"""
SQLITE_TRIGGER = """
CREATE TRIGGER audit_log_append_only_UPDATE BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
"""


def upgrade() -> None:
    op.add_column("members", sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("members", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(BACKFILL_REVOKED_AT)
    op.add_column("outbox", sa.Column("payload_emptied_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_outbox_payload_kept",
        "outbox",
        ["updated_at"],
        sqlite_where=sa.text(KEPT),
        postgresql_where=sa.text(KEPT),
    )
    op.create_index("ix_audit_log_actor_id", "audit_log", ["actor_id"])
    op.create_index("ix_audit_log_subject", "audit_log", ["subject"])
    _scrub_access_requested()


def _scrub_access_requested() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        op.execute(
            "UPDATE audit_log SET details = (details::jsonb - 'telegram_user_id')::json "
            "WHERE action = 'access.requested'"
        )
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        return
    op.execute("DROP TRIGGER audit_log_append_only_UPDATE")
    op.execute(
        "UPDATE audit_log SET details = json_remove(details, '$.telegram_user_id') "
        "WHERE action = 'access.requested'"
    )
    op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    # The scrubbed Telegram ids are gone for good; the columns and indexes go back.
    op.drop_index("ix_audit_log_subject", table_name="audit_log")
    op.drop_index("ix_audit_log_actor_id", table_name="audit_log")
    op.drop_index("ix_outbox_payload_kept", table_name="outbox")
    # A plain DROP COLUMN on both backends (SQLite 3.35+): rebuilding `members` in batch mode would
    # trip over the foreign keys that point at it.
    for table, column in (("outbox", "payload_emptied_at"), ("members", "erased_at"), ("members", "revoked_at")):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
