"""Leases: work only one process may do at a time, held until a time and renewed by its holder, taken
over by another process once it expired (the holder died or lost the store). One short transaction each;
on PostgreSQL the row lock makes two processes that both see an expired lease take it one after the
other, the second finding it held."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import LeaseRow


class Leases:
    """The leases of one store."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def take(self, name: str, holder: str, now: dt.datetime, ttl: dt.timedelta) -> bool:
        """Take or renew the lease `name` for `holder` until now + ttl; False while another holds it."""
        async with self._engine.begin() as connection:
            renewed = await connection.execute(
                update(LeaseRow)
                .where(
                    LeaseRow.name == name,
                    or_(LeaseRow.holder == holder, LeaseRow.expires_at < now),
                )
                .values(holder=holder, expires_at=now + ttl)
            )
            if renewed.rowcount:
                return True
            insert = postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert
            created = await connection.execute(
                insert(LeaseRow)
                .values(name=name, holder=holder, expires_at=now + ttl)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            return bool(created.rowcount)

    async def release(self, name: str, holder: str, now: dt.datetime) -> None:
        """Give the lease up now (a clean stop): another process takes it at its next look."""
        async with self._engine.begin() as connection:
            await connection.execute(
                update(LeaseRow)
                .where(LeaseRow.name == name, LeaseRow.holder == holder)
                .values(expires_at=now - dt.timedelta(seconds=1))
            )

    async def holder(self, name: str, now: dt.datetime) -> str | None:
        """Who holds the lease now (None: nobody, or it expired)."""
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    select(LeaseRow.holder).where(LeaseRow.name == name, LeaseRow.expires_at >= now)
                )
            ).first()
        return str(row.holder) if row is not None else None
