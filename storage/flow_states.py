"""The state of guided flows, kept in the store: a conversation's step per chat and user, and each user's
and chat's flow data, as JSON. Read once at start-up, written when it changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.mapping import aware
from storage.models import FlowStateRow


class FlowStates:
    """Rows of `flow_states` by kind ('conversation', 'user', 'chat'), name and key."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def load(self, kind: str, name: str = "") -> list[tuple[str, Any, dt.datetime]]:
        """Every (key, value, updated_at) of this kind and name."""
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                select(FlowStateRow.key, FlowStateRow.value, FlowStateRow.updated_at).where(
                    FlowStateRow.kind == kind, FlowStateRow.name == name
                )
            )
            return [(str(key), value, aware(at)) for key, value, at in rows]

    async def of_key(self, kind: str, key: str) -> list[tuple[str, Any, dt.datetime]]:
        """Every (name, value, updated_at) of this kind for one key (a chat and user, a user, a chat)."""
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                select(FlowStateRow.name, FlowStateRow.value, FlowStateRow.updated_at).where(
                    FlowStateRow.kind == kind, FlowStateRow.key == key
                )
            )
            return [(str(name), value, aware(at)) for name, value, at in rows]

    async def save(self, kind: str, name: str, key: str, value: Any, now: dt.datetime) -> None:
        """Insert or replace one row."""
        insert = postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert
        statement = insert(FlowStateRow).values(kind=kind, name=name, key=key, value=value, updated_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=["kind", "name", "key"],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        )
        async with self._engine.begin() as connection:
            await connection.execute(statement)

    async def forget(self, kind: str, name: str, key: str) -> None:
        """Delete one row (a flow that ended, data emptied)."""
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(FlowStateRow).where(
                    FlowStateRow.kind == kind, FlowStateRow.name == name, FlowStateRow.key == key
                )
            )
