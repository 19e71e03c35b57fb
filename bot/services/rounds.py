"""Consultation rounds: who may launch, see, manage and answer them; launching; the list and one view.

Every check of role and TLP for rounds is here: handlers and jobs call these functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain.access import rights_of
from bot.domain.errors import InvalidInput, NotAllowed, NotFound
from bot.domain.model import Delegation, Member
from bot.domain.outbox import Outgoing
from bot.domain.reveals import Labelled
from bot.domain.round_checks import check_labels, likeness
from bot.domain.round_times import check_deadline
from bot.domain.rounds import Answer, Compiled, Round, RoundDraft, RoundKind, Scope, Stage
from bot.domain.vocab import DelegationKind, MemberStatus, Role, Tlp
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.actors import Actor, require_member

LISTED = 200  # rounds looked at for /rounds and for earlier rounds like a new one
SIMILAR = 0.2  # share of words from which an earlier round looks like the same question


class RoundMessages(Protocol):
    """What rounds send, made by the adapters (texts in each member's language)."""

    def opened(self, member: Member, rnd: Round) -> Outgoing: ...

    def reminder(self, member: Member, rnd: Round, stage: Stage) -> Outgoing: ...

    def extended(self, member: Member, rnd: Round) -> Outgoing: ...

    def compilation(self, member: Member, compiled: Compiled, files: Sequence[int]) -> list[Outgoing]: ...


@dataclass(frozen=True, slots=True)
class RoundView:
    """A round as one member may see it: their delegation's answer, and for its launcher and admins the
    submitted answers of every delegation asked (never a draft: drafts are not stored)."""

    round: Round
    member: Member
    may_answer: bool
    may_manage: bool
    own: Answer | None
    answers: dict[str, Answer] | None  # launcher and admins only
    reads_compilation: bool = False  # compiled, and the member may read its label


def questions_label(rnd: Round) -> Labelled:
    """What a message showing the round's questions reveals."""
    return Labelled(rnd.question_tlp, rnd.delegation_code, frozenset(rnd.asked))


def answers_label(rnd: Round) -> Labelled:
    """What its compilation reveals: answers may be stricter than the questions."""
    return Labelled(rnd.answer_tlp, rnd.delegation_code, frozenset(rnd.asked))


def may_read(member: Member, label: Labelled) -> bool:
    """The TLP rule of updates, applied to a round's questions or compilation."""
    return rights_of(member).allows_label(label.tlp, label.owner, label.named)


def may_see(member: Member, rnd: Round) -> bool:
    """Its launcher's delegation, the delegations asked and admins see an open round they may read; a
    compiled one is seen by whoever may read its compilation."""
    if not member.active:
        return False
    if rnd.compiled_at is not None and may_read(member, answers_label(rnd)):
        return True
    involved = member.role is Role.ADMIN or member.delegation.code in (*rnd.asked, rnd.delegation_code)
    return involved and may_read(member, questions_label(rnd))


def may_manage(member: Member, rnd: Round) -> bool:
    """The launcher and admins see the live status, extend and close early."""
    return member.active and (member.id == rnd.launcher_id or member.role is Role.ADMIN)


def may_answer(member: Member, rnd: Round, now: dt.datetime) -> bool:
    """Any contact (or admin) of an asked delegation, until the deadline."""
    return (
        member.active
        and member.role in (Role.CONTACT, Role.ADMIN)
        and member.delegation.code in rnd.asked
        and rnd.accepts_answers(now)
        and may_read(member, questions_label(rnd))
    )


def answerers(members: Sequence[Member], rnd: Round) -> list[Member]:
    """Who is told of the round and reminded: those who may answer for an asked delegation."""
    return [
        m
        for m in members
        if m.role in (Role.CONTACT, Role.ADMIN)
        and m.delegation.code in rnd.asked
        and may_read(m, questions_label(rnd))
    ]


def _stand_in(delegation: Delegation) -> Member:
    """A contact of the delegation: what TLP lets its people read."""
    return Member(0, 0, "", delegation, Role.CONTACT, MemberStatus.ACTIVE, "en", "UTC", True)


async def require_launcher(uow: UnitOfWork, actor: Actor, kind: RoundKind) -> Member:
    """Contacts and admins launch queries; admins circulate written consultations; in a private chat."""
    if actor.in_group:
        raise NotAllowed("error.private_only")
    if kind is RoundKind.CONSULTATION:
        return await require_member(uow, actor, Role.ADMIN)
    return await require_member(uow, actor, Role.CONTACT, Role.ADMIN)


async def check_launcher(uow_factory: UnitOfWorkFactory, actor: Actor, kind: RoundKind) -> Member:
    """Refuse at once whoever may not launch this kind of round."""
    async with uow_factory() as uow:
        return await require_launcher(uow, actor, kind)


def scope_codes(
    scope: Scope, chosen: Sequence[str], known: Sequence[Delegation], own: str
) -> tuple[str, ...]:
    """The delegations a scope names (the launcher's own is not asked unless chosen)."""
    if scope is Scope.CHOSEN:
        codes = {d.code for d in known}
        if not chosen or not set(chosen) <= codes:
            raise InvalidInput("rounds.no_delegations")
        return tuple(sorted(set(chosen)))
    wanted = [d for d in known if d.code != own]
    if scope is Scope.MEMBER_STATES:
        wanted = [d for d in wanted if d.kind is DelegationKind.MEMBER_STATE]
    return tuple(sorted(d.code for d in wanted))


async def resolve_scope(
    uow_factory: UnitOfWorkFactory, actor: Actor, scope: Scope, chosen: Sequence[str]
) -> tuple[str, ...]:
    """The delegations a launcher's choice names."""
    async with uow_factory() as uow:
        member = await require_member(uow, actor, Role.CONTACT, Role.ADMIN)
        return scope_codes(scope, chosen, await uow.catalog.delegations(), member.delegation.code)


def check_audience(known: Sequence[Delegation], codes: Sequence[str], tlp: Tlp, owner: str) -> None:
    """Every delegation asked must be able to read the questions (an observer body reads no AMBER)."""
    by_code = {d.code: d for d in known}
    label = Labelled(tlp, owner, frozenset(codes))
    shut = [c for c in codes if c not in by_code or not may_read(_stand_in(by_code[c]), label)]
    if shut:
        raise InvalidInput("rounds.label_excludes", codes=", ".join(shut[:10]), label=tlp.value)


async def check_readers(uow_factory: UnitOfWorkFactory, actor: Actor, codes: Sequence[str], tlp: Tlp) -> None:
    """Refuse a questions' label that a delegation asked could not read, as soon as it is chosen."""
    async with uow_factory() as uow:
        member = await require_member(uow, actor, Role.CONTACT, Role.ADMIN)
        check_audience(await uow.catalog.delegations(), codes, tlp, member.delegation.code)


async def launch(
    uow_factory: UnitOfWorkFactory, actor: Actor, draft: RoundDraft, now: dt.datetime, messages: RoundMessages
) -> tuple[Round, bool]:
    """Store the round, tell every delegation asked (the opening reminder), audit; a second confirmation of
    the same draft finds it launched (False)."""
    check_labels(draft.question_tlp, draft.answer_tlp)
    check_deadline(draft.deadline, now)
    if draft.kind is RoundKind.QUERY and not 1 <= len(draft.questions) <= 10:
        raise InvalidInput("rounds.no_questions")
    async with uow_factory() as uow:
        launcher = await require_launcher(uow, actor, draft.kind)
        earlier = await uow.rounds.by_key(draft.key)
        if earlier is not None:
            return earlier, False
        if not draft.delegations:
            raise InvalidInput("rounds.no_delegations")
        check_audience(
            await uow.catalog.delegations(), draft.delegations, draft.question_tlp, launcher.delegation.code
        )
        rnd = await uow.rounds.add(draft, launcher, now)
        told = answerers(await uow.rounds.members_of(rnd.asked), rnd)
        await uow.outbox.enqueue([messages.opened(m, rnd) for m in told], now)
        await uow.rounds.record_reminders([(rnd.id, code, Stage.OPEN, True) for code in rnd.asked], now)
        await uow.audit.append(
            at=now,
            actor_id=launcher.id,
            action="round.launched",
            subject=rnd.job,
            details={
                "kind": rnd.kind.value,
                "asked": list(rnd.asked),
                "questions": len(rnd.questions),
                "question_tlp": rnd.question_tlp.value,
                "answer_tlp": rnd.answer_tlp.value,
                "deadline": rnd.deadline.isoformat(),
            },
        )
        await uow.commit()
    return rnd, True


async def load_visible(uow: UnitOfWork, actor: Actor, round_id: int) -> tuple[Member, Round]:
    """The acting member and the round, if they may see it (else 'not found': nothing leaks)."""
    member = await require_member(uow, actor)
    if actor.in_group:
        raise NotAllowed("error.private_only")
    rnd = await uow.rounds.by_id(round_id)
    if rnd is None or not may_see(member, rnd):
        raise NotFound()
    return member, rnd


async def view(uow_factory: UnitOfWorkFactory, actor: Actor, round_id: int, now: dt.datetime) -> RoundView:
    """One round as the member may see it."""
    async with uow_factory() as uow:
        member, rnd = await load_visible(uow, actor, round_id)
        answers = await uow.rounds.answers(rnd.id)
    manage = may_manage(member, rnd)
    return RoundView(
        round=rnd,
        member=member,
        may_answer=may_answer(member, rnd, now),
        may_manage=manage,
        own=answers.get(member.delegation.code),
        answers=answers if manage else None,
        reads_compilation=rnd.compiled_at is not None and may_read(member, answers_label(rnd)),
    )


@dataclass(frozen=True, slots=True)
class Listing:
    """/rounds: those waiting for the member's delegation first, then other open ones, then compiled."""

    waiting: list[Round]
    open: list[Round]
    closed: list[Round]


async def listing(uow_factory: UnitOfWorkFactory, actor: Actor, now: dt.datetime) -> Listing:
    """The rounds the member may see."""
    async with uow_factory() as uow:
        member = await require_member(uow, actor)
        if actor.in_group:
            raise NotAllowed("error.private_only")
        found = [r for r in await uow.rounds.latest(LISTED) if may_see(member, r)]
        done = await uow.rounds.answered(r.id for r in found if r.open)
    code = member.delegation.code
    waiting = [r for r in found if may_answer(member, r, now) and (r.id, code) not in done]
    rest = [r for r in found if r.open and r not in waiting]
    return Listing(waiting, rest, [r for r in found if not r.open][:15])


async def similar(uow_factory: UnitOfWorkFactory, actor: Actor, text: str) -> list[Round]:
    """Earlier rounds the member may see whose title or questions look like `text` (most alike first)."""
    async with uow_factory() as uow:
        member = await require_member(uow, actor)
        found = [r for r in await uow.rounds.latest(LISTED) if may_see(member, r)]
    scored = []
    for rnd in found:
        score = max([likeness(text, rnd.title), *(likeness(text, q.text) for q in rnd.questions)])
        if score >= SIMILAR:
            scored.append((score, rnd))
    scored.sort(key=lambda pair: (-pair[0], -pair[1].id))
    return [rnd for _, rnd in scored[:3]]
