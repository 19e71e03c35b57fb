"""Subscriptions, and composing and queuing digests in batches, once per subscription and period."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from bot.domain.digests import (
    FIRST_PERIOD,
    GRACE,
    Advance,
    Digest,
    DueDigest,
    Frequency,
    Run,
    Scope,
    Subscription,
    check_choice,
    check_room,
    check_weekday,
    next_due,
    period_of,
)
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.model import Country, Member, Region
from bot.domain.outbox import Outgoing
from bot.domain.reveals import DigestBasis
from bot.ports import UnitOfWork, UnitOfWorkFactory, long_reads
from bot.services.actors import Actor, require_member
from bot.services.digest_compose import compose

Render = Callable[[Member, Subscription, Digest], Sequence[Outgoing]]
SENT, EMPTY, MISSED = "sent", "empty", "missed"
ENQUEUE_CHUNK = 1000  # digests rendered and queued at a time: memory stays flat whatever the number


@dataclass(frozen=True, slots=True)
class Sweep:
    """What one run of the digest job did."""

    sent: int
    empty: int
    missed: int
    already_done: int
    # subscription → its next due time, for each subscription the sweep moved on (to reschedule its job)
    next_due: dict[int, dt.datetime] = field(default_factory=dict, compare=False)


async def _member(uow: UnitOfWork, actor: Actor) -> Member:
    member = await require_member(uow, actor)
    if actor.in_group:
        raise InvalidInput("error.private_only")
    return member


async def subscribe(
    uow_factory: UnitOfWorkFactory,
    actor: Actor,
    scope: Scope,
    frequency: Frequency,
    weekday: int,
    at: dt.time,
    send_empty: bool,
    now: dt.datetime,
    subscription_id: int | None = None,
) -> Subscription:
    """Create a subscription (or change one of the member's own), due next at the member's local time."""
    check_weekday(weekday)
    async with uow_factory() as uow:
        member = await _member(uow, actor)
        await _check_scope(uow, scope)
        if subscription_id is not None:
            own = await uow.subscriptions.by_id(subscription_id)
            if own is None or own.member_id != member.id:
                raise NotFound()
        else:
            check_room(len(await uow.subscriptions.for_member(member.id)))
        due = next_due(now, frequency, weekday, at, member.time_zone)
        saved = await uow.subscriptions.save(
            member.id, scope, frequency, weekday, at, send_empty, due, now, subscription_id
        )
        await uow.audit.append(
            at=now,
            actor_id=member.id,
            action="subscription.saved",
            subject=f"subscription {saved.id}",
            details={"frequency": frequency.value, "weekday": weekday, "at": at.isoformat()},
        )
        await uow.commit()
    return saved


async def follow_time_zone(uow: UnitOfWork, member: Member, now: dt.datetime) -> list[Subscription]:
    """Move each live digest of `member` to its next due time in the member's (new) zone, in the caller's
    transaction: '08:00' stays 08:00 where the member now is. Returns the digests moved."""
    moved = []
    for own in await uow.subscriptions.for_member(member.id):
        due = next_due(now, own.frequency, own.weekday, own.at, member.time_zone)
        if not own.paused and due != own.next_due_at:  # a paused one is moved when it is resumed
            await uow.subscriptions.set_paused(own.id, False, due, now)
            moved.append(replace(own, next_due_at=due))
    return moved


async def may_subscribe(uow_factory: UnitOfWorkFactory, actor: Actor) -> None:
    """Whether the member may start another subscription: said before they answer its questions."""
    async with uow_factory() as uow:
        member = await _member(uow, actor)
        check_room(len(await uow.subscriptions.for_member(member.id)))


async def _check_scope(uow: UnitOfWork, scope: Scope) -> None:
    check_choice(scope)
    regions = {r.key for r in await uow.catalog.regions()}
    bad = [r for r in scope.regions if r not in regions]
    bad += [c for c in scope.countries if await uow.catalog.country(c) is None]
    bad += [str(i) for i in scope.initiatives if await uow.initiatives.by_id(i) is None]
    if bad:
        raise InvalidInput("subscribe.bad_scope")


async def my_subscriptions(uow_factory: UnitOfWorkFactory, actor: Actor) -> Sequence[Subscription]:
    """The member's subscriptions."""
    async with uow_factory(read_only=True) as uow:
        member = await _member(uow, actor)
        return await uow.subscriptions.for_member(member.id)


@dataclass(frozen=True, slots=True)
class ScopeNames:
    """What the member's digests name: regions and countries (to name them in the member's language) and
    initiatives' references."""

    regions: dict[str, Region]
    countries: dict[str, Country]
    refs: dict[int, str]


async def named_subscriptions(
    uow_factory: UnitOfWorkFactory, actor: Actor
) -> tuple[Sequence[Subscription], ScopeNames]:
    """The member's subscriptions with the names of what they cover."""
    async with uow_factory() as uow:
        member = await _member(uow, actor)
        found = await uow.subscriptions.for_member(member.id)
        regions = {r.key: r for r in await uow.catalog.regions()}
        countries = {c.code: c for c in await uow.catalog.countries()}
        wanted = {i for s in found for i in s.scope.initiatives}
        refs = {i: found_one.ref for i in wanted if (found_one := await uow.initiatives.by_id(i)) is not None}
    return found, ScopeNames(regions, countries, refs)


async def set_paused(
    uow_factory: UnitOfWorkFactory, actor: Actor, subscription_id: int, paused: bool, now: dt.datetime
) -> Subscription:
    """Pause, or resume (the next digest then covers the time since the last one)."""
    async with uow_factory() as uow:
        member = await _member(uow, actor)
        own = await uow.subscriptions.by_id(subscription_id)
        if own is None or own.member_id != member.id:
            raise NotFound()
        due = next_due(now, own.frequency, own.weekday, own.at, member.time_zone)
        await uow.subscriptions.set_paused(subscription_id, paused, due, now)
        changed = await uow.subscriptions.by_id(subscription_id)
        await uow.commit()
    assert changed is not None
    return changed


async def unsubscribe(
    uow_factory: UnitOfWorkFactory, actor: Actor, subscription_id: int | None, now: dt.datetime
) -> int:
    """Delete one subscription of the member's, or all of them (None); how many were deleted."""
    async with uow_factory() as uow:
        member = await _member(uow, actor)
        own = [s.id for s in await uow.subscriptions.for_member(member.id)]
        chosen = own if subscription_id is None else [i for i in own if i == subscription_id]
        if subscription_id is not None and not chosen:
            raise NotFound()
        await uow.subscriptions.delete(chosen)
        await uow.audit.append(
            at=now,
            actor_id=member.id,
            action="subscription.deleted",
            subject=f"member {member.id}",
            details={"subscriptions": chosen},
        )
        await uow.commit()
    return len(chosen)


async def preview(
    uow_factory: UnitOfWorkFactory, actor: Actor, scope: Scope | None, now: dt.datetime
) -> tuple[Member, Digest]:
    """The digest this member would get now for the last 7 days (`None`: everything they subscribed to)."""
    async with uow_factory(read_only=True) as uow:
        member = await _member(uow, actor)
        if scope is None:
            scopes = [s.scope for s in await uow.subscriptions.for_member(member.id)]
            scope = _union(scopes) if scopes else Scope()
        fake = Subscription(
            0, member.id, scope, Frequency.WEEKLY, 0, dt.time(8), True, False, now, now - FIRST_PERIOD
        )
        digests = await compose(uow, [DueDigest(fake, member, now - FIRST_PERIOD, now)], now)
    return member, digests[0]


def _union(scopes: Sequence[Scope]) -> Scope:
    if any(s.everything for s in scopes):
        return Scope()
    return Scope(
        everything=False,
        regions=tuple(sorted({r for s in scopes for r in s.regions})),
        countries=tuple(sorted({c for s in scopes for c in s.countries})),
        types=tuple(sorted({t for s in scopes for t in s.types})),
        initiatives=tuple(sorted({i for s in scopes for i in s.initiatives})),
    )


async def send_due(
    uow_factory: UnitOfWorkFactory, now: dt.datetime, render: Render, only: Sequence[int] | None = None
) -> Sweep:
    """Queue every digest due by now, once per subscription and period, in one unit of work.

    The runs are recorded first, in bulk: only the subscriptions whose run is new get an outbox row, in
    the same transaction, so a double job or a restart queues nothing twice. A digest more than `GRACE`
    late (the bot was down) is recorded as missed and the next one covers the gap, since a period always
    starts where the previous digest ended.
    """
    async with uow_factory() as uow:
        wanted = None if only is None else set(only)
        subscriptions = [
            s for s in await uow.subscriptions.active(due_before=now) if wanted is None or s.id in wanted
        ]
        members = {m.id: m for m in await uow.members.by_ids({s.member_id for s in subscriptions})}
        composing: list[DueDigest] = []
        runs: list[Run] = []
        moves: list[Advance] = []
        for sub in subscriptions:
            member = members[sub.member_id]
            start, end = period_of(sub, sub.next_due_at)
            if now - sub.next_due_at > GRACE:
                runs.append(Run(sub.id, start, end, MISSED))
                # The next digest starts where the missed one would have: nothing falls between.
                moves.append(Advance(sub.id, sub.last_period_end or start, _next(sub, member, now)))
            else:
                composing.append(DueDigest(sub, member, start, end))
        composed = list(zip(composing, await compose(uow, composing, now), strict=True))
        for due, digest in composed:
            sub = due.subscription
            runs.append(Run(sub.id, due.start, due.end, _outcome(sub, digest), digest.update_count))
            moves.append(Advance(sub.id, due.end, _next(sub, due.member, due.end)))
        new = await uow.subscriptions.record_runs(runs, now)
        counts = Counter(run.outcome for run in runs if run.subscription_id in new)
        sending = [
            (due, d)
            for due, d in composed
            if due.subscription.id in new and _outcome(due.subscription, d) == SENT
        ]
        # A digest's subscribers together (its text rendered once), digests in the order composed.
        first_seen: dict[int, int] = {}
        for index, (_, digest) in enumerate(sending):
            first_seen.setdefault(id(digest), index)
        sending.sort(key=lambda jd: first_seen[id(jd[1])])
        for first in range(0, len(sending), ENQUEUE_CHUNK):
            batch = sending[first : first + ENQUEUE_CHUNK]
            await uow.outbox.enqueue(
                [m for due, d in batch for m in render(due.member, due.subscription, d)], now
            )
        await uow.subscriptions.advance(moves, now)
        await uow.commit()
    return Sweep(
        counts[SENT],
        counts[EMPTY],
        counts[MISSED],
        len(composing) - counts[SENT] - counts[EMPTY],
        {move.subscription_id: move.next_due_at for move in moves},
    )


def _outcome(sub: Subscription, digest: Digest) -> str:
    return SENT if not digest.empty or sub.send_empty else EMPTY


def _next(sub: Subscription, member: Member, after: dt.datetime) -> dt.datetime:
    return next_due(after, sub.frequency, sub.weekday, sub.at, member.time_zone)


@long_reads
async def recompose(
    uow_factory: UnitOfWorkFactory, basis: DigestBasis, member_id: int, now: dt.datetime
) -> tuple[Member, Subscription, Digest] | None:
    """A queued digest composed again as of now (something in it changed, or how its reader reads):
    the same subscription and period; None if the subscription or the member is gone."""
    async with uow_factory(read_only=True) as uow:
        sub = await uow.subscriptions.by_id(basis.subscription_id)
        member = await uow.members.by_id(member_id)
        if sub is None or member is None or sub.member_id != member.id:
            return None
        [digest] = await compose(uow, [DueDigest(sub, member, basis.start, basis.end)], now)
    return member, sub, digest


async def subscription(uow_factory: UnitOfWorkFactory, subscription_id: int) -> Subscription | None:
    """One subscription as stored (its job checks whether it is still due)."""
    async with uow_factory(read_only=True) as uow:
        return await uow.subscriptions.by_id(subscription_id)


async def live_subscriptions(uow_factory: UnitOfWorkFactory) -> Sequence[Subscription]:
    """Every live subscription, to rebuild the scheduler's jobs at start-up."""
    async with uow_factory(read_only=True) as uow:
        return await uow.subscriptions.active()
