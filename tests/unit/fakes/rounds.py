"""Consultation rounds in memory (`bot.ports.RoundRepository`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from bot.domain.model import Member
from bot.domain.rounds import Answer, Outcome, Round, RoundDraft, RoundStatus, Stage
from bot.domain.vocab import MemberStatus

if TYPE_CHECKING:
    from tests.unit.fakes.tables import Tables


@dataclass
class RoundTables:
    """Rounds by id, their answers as they stand and every version, reminders reached, documents."""

    rounds: dict[int, Round] = field(default_factory=dict)
    keys: dict[str, int] = field(default_factory=dict)
    answers: dict[tuple[int, str], Answer] = field(default_factory=dict)
    changes: list[Answer] = field(default_factory=list)
    reminders: dict[tuple[int, str, Stage], bool] = field(default_factory=dict)
    files: dict[int, tuple[int, str, bytes]] = field(default_factory=dict)


class FakeRounds:
    """What the round services call, over `Tables.rounds` (and its members)."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables
        self._r = tables.rounds

    async def add(self, draft: RoundDraft, launcher: Member, now: dt.datetime) -> Round:
        rnd = Round(
            id=self._t.new_id(),
            kind=draft.kind,
            title=draft.title,
            background=draft.background,
            questions=draft.questions,
            launcher_id=launcher.id,
            delegation_code=launcher.delegation.code,
            question_tlp=draft.question_tlp,
            answer_tlp=draft.answer_tlp,
            deadline=draft.deadline,
            zone=draft.zone,
            status=RoundStatus.OPEN,
            asked=tuple(sorted(draft.delegations)),
            created_at=now,
            attachment_file_id=draft.attachment_file_id,
        )
        self._r.rounds[rnd.id] = rnd
        self._r.keys[draft.key] = rnd.id
        return rnd

    async def by_key(self, key: str) -> Round | None:
        found = self._r.keys.get(key)
        return self._r.rounds[found] if found is not None else None

    async def by_id(self, round_id: int) -> Round | None:
        return self._r.rounds.get(round_id)

    async def latest(self, limit: int) -> Sequence[Round]:
        ordered = sorted(self._r.rounds.values(), key=lambda r: (r.status.value, r.deadline), reverse=True)
        return ordered[:limit]

    async def open_rounds(self) -> Sequence[Round]:
        return sorted((r for r in self._r.rounds.values() if r.open), key=lambda r: r.deadline)

    async def due(self, now: dt.datetime) -> Sequence[Round]:
        return [r for r in await self.open_rounds() if r.deadline <= now]

    async def answers(self, round_id: int) -> dict[str, Answer]:
        return {code: a for (r, code), a in self._r.answers.items() if r == round_id}

    async def answered(self, round_ids: Iterable[int]) -> set[tuple[int, str]]:
        ids = set(round_ids)
        return {key for key in self._r.answers if key[0] in ids}

    async def save_answer(self, answer: Answer) -> bool:
        key = (answer.round_id, answer.delegation_code)
        first = key not in self._r.answers
        self._r.answers[key] = answer
        self._r.changes.append(answer)
        return first

    async def history(self, round_id: int, delegation_code: str) -> Sequence[Answer]:
        return [a for a in self._r.changes if (a.round_id, a.delegation_code) == (round_id, delegation_code)]

    async def reminded(self, round_ids: Iterable[int]) -> set[tuple[int, str, Stage]]:
        ids = set(round_ids)
        return {key for key in self._r.reminders if key[0] in ids}

    async def record_reminders(
        self, reached: Sequence[tuple[int, str, Stage, bool]], now: dt.datetime
    ) -> None:
        for round_id, code, stage, sent in reached:
            if (round_id, code, stage) in self._r.reminders:  # the primary key of the real table
                raise AssertionError(f"reminder {round_id} {code} {stage} recorded twice")
            self._r.reminders[(round_id, code, stage)] = sent

    async def rearm_reminders(self, round_id: int) -> None:
        for key in [k for k in self._r.reminders if k[0] == round_id and k[2] is not Stage.OPEN]:
            del self._r.reminders[key]

    async def members_of(self, codes: Iterable[str]) -> Sequence[Member]:
        wanted = set(codes)
        return [
            m
            for m in self._t.members.values()
            if m.delegation.code in wanted and m.status is MemberStatus.ACTIVE
        ]

    async def set_deadline(
        self, round_id: int, deadline: dt.datetime, now: dt.datetime, *, early: bool = False
    ) -> None:
        rnd = self._r.rounds[round_id]
        self._r.rounds[round_id] = replace(rnd, deadline=deadline, closed_early_at=now if early else None)

    async def mark_compiled(self, round_id: int, outcome: Outcome | None, now: dt.datetime) -> bool:
        rnd = self._r.rounds[round_id]
        if not rnd.open:
            return False
        self._r.rounds[round_id] = replace(rnd, status=RoundStatus.COMPILED, compiled_at=now, outcome=outcome)
        return True

    async def save_file(
        self, round_id: int, kind: str, filename: str, content: bytes, now: dt.datetime
    ) -> int:
        file_id = self._t.new_id()
        self._r.files[file_id] = (round_id, filename, content)
        return file_id

    async def file(self, file_id: int) -> tuple[str, bytes] | None:
        found = self._r.files.get(file_id)
        return (found[1], found[2]) if found else None

    async def files_of(self, round_id: int) -> Sequence[tuple[str, bytes]]:
        return [(name, content) for r, name, content in self._r.files.values() if r == round_id]

    async def answer_texts(self, round_ids: Iterable[int]) -> dict[int, str]:
        ids = set(round_ids)
        found: dict[int, list[str]] = {}
        for (round_id, _), answer in self._r.answers.items():
            if round_id in ids:
                found.setdefault(round_id, []).extend(answer.values)
        return {r: "\n".join(texts) for r, texts in found.items()}
