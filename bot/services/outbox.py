"""The delivery engine's use cases: what the sender records, and the state admins may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.domain.outbox import OutboxState, OutboxStatus, Outgoing, Queued
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.actors import Actor, require_admin


async def enqueue(uow: UnitOfWork, messages: Sequence[Outgoing], now: dt.datetime) -> int:
    """Write messages to the outbox inside the caller's transaction; duplicates (same key) are ignored."""
    return await uow.outbox.enqueue(messages, now)


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

    async def claim(self, now: dt.datetime, limit: int) -> Sequence[Queued]:
        """Due rows for this worker."""
        async with self._uow() as uow:
            rows = await uow.outbox.claim(self.worker, now, self.lease, limit)
            await uow.commit()
        return rows

    async def begin(self, row: Queued, now: dt.datetime) -> bool:
        """Record that the next part is in flight; False if another worker took the row over."""
        async with self._uow() as uow:
            ours = await uow.outbox.begin_part(row.id, self.worker, now, self.lease)
            await uow.commit()
        return ours

    async def sent(self, row: Queued, message_id: int, now: dt.datetime) -> None:
        """A part was delivered."""
        async with self._uow() as uow:
            await uow.outbox.part_sent(row, message_id, now)
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
