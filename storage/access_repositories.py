"""Repositories of the access features: invites and access requests. They never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.model import AccessRequest, Invite
from bot.domain.vocab import RequestStatus, Role
from storage.mapping import aware
from storage.models import AccessRequestRow, InviteRow


def _invite(row: InviteRow) -> Invite:
    return Invite(
        id=row.id,
        role=Role(row.role),
        delegation_code=row.delegation_code,
        max_uses=row.max_uses,
        uses_left=row.uses_left,
        expires_at=aware(row.expires_at),
        created_at=aware(row.created_at),
        created_by=row.created_by,
        revoked_at=aware(row.revoked_at) if row.revoked_at else None,
    )


def _request(row: AccessRequestRow) -> AccessRequest:
    return AccessRequest(
        id=row.id,
        telegram_user_id=row.telegram_user_id,
        chat_id=row.chat_id,
        name=row.name,
        delegation_code=row.delegation_code,
        note=row.note,
        language=row.language,
        status=RequestStatus(row.status),
        created_at=aware(row.created_at),
        decided_at=aware(row.decided_at) if row.decided_at else None,
        decided_by=row.decided_by,
        username=row.username,
    )


class SqlInviteRepository:
    """Invitations, found only by the hash of their token."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

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
    ) -> Invite:
        """Store a new invitation."""
        row = InviteRow(
            token_hash=token_hash,
            role=role.value,
            delegation_code=delegation_code,
            max_uses=uses,
            uses_left=uses,
            expires_at=expires_at,
            created_at=now,
            created_by=created_by,
        )
        self._session.add(row)
        await self._session.flush()
        return _invite(row)

    async def by_token_hash(self, token_hash: str) -> Invite | None:
        """The invitation with this token hash, if any."""
        row = await self._session.scalar(select(InviteRow).where(InviteRow.token_hash == token_hash))
        return _invite(row) if row else None

    async def by_id(self, invite_id: int) -> Invite | None:
        """One invitation by id."""
        row = await self._session.get(InviteRow, invite_id)
        return _invite(row) if row else None

    async def take_use(self, invite_id: int, now: dt.datetime) -> bool:
        """Atomically spend one use of a live invitation; False if it was used up, revoked or expired."""
        result = await self._session.execute(
            update(InviteRow)
            .where(
                InviteRow.id == invite_id,
                InviteRow.uses_left > 0,
                InviteRow.revoked_at.is_(None),
                InviteRow.expires_at > now,
            )
            .values(uses_left=InviteRow.uses_left - 1)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def open_invites(self, now: dt.datetime, created_by: int | None = None) -> Sequence[Invite]:
        """Invitations that can still be used (those one member made, if given), newest first."""
        query = select(InviteRow).where(
            InviteRow.uses_left > 0, InviteRow.revoked_at.is_(None), InviteRow.expires_at > now
        )
        if created_by is not None:
            query = query.where(InviteRow.created_by == created_by)
        rows = await self._session.scalars(query.order_by(InviteRow.id.desc()))
        return [_invite(r) for r in rows]

    async def revoke(self, invite_id: int, by: int, now: dt.datetime) -> bool:
        """Withdraw an invitation that is not yet withdrawn."""
        result = await self._session.execute(
            update(InviteRow)
            .where(InviteRow.id == invite_id, InviteRow.revoked_at.is_(None))
            .values(revoked_at=now, revoked_by=by)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlAccessRequestRepository:
    """Guests' requests for access."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

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
    ) -> AccessRequest:
        """Store a pending request (the database allows one pending request per user)."""
        row = AccessRequestRow(
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            username=username,
            name=name,
            delegation_code=delegation_code,
            note=note,
            language=language,
            status=RequestStatus.PENDING.value,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return _request(row)

    async def by_id(self, request_id: int) -> AccessRequest | None:
        """One request by id."""
        row = await self._session.get(AccessRequestRow, request_id)
        return _request(row) if row else None

    async def pending_for(self, telegram_user_id: int) -> AccessRequest | None:
        """This user's pending request, if any."""
        row = await self._session.scalar(
            select(AccessRequestRow).where(
                AccessRequestRow.telegram_user_id == telegram_user_id,
                AccessRequestRow.status == RequestStatus.PENDING.value,
            )
        )
        return _request(row) if row else None

    async def pending(self) -> Sequence[AccessRequest]:
        """All pending requests, oldest first."""
        rows = await self._session.scalars(
            select(AccessRequestRow)
            .where(AccessRequestRow.status == RequestStatus.PENDING.value)
            .order_by(AccessRequestRow.id)
        )
        return [_request(r) for r in rows]

    async def decide(self, request_id: int, status: RequestStatus, by: int, now: dt.datetime) -> bool:
        """Approve or refuse a request that is still pending; False if someone decided first."""
        result = await self._session.execute(
            update(AccessRequestRow)
            .where(AccessRequestRow.id == request_id, AccessRequestRow.status == RequestStatus.PENDING.value)
            .values(status=status.value, decided_at=now, decided_by=by)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
