"""Consultation rounds in SQL: rounds, answers and their history, reminders, documents. Never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.model import Member
from bot.domain.rounds import (
    Answer,
    Outcome,
    Question,
    Reply,
    Round,
    RoundDraft,
    RoundKind,
    RoundStatus,
    Stage,
)
from bot.domain.vocab import MemberStatus, Tlp
from storage import mapping
from storage.mapping import aware
from storage.models import MemberRow
from storage.round_models import (
    RoundAnswerChangeRow,
    RoundAnswerRow,
    RoundDelegationRow,
    RoundFileRow,
    RoundReminderRow,
    RoundRow,
)


def _round(row: RoundRow, asked: Sequence[str]) -> Round:
    questions: list[Any] = list(row.questions.get("items", []))
    return Round(
        id=row.id,
        kind=RoundKind(row.kind),
        title=row.title,
        background=row.background,
        questions=tuple(Question.from_json(q) for q in questions),
        launcher_id=row.launcher_id,
        delegation_code=row.delegation_code,
        question_tlp=Tlp(row.question_tlp),
        answer_tlp=Tlp(row.answer_tlp),
        deadline=aware(row.deadline),
        zone=row.zone,
        status=RoundStatus(row.status),
        asked=tuple(sorted(asked)),
        created_at=aware(row.created_at),
        attachment_file_id=row.attachment_file_id,
        closed_early_at=aware(row.closed_early_at) if row.closed_early_at else None,
        compiled_at=aware(row.compiled_at) if row.compiled_at else None,
        outcome=Outcome(row.outcome) if row.outcome else None,
    )


def _answer(row: RoundAnswerRow | RoundAnswerChangeRow, at: dt.datetime) -> Answer:
    return Answer(
        round_id=row.round_id,
        delegation_code=row.delegation_code,
        reply=Reply(row.reply),
        values=tuple(str(v) for v in row.answer.get("values", [])),
        member_id=row.member_id,
        at=aware(at),
        file_id=row.answer.get("file"),
    )


class SqlRoundRepository:
    """Rounds by id, key, status and deadline."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _with_asked(self, rows: Sequence[RoundRow]) -> list[Round]:
        if not rows:
            return []
        asked: dict[int, list[str]] = {r.id: [] for r in rows}
        found = await self._session.execute(
            select(RoundDelegationRow.round_id, RoundDelegationRow.delegation_code).where(
                RoundDelegationRow.round_id.in_(list(asked))
            )
        )
        for round_id, code in found:
            asked[round_id].append(code)
        return [_round(r, asked[r.id]) for r in rows]

    async def add(self, draft: RoundDraft, launcher: Member, now: dt.datetime) -> Round:
        """Store a launched round and the delegations it asks."""
        row = RoundRow(
            client_key=draft.key,
            kind=draft.kind.value,
            title=draft.title,
            background=draft.background,
            questions={"items": [q.to_json() for q in draft.questions]},
            launcher_id=launcher.id,
            delegation_code=launcher.delegation.code,
            question_tlp=draft.question_tlp.value,
            answer_tlp=draft.answer_tlp.value,
            deadline=draft.deadline,
            zone=draft.zone,
            status=RoundStatus.OPEN.value,
            attachment_file_id=draft.attachment_file_id,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        await self._session.execute(
            insert(RoundDelegationRow),
            [{"round_id": row.id, "delegation_code": code} for code in draft.delegations],
        )
        return _round(row, draft.delegations)

    async def by_key(self, key: str) -> Round | None:
        found = await self._session.scalars(select(RoundRow).where(RoundRow.client_key == key))
        rounds = await self._with_asked(list(found))
        return rounds[0] if rounds else None

    async def by_id(self, round_id: int) -> Round | None:
        row = await self._session.get(RoundRow, round_id, populate_existing=True)
        rounds = await self._with_asked([row] if row else [])
        return rounds[0] if rounds else None

    async def latest(self, limit: int) -> Sequence[Round]:
        """The newest rounds, open ones first."""
        rows = await self._session.scalars(
            select(RoundRow).order_by(RoundRow.status.desc(), RoundRow.deadline.desc()).limit(limit)
        )
        return await self._with_asked(list(rows))

    async def open_rounds(self) -> Sequence[Round]:
        rows = await self._session.scalars(
            select(RoundRow).where(RoundRow.status == RoundStatus.OPEN.value).order_by(RoundRow.deadline)
        )
        return await self._with_asked(list(rows))

    async def due(self, now: dt.datetime) -> Sequence[Round]:
        """Open rounds whose deadline has passed: to compile."""
        rows = await self._session.scalars(
            select(RoundRow)
            .where(RoundRow.status == RoundStatus.OPEN.value, RoundRow.deadline <= now)
            .order_by(RoundRow.deadline)
        )
        return await self._with_asked(list(rows))

    async def answers(self, round_id: int) -> dict[str, Answer]:
        rows = await self._session.scalars(select(RoundAnswerRow).where(RoundAnswerRow.round_id == round_id))
        return {r.delegation_code: _answer(r, r.submitted_at) for r in rows}

    async def answered(self, round_ids: Iterable[int]) -> set[tuple[int, str]]:
        ids = list(round_ids)
        if not ids:
            return set()
        rows = await self._session.execute(
            select(RoundAnswerRow.round_id, RoundAnswerRow.delegation_code).where(
                RoundAnswerRow.round_id.in_(ids)
            )
        )
        return {(int(r), str(c)) for r, c in rows}

    async def save_answer(self, answer: Answer) -> bool:
        """Keep the delegation's answer as it now stands, and in its history; True if it is its first."""
        content: dict[str, Any] = {"values": list(answer.values)}
        if answer.file_id:
            content["file"] = answer.file_id
        row = await self._session.scalar(
            select(RoundAnswerRow).where(
                RoundAnswerRow.round_id == answer.round_id,
                RoundAnswerRow.delegation_code == answer.delegation_code,
            )
        )
        first = row is None
        if row is None:
            row = RoundAnswerRow(round_id=answer.round_id, delegation_code=answer.delegation_code)
            self._session.add(row)
        row.reply, row.answer, row.file_id = answer.reply.value, content, answer.file_id
        row.member_id, row.submitted_at = answer.member_id, answer.at
        self._session.add(
            RoundAnswerChangeRow(
                round_id=answer.round_id,
                delegation_code=answer.delegation_code,
                reply=answer.reply.value,
                answer=content,
                member_id=answer.member_id,
                at=answer.at,
            )
        )
        await self._session.flush()
        return first

    async def history(self, round_id: int, delegation_code: str) -> Sequence[Answer]:
        rows = await self._session.scalars(
            select(RoundAnswerChangeRow)
            .where(
                RoundAnswerChangeRow.round_id == round_id,
                RoundAnswerChangeRow.delegation_code == delegation_code,
            )
            .order_by(RoundAnswerChangeRow.id)
        )
        return [_answer(r, r.at) for r in rows]

    async def reminded(self, round_ids: Iterable[int]) -> set[tuple[int, str, Stage]]:
        ids = list(round_ids)
        if not ids:
            return set()
        rows = await self._session.execute(
            select(RoundReminderRow.round_id, RoundReminderRow.delegation_code, RoundReminderRow.stage).where(
                RoundReminderRow.round_id.in_(ids)
            )
        )
        return {(int(r), str(c), Stage(s)) for r, c, s in rows}

    async def record_reminders(
        self, reached: Sequence[tuple[int, str, Stage, bool]], now: dt.datetime
    ) -> None:
        """Record reminder stages reached (the key makes each once: a second process's insert fails)."""
        if reached:
            await self._session.execute(
                insert(RoundReminderRow),
                [
                    {"round_id": r, "delegation_code": c, "stage": s.value, "sent": sent, "at": now}
                    for r, c, s, sent in reached
                ],
            )

    async def rearm_reminders(self, round_id: int) -> None:
        """A new deadline: the reminders before it are due again (not the opening one)."""
        await self._session.execute(
            delete(RoundReminderRow).where(
                RoundReminderRow.round_id == round_id, RoundReminderRow.stage != Stage.OPEN.value
            )
        )

    async def members_of(self, codes: Iterable[str]) -> Sequence[Member]:
        """The active members of these delegations."""
        wanted = list(codes)
        if not wanted:
            return []
        rows = await self._session.scalars(
            select(MemberRow)
            .where(MemberRow.delegation_code.in_(wanted), MemberRow.status == MemberStatus.ACTIVE.value)
            .order_by(MemberRow.id)
        )
        return [mapping.member(r) for r in rows]

    async def set_deadline(
        self, round_id: int, deadline: dt.datetime, now: dt.datetime, *, early: bool = False
    ) -> None:
        values: dict[str, Any] = {"deadline": deadline, "updated_at": now}
        if early:
            values["closed_early_at"] = now
        await self._session.execute(update(RoundRow).where(RoundRow.id == round_id).values(**values))

    async def mark_compiled(self, round_id: int, outcome: Outcome | None, now: dt.datetime) -> bool:
        """Take the round from open to compiled; False if another run did it first."""
        result = await self._session.execute(
            update(RoundRow)
            .where(RoundRow.id == round_id, RoundRow.status == RoundStatus.OPEN.value)
            .values(
                status=RoundStatus.COMPILED.value,
                compiled_at=now,
                updated_at=now,
                outcome=outcome.value if outcome else None,
            )
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def save_file(
        self, round_id: int, kind: str, filename: str, content: bytes, now: dt.datetime
    ) -> int:
        row = RoundFileRow(round_id=round_id, kind=kind, filename=filename, content=content, created_at=now)
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def file(self, file_id: int) -> tuple[str, bytes] | None:
        row = await self._session.get(RoundFileRow, file_id)
        return (row.filename, row.content) if row else None

    async def files_of(self, round_id: int) -> Sequence[tuple[str, bytes]]:
        """A compiled round's documents, spreadsheet first."""
        rows = await self._session.execute(
            select(RoundFileRow.filename, RoundFileRow.content)
            .where(RoundFileRow.round_id == round_id)
            .order_by(RoundFileRow.id)
        )
        return [(str(name), bytes(content)) for name, content in rows]

    async def answer_texts(self, round_ids: Iterable[int]) -> dict[int, str]:
        """What the delegations answered, by round, as one text (to search in)."""
        ids = list(round_ids)
        if not ids:
            return {}
        rows = await self._session.execute(
            select(RoundAnswerRow.round_id, RoundAnswerRow.answer).where(RoundAnswerRow.round_id.in_(ids))
        )
        found: dict[int, list[str]] = {}
        for round_id, content in rows:
            found.setdefault(int(round_id), []).extend(str(v) for v in content.get("values", []))
        return {round_id: "\n".join(texts) for round_id, texts in found.items()}
