"""The delivery engine's use cases: what the sender records, and the state admins may see."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import replace

from bot.domain.outbox import Delivered, Op, OutboxState, OutboxStatus, Outgoing, Queued, correct
from bot.domain.reveals import SEND, Hold, Readers, Verdict, judge
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.actors import Actor, require_admin


async def enqueue(uow: UnitOfWork, messages: Sequence[Outgoing], now: dt.datetime) -> int:
    """Write messages to the outbox inside the caller's transaction; duplicates (same key) are ignored."""
    return await uow.outbox.enqueue(messages, now)


async def verdict_on(uow: UnitOfWork, row: Queued) -> Verdict:
    """The read rules on a queued message as of now: may its recipient still read all it shows?"""
    reveals = row.reveals
    if reveals.readers is Readers.ANYONE:
        return SEND
    member = await uow.members.by_id(row.member_id) if row.member_id is not None else None
    in_audience = True
    if reveals.notice is not None and member is not None:
        in_audience = await uow.notices.includes(reveals.notice, member.id)
    current = await uow.posting.by_ids([s.update_id for s in reveals.updates]) if reveals.updates else {}
    basis = reveals.digest
    changed = basis is not None and await uow.subscriptions.changed_since(
        basis.start, basis.end, basis.composed_at
    )
    verdict = judge(reveals, member, current, in_audience=in_audience, digest_changed=changed)
    if verdict.refresh and (row.op is not Op.SEND or row.parts_sent > 0):
        # Only a message not yet begun is made again; a correction, or the rest of a message whose first
        # parts went out, is held (the change that made it stale queued its own corrections).
        return Verdict(Hold.CHANGED)
    return verdict


async def engine_state(
    uow_factory: UnitOfWorkFactory, actor: Actor | None, job: str | None = None
) -> OutboxState:
    """Queued, sent, failed, skipped and unreachable; admins only (None: the command line)."""
    async with uow_factory() as uow:
        if actor is not None:
            await require_admin(uow, actor)
        return await uow.outbox.state(job)


class Ledger:
    """What the sender writes, one short transaction each, so a crash loses nothing."""

    def __init__(self, uow_factory: UnitOfWorkFactory, worker: str, lease: dt.timedelta) -> None:
        self._uow = uow_factory
        self.worker = worker
        self.lease = lease
        self.check_seconds = 0.0  # CPU time spent on the read rules at send time
        self.checks = 0

    async def claim(self, now: dt.datetime, limit: int) -> Sequence[Queued]:
        """Due rows for this worker."""
        async with self._uow() as uow:
            rows = await uow.outbox.claim(self.worker, now, self.lease, limit)
            await uow.commit()
        return rows

    async def begin(self, row: Queued, now: dt.datetime) -> Verdict | None:
        """Check the read rules as of now; if the row may go, record its next part in flight. A held row
        is recorded with its reason. None if another worker took the row over."""
        async with self._uow() as uow:
            started = time.process_time()
            verdict = await verdict_on(uow, row)
            self.check_seconds += time.process_time() - started
            self.checks += 1
            if verdict.hold is not None:
                await uow.outbox.withhold(row.id, self.worker, verdict.hold, now)
            elif verdict.send and not await uow.outbox.begin_part(row.id, self.worker, now, self.lease):
                return None
            await uow.commit()
        return verdict

    async def rewrite(self, row: Queued, message: Outgoing, now: dt.datetime) -> Queued:
        """The row made again as of now (what it shows changed since it was queued)."""
        async with self._uow() as uow:
            await uow.outbox.rewrite(row.id, message, now)
            await uow.commit()
        return replace(
            row,
            parts=message.parts,
            protect=message.protect,
            markup=message.markup,
            attachment=message.attachment,
            reveals=message.reveals,
        )

    async def withhold(self, row: Queued, hold: Hold, now: dt.datetime) -> None:
        """Hold a row back for a reason found outside `begin` (its content could not be made again)."""
        async with self._uow() as uow:
            await uow.outbox.withhold(row.id, self.worker, hold, now)
            await uow.commit()

    async def sent(self, row: Queued, message_id: int, now: dt.datetime) -> bool:
        """A part was delivered; True if what it shows changed while it was in flight."""
        async with self._uow() as uow:
            stale = await uow.outbox.part_sent(row, message_id, now)
            await uow.commit()
        return stale

    async def verdict(self, row: Queued) -> Verdict:
        """The read rules on a delivered row as of now (a row that went stale in flight)."""
        async with self._uow() as uow:
            return await verdict_on(uow, replace(row, op=Op.SEND, parts_sent=0))

    async def correct(
        self, copy: Delivered, fresh: Outgoing | None, job: str | None, now: dt.datetime
    ) -> None:
        """Queue what brings a delivered copy in line with what its recipient may read now."""
        rows, _ = correct(copy, fresh, key=f"fix:{copy.row_id}:{now.isoformat()}", job=job, now=now)
        async with self._uow() as uow:
            await uow.outbox.enqueue(rows, now)
            await uow.commit()

    async def retry(
        self,
        row: Queued,
        delay: float,
        error: str,
        now: dt.datetime,
        *,
        attempt: bool,
        maybe_duplicate: bool = False,
    ) -> None:
        """Try again after `delay` seconds."""
        async with self._uow() as uow:
            # The chat's later messages wait for this one, so a retry never reorders a conversation.
            await uow.outbox.defer_chat(
                row.chat_id, row.id, now + dt.timedelta(seconds=delay), self.worker, now
            )
            await uow.outbox.retry(
                row.id,
                now + dt.timedelta(seconds=delay),
                error,
                now,
                count_attempt=attempt,
                maybe_duplicate=maybe_duplicate,
            )
            await uow.commit()

    async def fail(self, row: Queued, error: str, now: dt.datetime) -> None:
        """Give up on this row."""
        async with self._uow() as uow:
            await uow.outbox.fail(row.id, error, now)
            await uow.commit()

    async def unreachable(self, chat_id: int, error: str, now: dt.datetime) -> int:
        """The chat blocked us or is gone: skip its rows, mark the member unreachable, audit it."""
        async with self._uow() as uow:
            skipped = await uow.outbox.skip_chat(chat_id, error, now)
            member = await uow.members.by_telegram_id(chat_id)
            if member is not None and member.reachable:
                await uow.members.change(member.id, now, reachable=False)
                await uow.audit.append(
                    at=now,
                    actor_id=member.id,
                    action="member.unreachable",
                    subject=f"member {member.id}",
                    details={"reason": error[:200]},
                )
            await uow.commit()
        return skipped

    async def release(self, ids: Sequence[int], now: dt.datetime) -> None:
        """Return claimed rows that were not started."""
        async with self._uow() as uow:
            await uow.outbox.release(self.worker, ids, now)
            await uow.commit()

    async def reserve(self, chat_id: int, now: dt.datetime, spacing: float, chat_gap: float) -> dt.datetime:
        """A start time from the budget all processes share (PostgreSQL)."""
        async with self._uow() as uow:
            at = await uow.budget.reserve(chat_id, now, spacing, chat_gap)
            await uow.commit()
        return at

    async def hold_chat(self, chat_id: int, after_id: int, until: dt.datetime, now: dt.datetime) -> None:
        """The chat's rows after `after_id` that this worker holds (not started) go back to the queue
        until `until`: they wait for an earlier message of the chat that is being retried."""
        async with self._uow() as uow:
            await uow.outbox.defer_chat(chat_id, after_id, until, self.worker, now)
            await uow.commit()


__all__ = ["Ledger", "OutboxStatus", "engine_state", "enqueue"]
