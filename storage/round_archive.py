"""Consultation rounds launched in a period, as archive records (bot.domain.archive_sections). Never commits.

The launcher and whoever gave each answer are named as the member rows name them now: an erased member by
their pseudonym.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.archive import Record
from storage.mapping import aware
from storage.models import MemberRow
from storage.round_models import RoundAnswerChangeRow, RoundAnswerRow, RoundDelegationRow, RoundRow


def _at(value: dt.datetime | None) -> dt.datetime | None:
    return aware(value) if value else None


def _values(content: dict[str, Any]) -> list[str]:
    return [str(v) for v in content.get("values", [])]


async def round_records(session: AsyncSession, start: dt.datetime, end: dt.datetime) -> Sequence[Record]:
    """Rounds launched in [start, end), oldest first: questions, delegations asked, each delegation's answer
    as it stands with every version (who, when), oldest first."""
    in_period = (RoundRow.created_at >= start) & (RoundRow.created_at < end)
    ids = select(RoundRow.id).where(in_period).scalar_subquery()
    rows = await session.execute(
        select(RoundRow, MemberRow.display_name)
        .join(MemberRow, MemberRow.id == RoundRow.launcher_id)
        .where(in_period)
        .order_by(RoundRow.created_at, RoundRow.id)
    )
    asked: dict[int, list[str]] = {}
    for round_id, code in await session.execute(
        select(RoundDelegationRow.round_id, RoundDelegationRow.delegation_code)
        .where(RoundDelegationRow.round_id.in_(ids))
        .order_by(RoundDelegationRow.delegation_code)
    ):
        asked.setdefault(round_id, []).append(code)
    versions: dict[tuple[int, str], list[Record]] = {}
    for change, name in await session.execute(
        select(RoundAnswerChangeRow, MemberRow.display_name)
        .outerjoin(MemberRow, MemberRow.id == RoundAnswerChangeRow.member_id)
        .where(RoundAnswerChangeRow.round_id.in_(ids))
        .order_by(RoundAnswerChangeRow.id)
    ):
        versions.setdefault((change.round_id, change.delegation_code), []).append(
            {
                "reply": change.reply,
                "values": _values(change.answer),
                "member_id": change.member_id,
                "member": name,
                "at": aware(change.at),
                "attachment": bool(change.answer.get("file")),
            }
        )
    answers: dict[int, list[Record]] = {}
    for answer, name in await session.execute(
        select(RoundAnswerRow, MemberRow.display_name)
        .outerjoin(MemberRow, MemberRow.id == RoundAnswerRow.member_id)
        .where(RoundAnswerRow.round_id.in_(ids))
        .order_by(RoundAnswerRow.delegation_code)
    ):
        answers.setdefault(answer.round_id, []).append(
            {
                "delegation": answer.delegation_code,
                "reply": answer.reply,
                "values": _values(answer.answer),
                "member_id": answer.member_id,
                "member": name,
                "submitted_at": aware(answer.submitted_at),
                "attachment": answer.file_id is not None,
                "versions": versions.get((answer.round_id, answer.delegation_code), []),
            }
        )
    return [
        {
            "id": row.id,
            "kind": row.kind,
            "title": row.title,
            "question_tlp": row.question_tlp,
            "answer_tlp": row.answer_tlp,
            "delegation": row.delegation_code,
            "launcher_id": row.launcher_id,
            "launcher": launcher,
            "asked": asked.get(row.id, []),
            "created_at": aware(row.created_at),
            "deadline": aware(row.deadline),
            "zone": row.zone,
            "closed_early_at": _at(row.closed_early_at),
            "compiled_at": _at(row.compiled_at),
            "status": row.status,
            "outcome": row.outcome,
            "attachment": row.attachment_file_id is not None,
            "background": row.background,
            "questions": list(row.questions.get("items", [])),
            "answers": answers.get(row.id, []),
        }
        for row, launcher in rows
    ]
