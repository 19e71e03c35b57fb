"""Subscriptions, and composing and queuing digests in batches, once per subscription and period."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.domain.access import member_may_read
from bot.domain.digests import (
    EVENTS_AHEAD,
    FIRST_PERIOD,
    GRACE,
    Digest,
    Frequency,
    Scope,
    Subscription,
    next_due,
    period_of,
)
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.model import Event, Initiative, Member, Region, Update
from bot.domain.outbox import Outgoing
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.actors import Actor, require_member

Render = Callable[[Member, Subscription, Digest], Sequence[Outgoing]]


@dataclass(frozen=True, slots=True)
class Sweep:
    """What one run of the digest job did."""

    sent: int
    empty: int
    missed: int
    already_done: int


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
    if not 0 <= weekday <= 6:
        raise InvalidInput("error.stale")
    async with uow_factory() as uow:
        member = await _member(uow, actor)
        await _check_scope(uow, scope)
        if subscription_id is not None:
            own = await uow.subscriptions.by_id(subscription_id)
            if own is None or own.member_id != member.id:
                raise NotFound()
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


async def _check_scope(uow: UnitOfWork, scope: Scope) -> None:
    regions = {r.key for r in await uow.catalog.regions()}
    bad = [r for r in scope.regions if r not in regions]
    bad += [c for c in scope.countries if await uow.catalog.country(c) is None]
    bad += [str(i) for i in scope.initiatives if await uow.initiatives.by_id(i) is None]
    if bad or (
        not scope.everything and not (scope.regions or scope.countries or scope.types or scope.initiatives)
    ):
        raise InvalidInput("subscribe.bad_scope")


async def my_subscriptions(uow_factory: UnitOfWorkFactory, actor: Actor) -> Sequence[Subscription]:
    """The member's subscriptions."""
    async with uow_factory() as uow:
        member = await _member(uow, actor)
        return await uow.subscriptions.for_member(member.id)


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
    async with uow_factory() as uow:
        member = await _member(uow, actor)
        if scope is None:
            scopes = [s.scope for s in await uow.subscriptions.for_member(member.id)]
            scope = _union(scopes) if scopes else Scope()
        fake = Subscription(
            0, member.id, scope, Frequency.WEEKLY, 0, dt.time(8), True, False, now, now - FIRST_PERIOD
        )
        digests = await compose(uow, [(fake, member, now - FIRST_PERIOD, now)], now)
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


Job = tuple[Subscription, Member, dt.datetime, dt.datetime]


async def compose(uow: UnitOfWork, jobs: Sequence[Job], now: dt.datetime) -> list[Digest]:
    """Digests for many subscriptions with a fixed number of queries, whatever their number.

    Everything the batch needs is read once (updates of the whole window, initiatives, regions, status
    changes, events); each digest is then a filter in memory, shared by subscriptions with equal scopes.
    """
    if not jobs:
        return []
    start = min(job[2] for job in jobs)
    end = max(job[3] for job in jobs)
    updates = await uow.subscriptions.updates_between(start, end)
    initiatives = {i.id: i for i in await uow.initiatives.all()}
    regions = await uow.catalog.regions()
    changes = await uow.subscriptions.status_changes(start, end)
    created = await uow.subscriptions.created_refs(start, end)
    events = await uow.events.between(now, now + EVENTS_AHEAD)
    index = _Index(initiatives, regions, created)
    return [index.digest(job, updates, changes, events) for job in jobs]


