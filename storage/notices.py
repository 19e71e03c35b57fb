"""Notices and their audiences. Never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.model import Member
from bot.domain.notices import (
    Audience,
    AudienceKind,
    Notice,
    NoticeDraft,
    NoticeReport,
    NoticeStatus,
    tally,
    undispatched,
)
from bot.domain.outbox import Op, OutboxStatus
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
        dispatched=row.dispatched_at is not None,
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
        self, draft: NoticeDraft, author: Member, recipients: int, now: dt.datetime, dispatched: bool
    ) -> Notice | None:
        """Store a notice (`dispatched`: its messages are queued with it); None if this draft was
        confirmed already."""
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
            dispatched_at=now if dispatched else None,
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

    async def take_due(self, now: dt.datetime) -> Sequence[Notice]:
        """Scheduled notices whose time has come, marked dispatched: only one process gets each."""
        rows = await self._session.scalars(
            update(NoticeRow)
            .where(
                NoticeRow.dispatched_at.is_(None),
                NoticeRow.send_at <= now,
                NoticeRow.status == NoticeStatus.ACTIVE.value,
            )
            .values(dispatched_at=now, updated_at=now)
            .returning(NoticeRow)
        )
        return [_notice(r) for r in rows]

    async def set_recipients(self, notice_id: int, recipients: int) -> None:
        """How many it was queued to, once its audience is resolved."""
        await self._session.execute(
            update(NoticeRow).where(NoticeRow.id == notice_id).values(recipients=recipients)
        )

    async def within_audience(self, notice_id: int, member_ids: Iterable[int]) -> set[int]:
        """Those of `member_ids` who are, right now, in the audience of a notice that was not withdrawn
        (a stopped one still finishes the messages it began)."""
        notice = await self._session.get(NoticeRow, notice_id)
        wanted = list(member_ids)
        if notice is None or notice.status == NoticeStatus.WITHDRAWN.value or not wanted:
            return set()
        audience = Audience(AudienceKind(notice.audience["kind"]), tuple(notice.audience.get("values", [])))
        found = await self._session.scalars(
            select(MemberRow.id).where(MemberRow.id.in_(wanted), _named_by(audience))
        )
        return set(found)

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
        """Delivery figures of a notice, from its outbox rows (its audience now, before it goes out)."""
        if not notice.dispatched:
            size = await self.audience_size(notice.audience) if notice.status is NoticeStatus.ACTIVE else 0
            return undispatched(notice, size)
        counts = await self._session.execute(
            select(OutboxRow.status, OutboxRow.last_error, func.count())
            .where(OutboxRow.job == notice.job, OutboxRow.op == Op.SEND.value)
            .group_by(OutboxRow.status, OutboxRow.last_error)
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
        rows = [(str(status), reason, int(count)) for status, reason, count in counts]
        return tally(notice, rows, tuple(names))


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
