"""A delegation answers a round: one answer per delegation, changed until the deadline, every change kept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.domain.errors import Conflict, NotAllowed, NotFound
from bot.domain.round_checks import check_reply
from bot.domain.rounds import Answer, Reply, Round
from bot.ports import UnitOfWorkFactory
from bot.services.actors import Actor
from bot.services.rounds import load_visible, may_answer, may_manage


async def answerable(uow_factory: UnitOfWorkFactory, actor: Actor, round_id: int, now: dt.datetime) -> Round:
    """The round, if the actor may answer it now (else why not)."""
    async with uow_factory() as uow:
        member, rnd = await load_visible(uow, actor, round_id)
    _check(member_may=may_answer(member, rnd, now), rnd=rnd, now=now)
    return rnd


def _check(*, member_may: bool, rnd: Round, now: dt.datetime) -> None:
    if not rnd.accepts_answers(now):
        raise Conflict("rounds.closed")
    if not member_may:
        raise NotAllowed("rounds.not_asked")


async def answer(
    uow_factory: UnitOfWorkFactory,
    actor: Actor,
    round_id: int,
    reply: Reply,
    values: tuple[str, ...],
    now: dt.datetime,
    file_id: str | None = None,
) -> tuple[Round, bool]:
    """Give or change the delegation's answer (True: its first); audited."""
    async with uow_factory() as uow:
        member, rnd = await load_visible(uow, actor, round_id)
        _check(member_may=may_answer(member, rnd, now), rnd=rnd, now=now)
        checked = check_reply(rnd.kind, reply, values, rnd.questions)
        code = member.delegation.code
        first = await uow.rounds.save_answer(Answer(rnd.id, code, reply, checked, member.id, now, file_id))
        await uow.audit.append(
            at=now,
            actor_id=member.id,
            action="round.answered" if first else "round.answer_changed",
            subject=rnd.job,
            details={"delegation": code, "reply": reply.value},
        )
        await uow.commit()
    return rnd, first


async def history(
    uow_factory: UnitOfWorkFactory, actor: Actor, round_id: int, delegation_code: str
) -> Sequence[Answer]:
    """Every version of a delegation's answer: for that delegation, the launcher and admins."""
    async with uow_factory() as uow:
        member, rnd = await load_visible(uow, actor, round_id)
        if member.delegation.code != delegation_code and not may_manage(member, rnd):
            raise NotAllowed()
        return await uow.rounds.history(rnd.id, delegation_code)


async def attached(
    uow_factory: UnitOfWorkFactory, actor: Actor, round_id: int, delegation_code: str
) -> tuple[Round, str]:
    """The document a delegation attached to its answer (Telegram's file id): for that delegation, the
    launcher and admins."""
    async with uow_factory() as uow:
        member, rnd = await load_visible(uow, actor, round_id)
        if member.delegation.code != delegation_code and not may_manage(member, rnd):
            raise NotAllowed()
        answer = (await uow.rounds.answers(rnd.id)).get(delegation_code)
    if answer is None or answer.file_id is None:
        raise NotFound()
    return rnd, answer.file_id
