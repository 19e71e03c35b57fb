"""What the operations endpoints read from the store: is it reachable, is its schema current, and the
outbox at a glance (rows by status, the oldest due row's wait)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.mapping import aware
from storage.migrate import alembic_config
from storage.models import OutboxRow
from storage.outbox import QUEUED


@dataclass(frozen=True)
class OutboxGauges:
    """Rows by status, and how long the oldest due queued row has waited (0 when none is due)."""

    by_status: dict[str, int]
    oldest_due_seconds: float


async def reachable(engine: AsyncEngine) -> None:
    """Raise unless the database answers a trivial query."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def schema_current(engine: AsyncEngine) -> bool:
    """Whether every shipped migration has been applied."""
    async with engine.connect() as connection:
        current = await connection.run_sync(lambda c: MigrationContext.configure(c).get_current_heads())
    return set(current) == set(ScriptDirectory.from_config(alembic_config()).get_heads())


async def outbox_gauges(engine: AsyncEngine, now: dt.datetime) -> OutboxGauges:
    """Count outbox rows by status and find the oldest due queued row, in one read-only transaction."""
    async with engine.connect() as connection:
        counts = await connection.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status))
        oldest = await connection.scalar(
            select(func.min(OutboxRow.not_before)).where(
                OutboxRow.status == QUEUED, OutboxRow.not_before <= now
            )
        )
    waited = (now - aware(oldest)).total_seconds() if oldest is not None else 0.0
    return OutboxGauges({str(s): int(n) for s, n in counts}, max(0.0, waited))
