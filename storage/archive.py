"""The exchange between two instants as archive records (bot.domain.archive_sections). Never commits.

Authors and editors are named as the member rows name them now: an erased member by their pseudonym.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.domain.archive import Record
from bot.domain.outbox import OutboxStatus
from storage.mapping import aware
from storage.models import (
    InitiativeRow,
    MemberRow,
    NoticeRow,
    OutboxRow,
    UpdateEditRow,
    UpdateRow,
    update_readers,
)
from storage.round_archive import round_records


def _at(value: dt.datetime | None) -> dt.datetime | None:
    return aware(value) if value else None


class SqlArchiveRepository:
    """Updates, notices and consultation rounds of a period, with what the archive keeps of each."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def updates(self, start: dt.datetime, end: dt.datetime) -> Sequence[Record]:
        """Updates created in [start, end), oldest first, with readers (TLP:RED) and edit history."""
        in_period = (UpdateRow.created_at >= start) & (UpdateRow.created_at < end)
        rows = await self._session.execute(
            select(UpdateRow, InitiativeRow.ref, InitiativeRow.title, MemberRow.display_name)
            .join(InitiativeRow, InitiativeRow.id == UpdateRow.initiative_id)
            .join(MemberRow, MemberRow.id == UpdateRow.author_id)
            .where(in_period)
            .order_by(UpdateRow.created_at, UpdateRow.id)
        )
        ids = select(UpdateRow.id).where(in_period).scalar_subquery()
        readers: dict[int, list[str]] = {}
        for update_id, code in await self._session.execute(
            select(update_readers.c.update_id, update_readers.c.delegation_code)
            .where(update_readers.c.update_id.in_(ids))
            .order_by(update_readers.c.delegation_code)
        ):
            readers.setdefault(update_id, []).append(code)
        editor = aliased(MemberRow)
        history: dict[int, list[Record]] = {}
        for edit, name in await self._session.execute(
            select(UpdateEditRow, editor.display_name)
            .join(editor, editor.id == UpdateEditRow.edited_by)
            .where(UpdateEditRow.update_id.in_(ids))
            .order_by(UpdateEditRow.id)
        ):
            history.setdefault(edit.update_id, []).append(
                {
                    "edited_at": aware(edit.edited_at),
                    "edited_by": edit.edited_by,
                    "editor": name,
                    "text_before": edit.text_before,
                }
            )
        return [
            {
                "id": row.id,
                "initiative_ref": ref,
                "initiative_title": title,
                "kind": row.kind,
                "tlp": row.tlp,
                "delegation": row.delegation_code,
                "author_id": row.author_id,
                "author": author,
                "created_at": aware(row.created_at),
                "edited_at": _at(row.edited_at),
                "withdrawn_at": _at(row.withdrawn_at),
                "readers": readers.get(row.id, []),
                "attachment_kind": row.attachment_kind,
                "text": row.text,
                "history": history.get(row.id, []),
            }
            for row, ref, title, author in rows
        ]

    async def notices(self, start: dt.datetime, end: dt.datetime) -> Sequence[Record]:
        """Notices created in [start, end), oldest first, with their delivery figures from the outbox."""
        rows = (
            await self._session.execute(
                select(NoticeRow, MemberRow.display_name)
                .join(MemberRow, MemberRow.id == NoticeRow.author_id)
                .where(NoticeRow.created_at >= start, NoticeRow.created_at < end)
                .order_by(NoticeRow.created_at, NoticeRow.id)
            )
        ).all()
        jobs = [f"notice:{row.id}" for row, _ in rows]
        figures: dict[str, dict[str, int]] = {}
        for job, status, count in await self._session.execute(
            select(OutboxRow.job, OutboxRow.status, func.count())
            .where(OutboxRow.job.in_(jobs))
            .group_by(OutboxRow.job, OutboxRow.status)
        ):
            figures.setdefault(str(job), {})[status] = int(count)
        records: list[Record] = []
        for row, author in rows:
            counts = figures.get(f"notice:{row.id}", {})
            records.append(
                {
                    "id": row.id,
                    "created_at": aware(row.created_at),
                    "send_at": aware(row.send_at),
                    "author_id": row.author_id,
                    "author": author,
                    "delegation": row.delegation_code,
                    "audience": row.audience.get("kind"),
                    "audience_values": list(row.audience.get("values", [])),
                    "status": row.status,
                    "recipients": row.recipients,
                    "sent": counts.get(OutboxStatus.SENT.value, 0),
                    "pending": counts.get(OutboxStatus.QUEUED.value, 0)
                    + counts.get(OutboxStatus.SENDING.value, 0),
                    "failed": counts.get(OutboxStatus.FAILED.value, 0),
                    "skipped": counts.get(OutboxStatus.SKIPPED.value, 0),
                    "attachment_kind": row.attachment_kind,
                    "text": row.text,
                }
            )
        return records

    async def rounds(self, start: dt.datetime, end: dt.datetime) -> Sequence[Record]:
        """Consultation rounds launched in [start, end), oldest first, with every answer version."""
        return await round_records(self._session, start, end)
