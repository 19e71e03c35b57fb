"""Who takes part: members, invitations, access requests, registered groups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Protocol

from bot.domain.model import (
    AccessRequest,
    Group,
    Invite,
    Member,
)
from bot.domain.vocab import RequestStatus, Role


class MemberRepository(Protocol):
    """Members by id or Telegram user id."""

    async def by_telegram_id(self, telegram_user_id: int) -> Member | None: ...

    async def add(
        self,
        *,
        telegram_user_id: int,
        chat_id: int | None,
        display_name: str,
        delegation_code: str,
        role: Role,
        language: str,
        time_zone: str,
        now: dt.datetime,
    ) -> Member: ...

    async def count(self) -> int: ...

    async def by_id(self, member_id: int) -> Member | None: ...

    async def by_ids(self, ids: Iterable[int]) -> Sequence[Member]: ...

    async def all(self) -> Sequence[Member]: ...

    async def active_admins(self) -> Sequence[Member]: ...

    async def change(self, member_id: int, now: dt.datetime, **fields: object) -> Member | None: ...


class InviteRepository(Protocol):
    """Invitations, found by the hash of their token."""

    async def add(
        self,
        *,
        token_hash: str,
        role: Role,
        delegation_code: str,
        uses: int,
        expires_at: dt.datetime,
        created_by: int | None,
        now: dt.datetime,
    ) -> Invite: ...

    async def by_token_hash(self, token_hash: str) -> Invite | None: ...

    async def by_id(self, invite_id: int) -> Invite | None: ...

    async def take_use(self, invite_id: int, now: dt.datetime) -> bool: ...

    async def open_invites(self, now: dt.datetime, created_by: int | None = None) -> Sequence[Invite]: ...

    async def revoke(self, invite_id: int, by: int, now: dt.datetime) -> bool: ...


class AccessRequestRepository(Protocol):
    """Guests' requests for access."""

    async def add(
        self,
        *,
        telegram_user_id: int,
        chat_id: int,
        name: str,
        delegation_code: str,
        note: str,
        language: str,
        now: dt.datetime,
        username: str | None = None,
    ) -> AccessRequest: ...

    async def by_id(self, request_id: int) -> AccessRequest | None: ...

    async def pending_for(self, telegram_user_id: int) -> AccessRequest | None: ...

    async def pending(self) -> Sequence[AccessRequest]: ...

    async def decide(self, request_id: int, status: RequestStatus, by: int, now: dt.datetime) -> bool: ...


class GroupRepository(Protocol):
    """The group chats admins registered: the only groups the bot serves."""

    async def get(self, chat_id: int) -> Group | None: ...

    async def save(self, chat_id: int, title: str, registered_by: int | None, now: dt.datetime) -> Group: ...

    async def remove(self, chat_id: int) -> bool: ...

    async def all(self) -> Sequence[Group]: ...
