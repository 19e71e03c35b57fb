"""What the rounds' tables hold about one member, for their /mydata export: the rounds they launched,
and the answers they gave (as they stand, and every version)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.mapping import aware
from storage.round_models import RoundAnswerChangeRow, RoundAnswerRow, RoundRow

ROUND_SECTIONS = ("rounds", "round_answers", "round_answer_changes")


def _record(row: Any, names: Sequence[str]) -> dict[str, object]:
    values = {name: getattr(row, name) for name in names}
    return {k: aware(v) if isinstance(v, dt.datetime) else v for k, v in values.items()}


async def round_records(session: AsyncSession, member_id: int) -> Mapping[str, list[Mapping[str, object]]]:
    """The member's rounds and answers, by table."""
    launched = await session.scalars(
        select(RoundRow).where(RoundRow.launcher_id == member_id).order_by(RoundRow.id)
    )
    given = await session.execute(
        select(RoundAnswerRow, RoundRow.answer_tlp)
        .join(RoundRow, RoundRow.id == RoundAnswerRow.round_id)
        .where(RoundAnswerRow.member_id == member_id)
        .order_by(RoundAnswerRow.id)
    )
    changes = await session.execute(
        select(RoundAnswerChangeRow, RoundRow.answer_tlp)
        .join(RoundRow, RoundRow.id == RoundAnswerChangeRow.round_id)
        .where(RoundAnswerChangeRow.member_id == member_id)
        .order_by(RoundAnswerChangeRow.id)
    )
    answer = ("id", "round_id", "delegation_code", "reply", "answer")
    return {
        "rounds": [
            _record(r, ("id", "kind", "title", "delegation_code", "question_tlp", "answer_tlp", "deadline"))
            | _record(r, ("status", "created_at", "compiled_at"))
            | {"tlp": r.question_tlp}
            for r in launched
        ],
        # An answer is read under the round's compilation label: `tlp` is that label.
        "round_answers": [_record(r, (*answer, "submitted_at")) | {"tlp": tlp} for r, tlp in given],
        "round_answer_changes": [_record(r, (*answer, "at")) | {"tlp": tlp} for r, tlp in changes],
    }
