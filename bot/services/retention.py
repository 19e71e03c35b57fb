"""Apply the retention periods in short transactions, or say what is due (a dry run).

Each batch is its own unit of work, so no transaction holds the store for long, and the run pauses
between batches: the sender's writes (to the same SQLite file) wait at most one batch. A member
is pseudonymised in a transaction of their own, audited like an admin's erasure. Running twice changes
nothing the second time: every step selects only what is still due.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable

from bot.domain.retention import Cutoffs, RetentionCounts, RetentionPolicy, RetentionReport
from bot.ports import UnitOfWork, UnitOfWorkFactory, long_reads
from bot.services.privacy import erase_in

Timer = Callable[[], float]
Step = Callable[[UnitOfWork, Cutoffs, dt.datetime, int], Awaitable[RetentionCounts]]


@long_reads
async def retention_due(
    uow_factory: UnitOfWorkFactory, policy: RetentionPolicy, now: dt.datetime
) -> RetentionReport:
    """What a run would do now, changing nothing."""
    cut = policy.cutoffs(now)
    async with uow_factory(read_only=True) as uow:
        counts = RetentionCounts(
            members=await uow.retention.count_revoked_members(cut.revoked_before),
            payloads=await uow.retention.count_payloads(cut.payload_before),
            requests=await uow.retention.count_refused_requests(cut.refused_before),
            invites=await uow.retention.count_expired_invites(cut.expired_before),
        )
    return RetentionReport(counts, dry_run=True, transactions=1)


async def apply_retention(
    uow_factory: UnitOfWorkFactory,
    policy: RetentionPolicy,
    now: dt.datetime,
    timer: Timer = time.perf_counter,
) -> RetentionReport:
    """Do what is due, batch by batch; stop at once if another process is applying retention."""
    cut = policy.cutoffs(now)
    done, transactions, longest, busy = RetentionCounts(), 0, 0.0, False
    steps: tuple[tuple[Step, int], ...] = (
        (_members, 1),
        (_payloads, policy.batch_size),
        (_requests, policy.batch_size),
        (_invites, policy.batch_size),
    )
    for step, limit in steps:
        while not busy:
            started = timer()
            async with uow_factory() as uow:
                busy = not await uow.retention.try_lock()
                batch = RetentionCounts() if busy else await step(uow, cut, now, limit)
                await uow.commit()
            transactions += 0 if busy else 1
            longest = max(longest, timer() - started)
            done += batch
            if batch.total < limit:
                break
            await asyncio.sleep(policy.pause_seconds)  # the sender and the chat have the store meanwhile
    if done.total:
        await _audit(uow_factory, done, now)
    return RetentionReport(done, busy=busy, transactions=transactions, longest_transaction=longest)


async def _members(uow: UnitOfWork, cut: Cutoffs, now: dt.datetime, limit: int) -> RetentionCounts:
    due = await uow.retention.revoked_members(cut.revoked_before, limit)
    for member in due:
        await erase_in(uow, member, now, None, "retention")
    return RetentionCounts(members=len(due))


async def _payloads(uow: UnitOfWork, cut: Cutoffs, now: dt.datetime, limit: int) -> RetentionCounts:
    return RetentionCounts(payloads=await uow.retention.empty_payloads(cut.payload_before, now, limit))


async def _requests(uow: UnitOfWork, cut: Cutoffs, now: dt.datetime, limit: int) -> RetentionCounts:
    return RetentionCounts(requests=await uow.retention.delete_refused_requests(cut.refused_before, limit))


async def _invites(uow: UnitOfWork, cut: Cutoffs, now: dt.datetime, limit: int) -> RetentionCounts:
    return RetentionCounts(invites=await uow.retention.delete_expired_invites(cut.expired_before, limit))


async def _audit(uow_factory: UnitOfWorkFactory, done: RetentionCounts, now: dt.datetime) -> None:
    async with uow_factory() as uow:
        await uow.audit.append(
            at=now,
            actor_id=None,
            action="retention.applied",
            subject="retention",
            details={
                "members_pseudonymised": done.members,
                "payloads_emptied": done.payloads,
                "requests_deleted": done.requests,
                "invites_deleted": done.invites,
            },
        )
        await uow.commit()
