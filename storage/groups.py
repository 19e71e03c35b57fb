"""Registered group chats: a row per group an admin added the bot to. The repository never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.model import Group
from storage.mapping import aware
from storage.models import GroupRow


def _group(row: GroupRow) -> Group:
    return Group(
        chat_id=row.chat_id,
        title=row.title,
        registered_at=aware(row.registered_at),
        registered_by=row.registered_by,
    )


class SqlGroupRepository:
    """Groups by chat id."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, chat_id: int) -> Group | None:
        """The registered group with this chat id, if any."""
        row = await self._session.get(GroupRow, chat_id)
        return _group(row) if row else None

    async def save(self, chat_id: int, title: str, registered_by: int | None, now: dt.datetime) -> Group:
        """Register the group, or register it again (new title, admin and time)."""
        row = await self._session.get(GroupRow, chat_id)
        if row is None:
            row = GroupRow(chat_id=chat_id, title=title, registered_by=registered_by, registered_at=now)
            self._session.add(row)
        else:
            row.title, row.registered_by, row.registered_at = title, registered_by, now
        await self._session.flush()
        return _group(row)

    async def remove(self, chat_id: int) -> bool:
        """Forget the group; False if it was not registered."""
        result = await self._session.execute(delete(GroupRow).where(GroupRow.chat_id == chat_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def all(self) -> Sequence[Group]:
        """Every registered group, by title."""
        rows = await self._session.scalars(select(GroupRow).order_by(GroupRow.title, GroupRow.chat_id))
        return [_group(r) for r in rows]
