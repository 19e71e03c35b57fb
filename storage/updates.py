"""Updates: written (idempotent by the draft's key), edited, relabelled, withdrawn, with their history;
read through a TLP visibility, or one by one whatever their label (services check who may see them).
Never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.domain.access import Visibility
from bot.domain.model import Update
from bot.domain.posting import Draft
from bot.domain.vocab import Tlp, UpdateKind
from storage import activity
from storage.mapping import aware
from storage.models import DelegationRow, UpdateEditRow, UpdateRow
from storage.visibility import visible_updates


def update_of(row: UpdateRow) -> Update:
    """An update row (readers loaded) as a domain object."""
    return Update(
        id=row.id,
        initiative_id=row.initiative_id,
        kind=UpdateKind(row.kind),
        text=row.text,
        tlp=Tlp(row.tlp),
        author_id=row.author_id,
        delegation_code=row.delegation_code,
        created_at=aware(row.created_at),
        red_delegations=frozenset(d.code for d in row.readers),
        edited_at=aware(row.edited_at) if row.edited_at else None,
        withdrawn_at=aware(row.withdrawn_at) if row.withdrawn_at else None,
        attachment_kind=row.attachment_kind,
        attachment_file_id=row.attachment_file_id,
    )


class SqlUpdateRepository:
    """Updates in the store."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def latest(
        self,
        initiative_ids: Sequence[int],
        visibility: Visibility,
        offset: int,
        limit: int,
        count: bool = True,
    ) -> tuple[Sequence[Update], int]:
        """Newest first, only what `visibility` allows; the page and how many there are in all."""
        if not initiative_ids:
            return [], 0
        where = (UpdateRow.initiative_id.in_(list(initiative_ids)), visible_updates(visibility))
        total = (
            int(await self._session.scalar(select(func.count()).select_from(UpdateRow).where(*where)) or 0)
            if count
            else -1  # not asked for: the caller shows no total
        )
        rows = await self._session.scalars(
            select(UpdateRow)
            .where(*where)
            .options(selectinload(UpdateRow.readers))
            .order_by(UpdateRow.created_at.desc(), UpdateRow.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [update_of(r) for r in rows], total

    async def by_id(self, update_id: int) -> Update | None:
        """One update, hidden or not."""
        row = await self._session.scalar(
            select(UpdateRow).where(UpdateRow.id == update_id).options(selectinload(UpdateRow.readers))
        )
        return update_of(row) if row else None

    async def by_ids(self, update_ids: Sequence[int]) -> dict[int, Update]:
        """Updates by id, hidden or not (those that do not exist are missing)."""
        if not update_ids:
            return {}
        rows = await self._session.scalars(
            select(UpdateRow)
            .where(UpdateRow.id.in_(list(update_ids)))
            .options(selectinload(UpdateRow.readers))
        )
        return {row.id: update_of(row) for row in rows}

    async def by_key(self, key: str) -> Update | None:
        """The update posted from this draft, if it was."""
        row = await self._session.scalar(
            select(UpdateRow).where(UpdateRow.client_key == key).options(selectinload(UpdateRow.readers))
        )
        return update_of(row) if row else None

    async def add(self, draft: Draft, author_id: int, delegation: str, now: dt.datetime) -> Update | None:
        """Store the update and bump the initiative's activity; None if this draft was posted already."""
        readers = list(
            await self._session.scalars(
                select(DelegationRow).where(DelegationRow.code.in_(sorted(draft.red_delegations)))
            )
        )
        row = UpdateRow(
            initiative_id=draft.initiative_id,
            kind=draft.kind.value,
            text=draft.text,
            tlp=draft.tlp.value,
            author_id=author_id,
            delegation_code=delegation,
            created_at=now,
            client_key=draft.key,
            attachment_kind=draft.attachment_kind,
            attachment_file_id=draft.attachment_file_id,
            readers=readers,
        )
        try:
            async with self._session.begin_nested():
                self._session.add(row)
                await self._session.flush()
        except IntegrityError:
            return None  # the same draft confirmed twice: the unique key kept the first one
        await activity.refresh(self._session, draft.initiative_id)
        return update_of(row)

    async def edit(self, update_id: int, text: str, editor_id: int, now: dt.datetime) -> Update:
        """Replace the text, keeping the previous one in the history."""
        row = await self._session.scalar(
            select(UpdateRow).where(UpdateRow.id == update_id).options(selectinload(UpdateRow.readers))
        )
        assert row is not None
        self._session.add(
            UpdateEditRow(update_id=update_id, text_before=row.text, edited_by=editor_id, edited_at=now)
        )
        row.text, row.edited_at, row.changed_at = text, now, now
        await self._session.flush()
        return update_of(row)

    async def relabel(self, update_id: int, tlp: Tlp, readers: frozenset[str], now: dt.datetime) -> Update:
        """Another label (and, for RED, readers); the initiative's activity per reading class follows."""
        row = await self._session.scalar(
            select(UpdateRow).where(UpdateRow.id == update_id).options(selectinload(UpdateRow.readers))
        )
        assert row is not None
        row.readers = list(
            await self._session.scalars(select(DelegationRow).where(DelegationRow.code.in_(sorted(readers))))
        )
        row.tlp, row.changed_at = tlp.value, now
        await self._session.flush()
        await activity.refresh(self._session, row.initiative_id)
        return update_of(row)

    async def withdraw(self, update_id: int, now: dt.datetime) -> None:
        """Hide the update from every reader; the row and its history stay."""
        initiative_id = await self._session.scalar(
            update(UpdateRow)
            .where(UpdateRow.id == update_id)
            .values(withdrawn_at=now, changed_at=now)
            .returning(UpdateRow.initiative_id)
        )
        if initiative_id is not None:
            await activity.refresh(self._session, initiative_id)

    async def history(self, update_id: int) -> Sequence[tuple[dt.datetime, str]]:
        """Earlier texts, oldest first."""
        rows = await self._session.execute(
            select(UpdateEditRow.edited_at, UpdateEditRow.text_before)
            .where(UpdateEditRow.update_id == update_id)
            .order_by(UpdateEditRow.id)
        )
        return [(aware(at), text) for at, text in rows]
