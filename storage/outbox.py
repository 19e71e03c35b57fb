"""The outbox table: enqueue (deduplicated), claim with a lease, record each outcome. Never commits."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.outbox import (
    Begun,
    Delivered,
    Op,
    OutboxKind,
    OutboxState,
    OutboxStatus,
    Outgoing,
    Queued,
    SkipCause,
    skip_cause,
)
from bot.domain.reveals import Hold, Readers, Reveals
from storage.engine import insert_or_skip
from storage.mapping import aware
from storage.models import MemberRow, OutboxRow, ReadEpochRow

QUEUED, SENDING = OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value
SENT, WITHHELD = OutboxStatus.SENT.value, OutboxStatus.WITHHELD.value
CLAIMED = (
    OutboxRow.id,
    OutboxRow.chat_id,
    OutboxRow.member_id,
    OutboxRow.kind,
    OutboxRow.op,
    OutboxRow.payload,
    OutboxRow.parts_sent,
    OutboxRow.attempts,
    OutboxRow.message_ids,
)


def _payload(m: Outgoing) -> dict[str, Any]:
    return {
        "parts": list(m.parts),
        "protect": m.protect,
        "markup": m.markup,
        "file": list(m.attachment) if m.attachment else None,
        "reveals": m.reveals.to_json(),
        "targets": list(m.targets),
    }


def queued_of(row: Any) -> Queued:
    payload = row.payload
    return Queued(
        id=row.id,
        chat_id=row.chat_id,
        kind=OutboxKind(row.kind),
        parts=tuple(payload["parts"]),
        parts_sent=row.parts_sent,
        attempts=row.attempts,
        protect=bool(payload.get("protect")),
        markup=payload.get("markup"),
        message_ids=tuple(row.message_ids.get("ids", [])),
        attachment=tuple(payload["file"]) if payload.get("file") else None,
        member_id=row.member_id,
        reveals=Reveals.from_json(payload["reveals"])
        if "reveals" in payload
        # Written before messages said what they reveal: the member's (only access answers had none).
        else Reveals(readers=Readers.MEMBERS if row.member_id is not None else Readers.ANYONE),
        op=Op(row.op),
        targets=tuple(payload.get("targets", ())),
    )


class SqlOutboxRepository:
    """Rows of the outbox."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def enqueue(self, messages: Sequence[Outgoing], now: dt.datetime) -> int:
        """Insert the messages whose dedupe key is new; return how many were new."""
        if not messages:
            return 0
        rows: list[dict[str, Any]] = [
            {
                "chat_id": m.chat_id,
                "member_id": m.member_id,
                "kind": m.kind.value,
                "op": m.op.value,
                "job": m.job,
                "dedupe_key": m.dedupe_key,
                "payload": _payload(m),
                "parts_sent": 0,
                "status": QUEUED,
                "attempts": 0,
                "not_before": m.not_before or now,
                "in_flight": False,
                "maybe_duplicate": False,
                "stale": False,
                "retracted": False,
                "message_ids": {"ids": []},
                "created_at": now,
                "updated_at": now,
            }
            for m in messages
        ]
        table = cast(Table, OutboxRow.__table__)
        # An executemany: SQLAlchemy batches it into multi-row INSERTs ("insertmanyvalues", within the
        # driver's parameter limit) from one compiled statement; RETURNING counts the rows that were new.
        result = await self._session.execute(
            insert_or_skip(self._session, table, "dedupe_key").returning(table.c.id), rows
        )
        return len(result.all())

    async def claim(self, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int) -> Sequence[Queued]:
        """Take due rows (and rows whose lease ran out: their sender died) for `worker`."""
        due = (
            select(OutboxRow.id)
            .where(
                ((OutboxRow.status == QUEUED) & (OutboxRow.not_before <= now))
                | ((OutboxRow.status == SENDING) & (OutboxRow.lease_until < now))
            )
            .order_by(OutboxRow.not_before, OutboxRow.id)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        result = await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(due.scalar_subquery()))
            .values(
                status=SENDING,
                claimed_by=worker,
                lease_until=now + lease,
                updated_at=now,
                # A row still marked in flight was being sent when its sender died: it may go twice.
                maybe_duplicate=case((OutboxRow.in_flight, True), else_=OutboxRow.maybe_duplicate),
                in_flight=False,
            )
            .returning(*CLAIMED)
        )
        return sorted((queued_of(r) for r in result), key=lambda q: q.id)

    async def epoch(self) -> int:
        """The read epoch: it moves with every change a read rule depends on (database triggers)."""
        return int(
            await self._session.scalar(select(ReadEpochRow.value).where(ReadEpochRow.key == "rules")) or 0
        )

    async def begin_part(
        self, row_id: int, worker: str, now: dt.datetime, lease: dt.timedelta, epoch: int | None = None
    ) -> Begun:
        """Mark the next part in flight (and renew the lease), in one statement that also requires the
        read epoch to be `epoch` (the one the row was checked at) when given."""
        ours = (OutboxRow.id == row_id, OutboxRow.claimed_by == worker, OutboxRow.status == SENDING)
        unmoved = (
            [select(ReadEpochRow.value).where(ReadEpochRow.key == "rules").scalar_subquery() == epoch]
            if epoch is not None
            else []
        )
        result = await self._session.execute(
            update(OutboxRow)
            .where(*ours, *unmoved)
            .values(in_flight=True, lease_until=now + lease, updated_at=now)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            return Begun.BEGUN
        still = await self._session.scalar(select(OutboxRow.id).where(*ours)) if epoch is not None else None
        return Begun.CHANGED if still is not None else Begun.LOST

    async def part_sent(self, row: Queued, message_id: int, now: dt.datetime) -> bool:
        """One part arrived; the row is sent when its last part is. True if what it shows changed while
        it was in flight (the sender then checks the delivered copy again)."""
        done = row.parts_sent + 1 >= row.steps
        stale = await self._session.scalar(
            update(OutboxRow)
            .where(OutboxRow.id == row.id)
            .returning(OutboxRow.stale)
            .values(
                parts_sent=row.parts_sent + 1,
                in_flight=False,
                updated_at=now,
                message_ids={"ids": [*row.message_ids, message_id]},
                status=OutboxStatus.SENT.value if done else SENDING,
                sent_at=now if done else None,
                lease_until=None if done else OutboxRow.lease_until,
                stale=False,
            )
        )
        return bool(stale)

    async def withhold(self, row_id: int, worker: str, hold: Hold, now: dt.datetime) -> None:
        """The read rules said no when the row's turn came: it is not sent, and says why (if the row is
        still this worker's: an admin's stop may have skipped it meanwhile)."""
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id, OutboxRow.claimed_by == worker, OutboxRow.status == SENDING)
            .values(
                status=WITHHELD,
                last_error=hold.value,
                in_flight=False,
                lease_until=None,
                claimed_by=None,
                updated_at=now,
            )
        )

    async def withhold_job(self, job: str, hold: Hold, now: dt.datetime) -> int:
        """What `job` has not started sending (new messages and edits, not deletions) is held back; a
        row in flight is marked stale, to be checked again once delivered. How many were held."""
        unsent = (
            (OutboxRow.job == job)
            & OutboxRow.op.in_([Op.SEND.value, Op.EDIT.value])
            & OutboxRow.status.in_([QUEUED, SENDING])
        )
        result = await self._session.execute(
            update(OutboxRow)
            .where(unsent, OutboxRow.parts_sent == 0, OutboxRow.in_flight.is_(False))
            .values(status=WITHHELD, last_error=hold.value, lease_until=None, claimed_by=None, updated_at=now)
        )
        await self._session.execute(update(OutboxRow).where(unsent).values(stale=True, updated_at=now))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def delivered(self, job: str) -> Sequence[Delivered]:
        """The messages of `job` that reached their chats (new messages, not corrections)."""
        rows = await self._session.execute(
            select(
                OutboxRow.id,
                OutboxRow.chat_id,
                OutboxRow.kind,
                OutboxRow.member_id,
                OutboxRow.message_ids,
                OutboxRow.sent_at,
                OutboxRow.payload,
            ).where(
                OutboxRow.job == job,
                OutboxRow.op == Op.SEND.value,
                OutboxRow.status == SENT,
                OutboxRow.retracted.is_(False),
            )
        )
        return [
            Delivered(
                row_id=r.id,
                chat_id=r.chat_id,
                kind=OutboxKind(r.kind),
                member_id=r.member_id,
                message_ids=tuple(r.message_ids.get("ids", [])),
                text_parts=len(r.payload.get("parts", [])),
                sent_at=aware(r.sent_at) if r.sent_at else None,
                protect=bool(r.payload.get("protect")),
            )
            for r in rows
        ]

    async def retract(self, row_ids: Sequence[int], now: dt.datetime) -> None:
        """These delivered messages are being deleted or replaced: no later correction touches them."""
        if row_ids:
            await self._session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(list(row_ids)))
                .values(retracted=True, updated_at=now)
            )

    async def rewrite(self, row_id: int, message: Outgoing, now: dt.datetime) -> None:
        """The row's content made again as of now (what it shows changed since it was queued)."""
        await self._session.execute(
            update(OutboxRow).where(OutboxRow.id == row_id).values(payload=_payload(message), updated_at=now)
        )

    async def retry(
        self,
        row_id: int,
        not_before: dt.datetime,
        error: str,
        now: dt.datetime,
        *,
        count_attempt: bool = True,
        maybe_duplicate: bool = False,
    ) -> None:
        """Back to the queue until `not_before` (a 429 does not count as an attempt)."""
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id)
            .values(
                status=QUEUED,
                not_before=not_before,
                last_error=error[:500],
                in_flight=False,
                lease_until=None,
                claimed_by=None,
                updated_at=now,
                attempts=OutboxRow.attempts + (1 if count_attempt else 0),
                maybe_duplicate=OutboxRow.maybe_duplicate | maybe_duplicate,
            )
        )

    async def fail(
        self, row_id: int, error: str, now: dt.datetime, status: OutboxStatus = OutboxStatus.FAILED
    ) -> None:
        """Give up on a row (failed), or skip it (recipient unreachable)."""
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id)
            .values(
                status=status.value,
                last_error=error[:500],
                in_flight=False,
                lease_until=None,
                attempts=OutboxRow.attempts + 1,
                updated_at=now,
            )
        )

    async def skip_chat(self, chat_id: int, reason: str, now: dt.datetime) -> int:
        """Skip every unsent row to a chat that cannot be reached."""
        result = await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.chat_id == chat_id, OutboxRow.status.in_([QUEUED, SENDING]))
            .values(
                status=OutboxStatus.SKIPPED.value,
                last_error=reason[:500],
                in_flight=False,
                lease_until=None,
                updated_at=now,
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def defer_chat(
        self, chat_id: int, after_id: int, until: dt.datetime, worker: str, now: dt.datetime
    ) -> int:
        """Keep a chat's order: its rows after `after_id` (queued, or claimed by `worker` and not started)
        wait until `until`, so a retried message is not overtaken by the ones behind it."""
        result = await self._session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.chat_id == chat_id,
                OutboxRow.id > after_id,
                (OutboxRow.status == QUEUED)
                | (
                    (OutboxRow.status == SENDING)
                    & (OutboxRow.claimed_by == worker)
                    & OutboxRow.in_flight.is_(False)
                ),
            )
            .values(
                status=QUEUED,
                claimed_by=None,
                lease_until=None,
                updated_at=now,
                not_before=case((OutboxRow.not_before < until, until), else_=OutboxRow.not_before),
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def skip_job(self, job: str, reason: str, now: dt.datetime) -> int:
        """Stop a job: its rows not yet started are skipped (a row in flight finishes)."""
        result = await self._session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.job == job,
                OutboxRow.parts_sent == 0,  # a row whose text went out still sends its file
                (OutboxRow.status == QUEUED)
                | ((OutboxRow.status == SENDING) & OutboxRow.in_flight.is_(False)),
            )
            .values(
                status=OutboxStatus.SKIPPED.value, last_error=reason[:500], lease_until=None, updated_at=now
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def release(self, worker: str, ids: Sequence[int], now: dt.datetime) -> None:
        """Hand claimed rows that were not started back to the queue (clean shutdown)."""
        if ids:
            await self._session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id.in_(list(ids)),
                    OutboxRow.claimed_by == worker,
                    OutboxRow.status == SENDING,
                    OutboxRow.in_flight.is_(False),
                )
                .values(status=QUEUED, lease_until=None, claimed_by=None, updated_at=now)
            )

    async def next_due(self) -> dt.datetime | None:
        """When the earliest queued row becomes due."""
        value = await self._session.scalar(
            select(func.min(OutboxRow.not_before)).where(OutboxRow.status == QUEUED)
        )
        return aware(value) if value is not None else None

    async def state(self, job: str | None = None) -> OutboxState:
        """Counts by status (of one job if given), failures, and unreachable recipients."""
        where = [OutboxRow.job == job] if job else []
        counts = await self._session.execute(
            select(OutboxRow.status, func.count()).where(*where).group_by(OutboxRow.status)
        )
        skipped = await self._session.execute(
            select(OutboxRow.last_error, func.count())
            .where(OutboxRow.status == OutboxStatus.SKIPPED.value, *where)
            .group_by(OutboxRow.last_error)
        )
        causes: Counter[SkipCause] = Counter()
        for reason, n in skipped:
            causes[skip_cause(reason)] += int(n)
        withheld = await self._session.execute(
            select(OutboxRow.last_error, func.count())
            .where(OutboxRow.status == WITHHELD, *where)
            .group_by(OutboxRow.last_error)
        )
        dupes = await self._session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.maybe_duplicate.is_(True), *where)
        )
        failures = await self._session.execute(
            select(OutboxRow.chat_id, OutboxRow.last_error)
            .where(OutboxRow.status == OutboxStatus.FAILED.value, *where)
            .order_by(OutboxRow.id.desc())
            .limit(10)
        )
        unreachable = await self._session.execute(
            select(MemberRow.telegram_user_id, MemberRow.display_name)
            .where(MemberRow.reachable.is_(False))
            .order_by(MemberRow.display_name)
            .limit(20)
        )
        return OutboxState(
            by_status={str(s): int(n) for s, n in counts},
            skipped=dict(causes),
            withheld={str(reason or ""): int(n) for reason, n in withheld},
            maybe_duplicates=int(dupes or 0),
            recent_failures=[(int(c), str(e or "")) for c, e in failures],
            unreachable=[(int(u), str(n)) for u, n in unreachable],
        )