class _Index:
    """The batch's shared lookups: which initiatives a scope covers, cached per scope."""

    def __init__(
        self, initiatives: dict[int, Initiative], regions: Sequence[Region], created: set[str]
    ) -> None:
        self.initiatives = initiatives
        self.created = created
        self.by_ref = {i.ref: i for i in initiatives.values()}
        self.regions_of: dict[str, set[str]] = defaultdict(set)
        for region in regions:
            for country in region.countries:
                self.regions_of[country].add(region.key)
        self._covered: dict[tuple[object, ...], set[int]] = {}
        self._digests: dict[tuple[object, ...], Digest] = {}

    def covered(self, scope: Scope) -> set[int]:
        """Ids of the initiatives in scope."""
        found = self._covered.get(scope.key)
        if found is None:
            found = {i.id for i in self.initiatives.values() if scope.covers(i, self.regions_of)}
            self._covered[scope.key] = found
        return found

    def digest(
        self,
        job: Job,
        updates: Sequence[Update],
        changes: Sequence[tuple[str, str, dt.datetime]],
        events: Sequence[Event],
    ) -> Digest:
        """One subscription's digest: its scope, its period, what its member may read.

        Members who read alike (same role and delegation), with the same scope and period, share one.
        """
        sub, member, start, end = job
        key = (sub.scope.key, member.role, member.delegation.code, member.delegation.kind, start, end)
        cached = self._digests.get(key)
        if cached is None:
            cached = self._digests[key] = self._compose(sub, member, start, end, updates, changes, events)
        return cached

    def _compose(
        self,
        sub: Subscription,
        member: Member,
        start: dt.datetime,
        end: dt.datetime,
        updates: Sequence[Update],
        changes: Sequence[tuple[str, str, dt.datetime]],
        events: Sequence[Event],
    ) -> Digest:
        ids = self.covered(sub.scope)
        mine = [
            u
            for u in updates
            if u.initiative_id in ids and start <= u.created_at < end and member_may_read(member, u)
        ]
        new = [
            i
            for i in self.initiatives.values()
            if i.id in ids and i.ref in self.created and i.created_at and start <= i.created_at < end
        ]
        status = [
            (self.by_ref[ref], value)
            for ref, value, at in changes
            if ref in self.by_ref and self.by_ref[ref].id in ids and start <= at < end
        ]
        soon = [
            e
            for e in events
            if sub.scope.everything
            or e.initiative_id in ids
            or (e.country_code is not None and e.country_code in sub.scope.countries)
        ]
        covered = {u.initiative_id for u in mine}
        return Digest(start, end, mine, {i: self.initiatives[i] for i in covered}, new, status, soon)


async def send_due(
    uow_factory: UnitOfWorkFactory, now: dt.datetime, render: Render, only: Sequence[int] | None = None
) -> Sweep:
    """Queue every digest due by now, once per subscription and period, in one unit of work.

    A digest more than `GRACE` late (the bot was down) is recorded as missed and the next one covers the
    gap, since a period always starts where the previous digest ended.
    """
    sent = empty = missed = done = 0
    async with uow_factory() as uow:
        due = [s for s in await uow.subscriptions.active(due_before=now) if only is None or s.id in only]
        members = {m.id: m for m in await uow.members.by_ids({s.member_id for s in due})}
        jobs: list[Job] = []
        for sub in due:
            member = members[sub.member_id]
            if now - sub.next_due_at > GRACE:
                start, end = period_of(sub, sub.next_due_at)
                if await uow.subscriptions.record_run(sub.id, start, end, "missed", 0, now):
                    missed += 1
                # The next digest starts where the missed one would have: nothing falls between.
                await uow.subscriptions.advance(
                    sub.id, sub.last_period_end or start, _next(sub, member, now), now
                )
                continue
            start, end = period_of(sub, sub.next_due_at)
            jobs.append((sub, member, start, end))
        for (sub, member, start, end), digest in zip(jobs, await compose(uow, jobs, now), strict=True):
            outcome = "sent" if not digest.empty or sub.send_empty else "empty"
            if not await uow.subscriptions.record_run(sub.id, start, end, outcome, len(digest.updates), now):
                done += 1
            elif outcome == "sent":
                await uow.outbox.enqueue(list(render(member, sub, digest)), now)
                sent += 1
            else:
                empty += 1
            await uow.subscriptions.advance(sub.id, end, _next(sub, member, end), now)
        await uow.commit()
    return Sweep(sent, empty, missed, done)


def _next(sub: Subscription, member: Member, after: dt.datetime) -> dt.datetime:
    return next_due(after, sub.frequency, sub.weekday, sub.at, member.time_zone)


async def schedule(uow_factory: UnitOfWorkFactory) -> Sequence[Subscription]:
    """Every live subscription, to rebuild the scheduler's jobs at start-up."""
    async with uow_factory() as uow:
        return await uow.subscriptions.active()
