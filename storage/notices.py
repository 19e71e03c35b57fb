"""Notices and their audiences. Never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.model import Member
from bot.domain.notices import Audience, AudienceKind, Notice, NoticeDraft, NoticeReport, NoticeStatus
from bot.domain.outbox import OutboxStatus
from bot.domain.vocab import MemberStatus
from storage import mapping
from storage.mapping import aware
from storage.models import FollowRow, MemberRow, NoticeRow, OutboxRow


def _notice(row: NoticeRow) -> Notice:
    return Notice(
        id=row.id,
        author_id=row.author_id,
        delegation_code=row.delegation_code,
        text=row.text,
        audience=Audience(AudienceKind(row.audience["kind"]), tuple(row.audience.get("values", []))),
        send_at=aware(row.send_at),
        status=NoticeStatus(row.status),
        recipients=row.recipients,
        created_at=aware(row.created_at),
        attachment_kind=row.attachment_kind,
        attachment_file_id=row.attachment_file_id,
    )


class SqlNoticeRepository:
    """Notices in the store."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_key(self, key: str) -> Notice | None:
        """The notice made from this draft, if it was."""
        row = await self._session.scalar(select(NoticeRow).where(NoticeRow.client_key == key))
        return _notice(row) if row else None

    async def by_id(self, notice_id: int) -> Notice | None:
        """One notice."""
        row = await self._session.get(NoticeRow, notice_id)
        return _notice(row) if row else None

    async def add(
        self, draft: NoticeDraft, author: Member, recipients: int, now: dt.datetime
    ) -> Notice | None:
        """Store a notice; None if this draft was confirmed already."""
        row = NoticeRow(
            client_key=draft.key,
            author_id=author.id,
            delegation_code=author.delegation.code,
            text=draft.text,
            audience={"kind": draft.audience.kind.value, "values": list(draft.audience.values)},
            send_at=draft.send_at,
            status=NoticeStatus.ACTIVE.value,
            recipients=recipients,
            attachment_kind=draft.attachment_kind,
            attachment_file_id=draft.attachment_file_id,
            created_at=now,
            updated_at=now,
        )
        try:
            async with self._session.begin_nested():
                self._session.add(row)
                await self._session.flush()
        except IntegrityError:
            return None
        return _notice(row)

    async def set_status(self, notice_id: int, status: NoticeStatus, now: dt.datetime) -> None:
        """Cancelled or stopped."""
        await self._session.execute(
            update(NoticeRow).where(NoticeRow.id == notice_id).values(status=status.value, updated_at=now)
        )

    async def latest(self, limit: int) -> Sequence[Notice]:
        """Newest first."""
        rows = await self._session.scalars(select(NoticeRow).order_by(NoticeRow.id.desc()).limit(limit))
        return [_notice(r) for r in rows]

    async def audience(self, audience: Audience) -> Sequence[Member]:
        """Active, reachable members the audience names."""
        rows = await self._session.scalars(
            select(MemberRow).where(_named_by(audience)).order_by(MemberRow.id)
        )
        return [mapping.member(r) for r in rows]

    async def audience_size(self, audience: Audience) -> int:
        """How many members `audience` would return, counted in the store."""
        query = select(func.count()).select_from(MemberRow).where(_named_by(audience))
        return int(await self._session.scalar(query) or 0)

    async def report(self, notice: Notice) -> NoticeReport:
        """Delivery figures of a notice, from its outbox rows."""
        counts = dict(
            (
                await self._session.execute(
                    select(OutboxRow.status, func.count())
                    .where(OutboxRow.job == notice.job)
                    .group_by(OutboxRow.status)
                )
            ).all()
        )
        names = await self._session.scalars(
            select(MemberRow.display_name)
            .join(OutboxRow, OutboxRow.member_id == MemberRow.id)
            .where(
                OutboxRow.job == notice.job,
                OutboxRow.status == OutboxStatus.SKIPPED.value,
                MemberRow.reachable.is_(False),
            )
            .order_by(MemberRow.display_name)
            .limit(20)
        )
        queued = int(counts.get(OutboxStatus.QUEUED.value, 0)) + int(
            counts.get(OutboxStatus.SENDING.value, 0)
        )
        return NoticeReport(
            notice,
            queued=queued,
            sent=int(counts.get(OutboxStatus.SENT.value, 0)),
            failed=int(counts.get(OutboxStatus.FAILED.value, 0)),
            skipped=int(counts.get(OutboxStatus.SKIPPED.value, 0)),
            unreachable=tuple(names),
        )


def _named_by(audience: Audience) -> ColumnElement[bool]:
    """The members an audience names: active and reachable, and of its delegations, role or follows."""
    live = and_(MemberRow.status == MemberStatus.ACTIVE.value, MemberRow.reachable.is_(True))
    kind, values = audience.kind, list(audience.values)
    if kind is AudienceKind.DELEGATIONS:
        return and_(live, MemberRow.delegation_code.in_(values))
    if kind is AudienceKind.ROLE:
        return and_(live, MemberRow.role.in_(values))
    if kind is AudienceKind.EVERYONE:
        return live
    follow_kind = {"region": "region", "country": "country", "initiative": "initiative"}[kind.value]
    followers = select(FollowRow.member_id).where(FollowRow.kind == follow_kind, FollowRow.target.in_(values))
    return and_(live, MemberRow.id.in_(followers))
