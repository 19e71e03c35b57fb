"""Migration 0014 on a store that lived before it: revocations dated, Telegram ids out of the audit log,
and the log append-only again afterwards. Real SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from storage.factory import Store
from storage.migrate import alembic_config, upgrade

THEN = dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


def _downgrade_to(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def _as_before_0014(store: Store) -> None:
    """Downgrade to 0011 and write what the bot wrote then: members, a revocation, an access request."""
    async with store.engine.begin() as connection:
        await connection.run_sync(_downgrade_to, "0011")
        for member_id, status in ((1, "revoked"), (2, "revoked"), (3, "active")):
            await connection.execute(
                text(
                    "INSERT INTO members (id, telegram_user_id, chat_id, display_name, delegation_code, role,"
                    " status, language, time_zone, reachable, created_at, updated_at) VALUES (:id, :tg, :tg,"
                    " 'Someone', 'FR', 'contact', :status, 'en', 'Europe/Brussels', true, :then, :later)"
                ),
                {"id": member_id, "tg": 555_000 + member_id, "status": status, "then": THEN, "later": LATER},
            )
        entries = [
            ("member.revoked", "member 1", "{}", 1),
            ("access.requested", "request 9", '{"telegram_user_id": 987654321, "delegation": "PT"}', None),
        ]
        for action, subject, details, actor in entries:
            await connection.execute(
                text(
                    "INSERT INTO audit_log (at, actor_id, action, subject, details)"
                    " VALUES (:at, :actor, :action, :subject, :details)"
                ),
                {"at": THEN, "actor": actor, "action": action, "subject": subject, "details": details},
            )


async def test_0014_dates_revocations_and_takes_telegram_ids_out_of_the_audit_log(store: Store) -> None:
    await _as_before_0014(store)
    await upgrade(store.engine)
    async with store.engine.connect() as connection:
        revoked = dict(
            (await connection.execute(text("SELECT id, revoked_at FROM members WHERE id IN (1, 2, 3)"))).all()
        )
        details = (
            await connection.execute(
                text("SELECT CAST(details AS TEXT) FROM audit_log WHERE action = 'access.requested'")
            )
        ).scalar_one()
    stamp = {
        k: v if v is None or isinstance(v, dt.datetime) else dt.datetime.fromisoformat(v)
        for k, v in revoked.items()
    }
    as_utc = {
        k: v.replace(tzinfo=dt.UTC) if v is not None and v.tzinfo is None else v for k, v in stamp.items()
    }
    assert as_utc == {1: THEN, 2: LATER, 3: None}  # from the audit log, else the last change of the row
    assert "987654321" not in details and "PT" in details


async def test_the_audit_log_is_append_only_again_after_0014(store: Store) -> None:
    await _as_before_0014(store)
    await upgrade(store.engine)
    for statement in ("UPDATE audit_log SET subject = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with store.engine.begin() as connection:
                await connection.execute(text(statement))
