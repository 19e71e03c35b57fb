"""A round's time: reminders to delegations that have not answered, extending, closing early, and the
compilation made once when the deadline passes (also when the bot was down then).

The reminder sweep reads every open round at once and makes a fixed number of statements whatever the
number of rounds, delegations and members: open rounds, their delegations, answers and reminders so far,
the members of the delegations to remind, then one insert of reminders and one of outbox rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.errors import Conflict, InvalidInput, NotAllowed
from bot.domain.round_checks import headline, outcome
from bot.domain.round_times import check_deadline, due_stage
from bot.domain.rounds import Compiled, Round, Stage
from bot.ports import UnitOfWorkFactory
from bot.services.actors import Actor
from bot.services.round_documents import DOCX, XLSX, DocumentLabels, document, filename, spreadsheet
from bot.services.rounds import RoundMessages, answerers, answers_label, load_visible, may_manage, may_read

EXTEND_LEAD = dt.timedelta(hours=1)  # an extension sets a deadline at least this far ahead


async def extend(
    uow_factory: UnitOfWorkFactory,
    actor: Actor,
    round_id: int,
    deadline: dt.datetime,
    now: dt.datetime,
    messages: RoundMessages,
) -> Round:
    """A later deadline; everyone asked is told, and the reminders before it are due again. The launcher or
    an admin; audited."""
    async with uow_factory() as uow:
        member, rnd = await load_visible(uow, actor, round_id)
        if not may_manage(member, rnd):
            raise NotAllowed()
        if not rnd.accepts_answers(now):
            raise Conflict("rounds.closed")
        if deadline <= rnd.deadline:
            raise InvalidInput("rounds.not_later")
        check_deadline(deadline, now, lead=EXTEND_LEAD)
        await uow.rounds.set_deadline(rnd.id, deadline, now)
        await uow.rounds.rearm_reminders(rnd.id)
        moved = await uow.rounds.by_id(rnd.id)
        assert moved is not None
        told = answerers(await uow.rounds.members_of(moved.asked), moved)
        await uow.outbox.enqueue([messages.extended(m, moved) for m in told], now)
        await uow.audit.append(
            at=now,
            actor_id=member.id,
            action="round.extended",
            subject=rnd.job,
            details={"from": rnd.deadline.isoformat(), "to": deadline.isoformat()},
        )
        await uow.commit()
    return moved


async def close_early(uow_factory: UnitOfWorkFactory, actor: Actor, round_id: int, now: dt.datetime) -> Round:
    """End the round now: the compilation follows at once. The launcher or an admin; audited."""
    async with uow_factory() as uow:
        member, rnd = await load_visible(uow, actor, round_id)
        if not may_manage(member, rnd):
            raise NotAllowed()
        if not rnd.accepts_answers(now):
            raise Conflict("rounds.closed")
        await uow.rounds.set_deadline(rnd.id, now, now, early=True)
        await uow.audit.append(
            at=now,
            actor_id=member.id,
            action="round.closed_early",
            subject=rnd.job,
            details={"deadline": rnd.deadline.isoformat()},
        )
        await uow.commit()
    return rnd


@dataclass(frozen=True, slots=True)
class Reminded:
    """What a reminder sweep did."""

    rounds: int
    delegations: int
    messages: int


async def remind_due(uow_factory: UnitOfWorkFactory, now: dt.datetime, messages: RoundMessages) -> Reminded:
    """Queue the reminders due now to delegations that have not answered, each stage once."""
    async with uow_factory() as uow:
        due = {
            r.id: (r, stage)
            for r in await uow.rounds.open_rounds()
            if (stage := due_stage(r.deadline, r.zone, now))
        }
        if not due:
            return Reminded(0, 0, 0)
        answered = await uow.rounds.answered(due)
        reminded = await uow.rounds.reminded(due)
        reached: list[tuple[int, str, Stage, bool]] = []
        for rnd, stage in due.values():
            for code in rnd.asked:
                if (rnd.id, code, stage) not in reminded:
                    reached.append((rnd.id, code, stage, (rnd.id, code) not in answered))
        if not reached:
            return Reminded(0, 0, 0)
        to_remind = {(r, c) for r, c, _, send in reached if send}
        members = await uow.rounds.members_of({c for _, c in to_remind})
        rows = []
        for rnd, stage in due.values():
            for member in answerers(members, rnd):
                if (rnd.id, member.delegation.code) in to_remind:
                    rows.append(messages.reminder(member, rnd, stage))
        await uow.rounds.record_reminders(reached, now)
        queued = await uow.outbox.enqueue(rows, now)
        await uow.commit()
    return Reminded(len({r for r, _, _, _ in reached}), len(to_remind), queued)


Labels = Callable[[Round, str], DocumentLabels]  # a round and its launcher's language


async def compile_due(
    uow_factory: UnitOfWorkFactory, now: dt.datetime, messages: RoundMessages, labels: Labels
) -> list[Compiled]:
    """Compile every round whose deadline has passed, each once whichever process gets to it first: the
    documents, one message (with both documents) to everyone who may read the compilation's label; audited."""
    async with uow_factory() as uow:
        due = await uow.rounds.due(now)
    made = []
    for rnd in due:
        compiled = await _compile(uow_factory, rnd, now, messages, labels)
        if compiled is not None:
            made.append(compiled)
    return made


async def _compile(
    uow_factory: UnitOfWorkFactory, rnd: Round, now: dt.datetime, messages: RoundMessages, labels: Labels
) -> Compiled | None:
    async with uow_factory() as uow:
        answers = await uow.rounds.answers(rnd.id)
        head = headline(rnd.asked, answers)
        result = outcome(rnd.kind, head)
        if not await uow.rounds.mark_compiled(rnd.id, result, now):
            return None  # another run compiled it
        done = await uow.rounds.by_id(rnd.id)
        assert done is not None
        compiled = Compiled(done, answers, head, result)
        launcher = await uow.members.by_id(done.launcher_id)
        words = labels(done, launcher.language if launcher else "en")
        files = [
            await uow.rounds.save_file(
                rnd.id, XLSX, filename(compiled, XLSX), spreadsheet(compiled, words), now
            ),
            await uow.rounds.save_file(
                rnd.id, DOCX, filename(compiled, DOCX), document(compiled, words), now
            ),
        ]
        label = answers_label(done)
        readers = [m for m in await uow.members.all() if m.active and may_read(m, label)]
        rows = [row for m in readers for row in messages.compilation(m, compiled, files)]
        await uow.outbox.enqueue(rows, now)
        await uow.audit.append(
            at=now,
            actor_id=None,
            action="round.compiled",
            subject=rnd.job,
            details={
                "asked": head.asked,
                "answered": head.answered,
                "silence": head.silence,
                "readers": len(readers),
                "outcome": result.value if result else None,
            },
        )
        await uow.commit()
    return compiled


async def stored_file(uow_factory: UnitOfWorkFactory, file_id: int) -> tuple[str, bytes] | None:
    """A compiled document, as the sender attaches it."""
    async with uow_factory() as uow:
        return await uow.rounds.file(file_id)


async def open_rounds(uow_factory: UnitOfWorkFactory) -> list[Round]:
    """Rounds not compiled yet (at start-up, each gets a job at its deadline)."""
    async with uow_factory() as uow:
        return list(await uow.rounds.open_rounds())
