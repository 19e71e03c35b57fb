"""Subscriptions, digest runs, and the few bulk reads a batch of digests needs. Never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.domain.digests import Advance, Frequency, Run, Scope, Subscription, parse_time
from bot.domain.model import Update
from bot.domain.vocab import InitiativeType, MemberStatus
from storage.engine import insert_or_skip
from storage.mapping import aware
from storage.models import AuditRow, DigestRunRow, MemberRow, SubscriptionRow, UpdateRow
from storage.updates import update_of


def scope_json(scope: Scope) -> dict[str, Any]:
    """A scope as stored."""
    return {
        "everything": scope.everything,
        "regions": list(scope.regions),
        "countries": list(scope.countries),
        "types": [t.value for t in scope.types],
        "initiatives": list(scope.initiatives),
    }


def _scope(data: dict[str, Any]) -> Scope:
    return Scope(
        everything=bool(data.get("everything")),
        regions=tuple(data.get("regions", ())),
        countries=tuple(data.get("countries", ())),
        types=tuple(InitiativeType(t) for t in data.get("types", ())),
        initiatives=tuple(int(i) for i in data.get("initiatives", ())),
    )


def _subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(
        id=row.id,
        member_id=row.member_id,
        scope=_scope(row.scope),
        frequency=Frequency(row.frequency),
        weekday=row.weekday,
        at=parse_time(row.at),
        send_empty=row.send_empty,
        paused=row.paused,
        next_due_at=aware(row.next_due_at),
        last_period_end=aware(row.last_period_end) if row.last_period_end else None,
    )


class SqlSubscriptionRepository:
    """Subscriptions and their runs."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(
        self,
        member_id: int,
        scope: Scope,
        frequency: Frequency,
        weekday: int,
        at: dt.time,
        send_empty: bool,
        next_due_at: dt.datetime,
        now: dt.datetime,
        subscription_id: int | None = None,
    ) -> Subscription:
        """Create, or change an existing one (its period history stays)."""
        row = await self._session.get(SubscriptionRow, subscription_id) if subscription_id else None
        if row is None:
            row = SubscriptionRow(member_id=member_id, created_at=now, paused=False, last_period_end=None)
            self._session.add(row)
        row.scope, row.frequency, row.weekday = scope_json(scope), frequency.value, weekday
        row.at, row.send_empty, row.next_due_at, row.updated_at = (
            at.strftime("%H:%M"),
            send_empty,
            next_due_at,
            now,
        )
        await self._session.flush()
        return _subscription(row)

    async def by_id(self, subscription_id: int) -> Subscription | None:
        """One subscription."""
        row = await self._session.get(SubscriptionRow, subscription_id)
        return _subscription(row) if row else None

    async def for_member(self, member_id: int) -> Sequence[Subscription]:
        """A member's subscriptions, oldest first."""
        rows = await self._session.scalars(
            select(SubscriptionRow).where(SubscriptionRow.member_id == member_id).order_by(SubscriptionRow.id)
        )
        return [_subscription(r) for r in rows]

    async def set_paused(
        self, subscription_id: int, paused: bool, next_due_at: dt.datetime, now: dt.datetime
    ) -> None:
        """Pause, or resume from the next due time."""
        await self._session.execute(
            update(SubscriptionRow)
            .where(SubscriptionRow.id == subscription_id)
            .values(paused=paused, next_due_at=next_due_at, updated_at=now)
        )

    async def delete(self, subscription_ids: Sequence[int]) -> None:
        """Remove subscriptions (their runs go with them)."""
        if subscription_ids:
            await self._session.execute(
                delete(SubscriptionRow).where(SubscriptionRow.id.in_(list(subscription_ids)))
            )

    async def active(self, due_before: dt.datetime | None = None) -> Sequence[Subscription]:
        """Unpaused subscriptions of active members; only those due by `due_before` if given.

        The due ones are read for a sweep, which records their runs and moves them on in the same
        transaction: on PostgreSQL they are locked (`FOR UPDATE`), so a subscription deleted or changed
        meanwhile waits for the sweep (instead of failing its run's foreign key, and the whole sweep
        with it), and a second sweep waits too, then finds them no longer due. SQLite's write lock, taken
        at BEGIN, does the same.
        """
        query = (
            select(SubscriptionRow)
            .join(MemberRow, MemberRow.id == SubscriptionRow.member_id)
            .where(SubscriptionRow.paused.is_(False), MemberRow.status == MemberStatus.ACTIVE.value)
        )
        if due_before is not None:
            query = query.where(SubscriptionRow.next_due_at <= due_before).with_for_update(of=SubscriptionRow)
        rows = await self._session.scalars(query.order_by(SubscriptionRow.next_due_at, SubscriptionRow.id))
        return [_subscription(r) for r in rows]

    async def record_runs(self, runs: Sequence[Run], now: dt.datetime) -> set[int]:
        """Note each digest of its period; the ids of the subscriptions whose run is new.

        `INSERT … ON CONFLICT DO NOTHING RETURNING` as one executemany (SQLAlchemy batches it into
        multi-row statements): a period already recorded (a double job, a restart, another replica) is
        skipped by the unique key, and a concurrent transaction recording the same period waits for this
        one, then skips it.
        """
        if not runs:
            return set()
        table = cast(Table, DigestRunRow.__table__)
        result = await self._session.execute(
            insert_or_skip(self._session, table, "subscription_id", "period_end").returning(
                table.c.subscription_id
            ),
            [
                {
                    "subscription_id": run.subscription_id,
                    "period_start": run.period_start,
                    "period_end": run.period_end,
                    "outcome": run.outcome,
                    "items": run.items,
                    "created_at": now,
                }
                for run in runs
            ],
        )
        return set(result.scalars())

    async def advance(self, moves: Sequence[Advance], now: dt.datetime) -> None:
        """Move subscriptions to their next period: one UPDATE, executemany."""
        if moves:
            table = cast(Table, SubscriptionRow.__table__)
            await self._session.execute(
                update(table)
                .where(table.c.id == bindparam("moved"))
                .values(last_period_end=bindparam("last"), next_due_at=bindparam("due"), updated_at=now),
                [
                    {"moved": m.subscription_id, "last": m.last_period_end, "due": m.next_due_at}
                    for m in moves
                ],
            )

    async def runs(self, subscription_id: int) -> Sequence[tuple[dt.datetime, dt.datetime, str]]:
        """Every recorded period, oldest first."""
        rows = await self._session.execute(
            select(DigestRunRow.period_start, DigestRunRow.period_end, DigestRunRow.outcome)
            .where(DigestRunRow.subscription_id == subscription_id)
            .order_by(DigestRunRow.period_end)
        )
        return [(aware(a), aware(b), str(c)) for a, b, c in rows]

    async def updates_between(self, start: dt.datetime, end: dt.datetime) -> Sequence[Update]:
        """Every live update posted in [start, end), newest first (one query for a whole batch)."""
        rows = await self._session.scalars(
            select(UpdateRow)
            .where(
                UpdateRow.created_at >= start, UpdateRow.created_at < end, UpdateRow.withdrawn_at.is_(None)
            )
            .options(selectinload(UpdateRow.readers))
            .order_by(UpdateRow.created_at.desc(), UpdateRow.id.desc())
        )
        return [update_of(r) for r in rows]

    async def changed_since(self, start: dt.datetime, end: dt.datetime, since: dt.datetime) -> bool:
        """Whether an update posted in [start, end) was edited, relabelled or withdrawn after `since`
        (the few changed updates are found by their own index, then checked for the period)."""
        found = await self._session.scalar(
            select(UpdateRow.id)
            .where(UpdateRow.changed_at > since, UpdateRow.created_at >= start, UpdateRow.created_at < end)
            .limit(1)
        )
        return found is not None

    async def created_refs(self, start: dt.datetime, end: dt.datetime) -> set[str]:
        """References of initiatives added in [start, end) by an admin or an import (not by the seed)."""
        rows = await self._session.execute(
            select(AuditRow.action, AuditRow.subject, AuditRow.details).where(
                AuditRow.action.in_(["initiative.created", "initiatives.imported"]),
                AuditRow.at >= start,
                AuditRow.at < end,
            )
        )
        refs: set[str] = set()
        for action, subject, details in rows:
            refs |= {str(subject)} if action == "initiative.created" else set(details.get("created_refs", []))
        return refs

    async def status_changes(
        self, start: dt.datetime, end: dt.datetime
    ) -> Sequence[tuple[str, str, dt.datetime]]:
        """(reference, new status, when) of initiatives whose status was edited in [start, end)."""
        rows = await self._session.execute(
            select(AuditRow.subject, AuditRow.details, AuditRow.at)
            .where(AuditRow.action == "initiative.edited", AuditRow.at >= start, AuditRow.at < end)
            .order_by(AuditRow.id)
        )
        return [
            (str(subject), str(details.get("value")), aware(at))
            for subject, details, at in rows
            if details.get("field") == "status"
        ]
