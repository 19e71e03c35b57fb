"""What members post and follow."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from bot.domain.access import Visibility
from bot.domain.model import (
    Update,
)
from bot.domain.posting import Draft, FollowKind
from bot.domain.vocab import Tlp


class UpdateRepository(Protocol):
    """Updates: read through a TLP visibility, or one by one whatever their label (services check who
    may see them); written, edited, relabelled and withdrawn."""

    async def latest(
        self,
        initiative_ids: Sequence[int],
        visibility: Visibility,
        offset: int,
        limit: int,
        count: bool = True,
    ) -> tuple[Sequence[Update], int]: ...

    async def by_id(self, update_id: int) -> Update | None: ...

    async def by_ids(self, update_ids: Sequence[int]) -> dict[int, Update]: ...

    async def by_key(self, key: str) -> Update | None: ...

    async def add(self, draft: Draft, author_id: int, delegation: str, now: dt.datetime) -> Update | None: ...

    async def edit(self, update_id: int, text: str, editor_id: int, now: dt.datetime) -> Update: ...

    async def relabel(
        self, update_id: int, tlp: Tlp, readers: frozenset[str], now: dt.datetime
    ) -> Update: ...

    async def withdraw(self, update_id: int, now: dt.datetime) -> None: ...

    async def history(self, update_id: int) -> Sequence[tuple[dt.datetime, str]]: ...


class FollowRepository(Protocol):
    """What members follow, and who follows what."""

    async def follow(self, member_id: int, kind: FollowKind, target: str, now: dt.datetime) -> bool: ...

    async def unfollow(self, member_id: int, kind: FollowKind, target: str) -> bool: ...

    async def follows(self, member_id: int) -> Sequence[tuple[FollowKind, str]]: ...

    async def followers(
        self, initiative_id: int, countries: Sequence[str], regions: Sequence[str]
    ) -> list[int]: ...
