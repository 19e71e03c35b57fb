"""The retention periods' batches: each call touches at most `limit` rows. Never commits.

On PostgreSQL a batch first takes a transaction-scoped advisory lock, so that of several processes
applying retention at once only one works at a time; the others see the lock taken and stop. SQLite
serves one process, whose transactions already take the write lock up front (BEGIN IMMEDIATE).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.model import Member
from bot.domain.retention import EMPTIED_PAYLOAD
from bot.domain.vocab import MemberStatus, RequestStatus
from storage import mapping
from storage.models import OUTBOX_PAYLOAD_KEPT, AccessRequestRow, InviteRow, MemberRow, OutboxRow

# The key of the advisory lock: "emwp" "ret" in ASCII, one constant for every process of the store.
RETENTION_LOCK = 0x656D_7770_7265_7400
SQLITE_DUE_PAYLOADS = (
    "SELECT id FROM outbox INDEXED BY ix_outbox_payload_kept "  # noqa: S608 (constants only)
    f"WHERE {OUTBOX_PAYLOAD_KEPT} AND updated_at < :before ORDER BY updated_at LIMIT :limit"
)


def _revoked(before: dt.datetime) -> ColumnElement[bool]:
    return and_(
        MemberRow.status == MemberStatus.REVOKED.value,
        MemberRow.erased_at.is_(None),
        MemberRow.revoked_at < before,
    )


def _payload_kept(before: dt.datetime) -> ColumnElement[bool]:
    # The partial index's own predicate, written the same way, so that both backends use the index.
    return and_(text(OUTBOX_PAYLOAD_KEPT), OutboxRow.updated_at < before)


def _refused(before: dt.datetime) -> ColumnElement[bool]:
    return and_(AccessRequestRow.status == RequestStatus.REFUSED.value, AccessRequestRow.decided_at < before)


def _expired(before: dt.datetime) -> ColumnElement[bool]:
    return or_(InviteRow.expires_at < before, InviteRow.revoked_at < before)


class SqlRetentionRepository:
    """Batches of pseudonymisation, emptying and deletion."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @property
    def _postgres(self) -> bool:
        return self._session.get_bind().dialect.name == "postgresql"

    async def try_lock(self) -> bool:
        """Take the retention lock until this transaction ends; False if another process holds it."""
        if not self._postgres:
            return True
        return bool(await self._session.scalar(select(func.pg_try_advisory_xact_lock(RETENTION_LOCK))))

    async def revoked_members(self, before: dt.datetime, limit: int) -> Sequence[Member]:
        """Members revoked before `before` and not yet erased, longest revoked first."""
        rows = await self._session.scalars(
            select(MemberRow)
            .where(_revoked(before))
            .order_by(MemberRow.revoked_at, MemberRow.id)
            .limit(limit)
        )
        return [mapping.member(r) for r in rows]

    async def count_revoked_members(self, before: dt.datetime) -> int:
        """How many members are due for pseudonymisation."""
        return await self._count(select(func.count()).select_from(MemberRow).where(_revoked(before)))

    async def empty_payloads(self, before: dt.datetime, now: dt.datetime, limit: int) -> int:
        """Empty the texts of up to `limit` finished outbox rows; status and counts stay."""
        result = await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(self._due_payloads(before, limit)))
            .values(payload=EMPTIED_PAYLOAD, payload_emptied_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rows(result)

    def _due_payloads(self, before: dt.datetime, limit: int) -> ScalarSelect[Any]:
        """The next batch, oldest first, read from the partial index alone."""
        if self._postgres:
            due = (
                select(OutboxRow.id).where(_payload_kept(before)).order_by(OutboxRow.updated_at).limit(limit)
            )
            return due.with_for_update(skip_locked=True).scalar_subquery()  # never wait for a sender's row
        # Without statistics SQLite would pick (status, not_before) and read every sent row at every batch;
        # INDEXED BY holds it to the partial index (and fails loudly if the index could not serve).
        return (
            text(SQLITE_DUE_PAYLOADS)
            .bindparams(bindparam("before", before, type_=DateTime(timezone=True)), bindparam("limit", limit))
            .columns(OutboxRow.id)
            .scalar_subquery()
        )

    async def count_payloads(self, before: dt.datetime) -> int:
        """How many finished outbox rows still keep a text that is due to go."""
        return await self._count(select(func.count()).select_from(OutboxRow).where(_payload_kept(before)))

    async def delete_refused_requests(self, before: dt.datetime, limit: int) -> int:
        """Delete up to `limit` access requests refused before `before`."""
        return await self._delete(AccessRequestRow, _refused(before), limit)

    async def count_refused_requests(self, before: dt.datetime) -> int:
        """How many refused requests are due for deletion."""
        return await self._count(select(func.count()).select_from(AccessRequestRow).where(_refused(before)))

    async def delete_expired_invites(self, before: dt.datetime, limit: int) -> int:
        """Delete up to `limit` invitations that expired (or were withdrawn) before `before`."""
        return await self._delete(InviteRow, _expired(before), limit)

    async def count_expired_invites(self, before: dt.datetime) -> int:
        """How many invitations are due for deletion."""
        return await self._count(select(func.count()).select_from(InviteRow).where(_expired(before)))

    async def _delete(self, model: Any, due: ColumnElement[bool], limit: int) -> int:
        ids = select(model.id).where(due).order_by(model.id).limit(limit).scalar_subquery()
        result = await self._session.execute(
            delete(model).where(model.id.in_(ids)).execution_options(synchronize_session=False)
        )
        return _rows(result)

    async def _count(self, query: Select[Any]) -> int:
        return int(await self._session.scalar(query) or 0)


def _rows(result: Any) -> int:
    return int(result.rowcount or 0)
