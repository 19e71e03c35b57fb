"""Follows: a member follows an initiative, a country or a region. Never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.posting import FollowKind
from storage.engine import insert_or_skip
from storage.models import FollowRow


class SqlFollowRepository:
    """What members follow, and who follows what."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

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
