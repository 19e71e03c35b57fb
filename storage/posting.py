"""Posting updates (idempotent by draft key), their edit history, and follows. Never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.domain.model import Update
from bot.domain.posting import Draft, FollowKind
from bot.domain.vocab import Tlp
from storage import activity
from storage.engine import insert_or_skip
from storage.mapping import aware
from storage.models import (
    DelegationRow,
    FollowRow,
    UpdateEditRow,
    UpdateRow,
)
from storage.updates_events import update_of


class SqlPostingRepository:
    """Writes of updates and reads of one update regardless of visibility (services check it)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

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

    async def follow(self, member_id: int, kind: FollowKind, target: str, now: dt.datetime) -> bool:
        """Follow; False if already following."""
        # A double tap, even from two processes at once, adds one row and reports it once.
        table = cast(Table, FollowRow.__table__)
        added = await self._session.scalar(
            insert_or_skip(self._session, table, "member_id", "kind", "target").returning(table.c.id),
            {"member_id": member_id, "kind": kind.value, "target": target, "created_at": now},
        )
        return added is not None

    async def unfollow(self, member_id: int, kind: FollowKind, target: str) -> bool:
        """Stop following; False if not following."""
        result = await self._session.execute(
            delete(FollowRow).where(
                FollowRow.member_id == member_id, FollowRow.kind == kind.value, FollowRow.target == target
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def follows(self, member_id: int) -> Sequence[tuple[FollowKind, str]]:
        """What the member follows, oldest first."""
        rows = await self._session.execute(
            select(FollowRow.kind, FollowRow.target)
            .where(FollowRow.member_id == member_id)
            .order_by(FollowRow.id)
        )
        return [(FollowKind(kind), target) for kind, target in rows]

    async def followers(
        self, initiative_id: int, countries: Sequence[str], regions: Sequence[str]
    ) -> list[int]:
        """Members following the initiative, one of its countries, or a region it or its countries are in."""
        rows = await self._session.scalars(
            select(FollowRow.member_id)
            .distinct()
            .where(
                or_(
                    (FollowRow.kind == FollowKind.INITIATIVE.value)
                    & (FollowRow.target == str(initiative_id)),
                    (FollowRow.kind == FollowKind.COUNTRY.value) & FollowRow.target.in_(list(countries)),
                    (FollowRow.kind == FollowKind.REGION.value) & FollowRow.target.in_(list(regions)),
                )
            )
        )
        return sorted(rows)
