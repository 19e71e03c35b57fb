"""The delivery engine's use cases: what the sender records, and the state admins may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from bot.domain.outbox import (
    Begun,
    Delivered,
    Op,
    OutboxState,
    OutboxStatus,
    Outgoing,
    Queued,
    correct,
    retracts,
)
from bot.domain.reveals import SEND, Hold, Verdict
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.actors import Actor, require_admin
from bot.services.read_check import verdict_on, verdicts


async def enqueue(uow: UnitOfWork, messages: Sequence[Outgoing], now: dt.datetime) -> int:
    """Write messages to the outbox inside the caller's transaction; duplicates (same key) are ignored."""
    return await uow.outbox.enqueue(messages, now)


async def engine_state(
    uow_factory: UnitOfWorkFactory, actor: Actor | None, job: str | None = None
) -> OutboxState:
    """Queued, sent, failed, skipped and unreachable; admins only (None: the command line)."""
    async with uow_factory(read_only=True) as uow:
        if actor is not None:
            await require_admin(uow, actor)
        return await uow.outbox.state(job)


class Ledger:
    """What the sender writes, one short transaction each, so a crash loses nothing."""

    def __init__(self, uow_factory: UnitOfWorkFactory, worker: str, lease: dt.timedelta) -> None:
        self._uow = uow_factory
        self.worker = worker
        self.lease = lease

    async def stored_file(self, file_id: int) -> tuple[str, bytes] | None:
        """A document the bot made (a round's compilation) to attach: its name and content."""
        async with self._uow() as uow:
            return await uow.rounds.file(file_id)

    async def claim(self, now: dt.datetime, limit: int) -> Sequence[Queued]:
        """Due rows for this worker, checked against the read rules as a batch: those that may no longer
        go are held back at once; the others carry the read epoch they were checked at."""
        async with self._uow() as uow:
            rows = await uow.outbox.claim(self.worker, now, self.lease, limit)
            epoch = await uow.outbox.epoch()  # first: a change after it makes the send check again
            kept = []
            for row, verdict in zip(rows, await verdicts(uow, rows), strict=True):
                if verdict.hold is not None:
                    await uow.outbox.withhold(row.id, self.worker, verdict.hold, now)
                else:
                    kept.append(replace(row, checked_epoch=epoch if verdict.send else None))
            await uow.commit()
        return kept

    async def begin(self, row: Queued, now: dt.datetime) -> Verdict | None:
        """Right before a send: if nothing a read rule depends on moved since the row was checked, record
        its next part in flight, in one statement; else check it again as of now (a held row is recorded
        with its reason). None if another worker took the row over or an admin stopped it."""
        async with self._uow() as uow:
            if row.checked_epoch is not None:
                begun = await uow.outbox.begin_part(row.id, self.worker, now, self.lease, row.checked_epoch)
                if begun is not Begun.CHANGED:
                    await uow.commit()
                    return SEND if begun is Begun.BEGUN else None
            verdict = await verdict_on(uow, row)
            if verdict.hold is not None:
                await uow.outbox.withhold(row.id, self.worker, verdict.hold, now)
            elif (
                verdict.send
                and await uow.outbox.begin_part(row.id, self.worker, now, self.lease) is Begun.LOST
            ):
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
            checked_epoch=None,
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
            await uow.outbox.retract([copy.row_id] if retracts(rows) else [], now)
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
