"""What goes out: the outbox and its shared rate budget, notices, digest subscriptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Protocol

from bot.domain.digests import Advance, Frequency, Run, Scope, Subscription
from bot.domain.model import (
    Member,
    Update,
)
from bot.domain.notices import Audience, Notice, NoticeDraft, NoticeReport, NoticeStatus
from bot.domain.outbox import Begun, Delivered, OutboxState, OutboxStatus, Outgoing, Queued
from bot.domain.reveals import Hold


class OutboxRepository(Protocol):
    """The outbox: every message that is not a direct reply goes through it."""

    async def enqueue(self, messages: Sequence[Outgoing], now: dt.datetime) -> int: ...

    async def claim(
        self, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> Sequence[Queued]: ...

    async def epoch(self) -> int: ...

    async def begin_part(
        self, row_id: int, worker: str, now: dt.datetime, lease: dt.timedelta, epoch: int | None = None
    ) -> Begun: ...

    async def part_sent(self, row: Queued, message_id: int, now: dt.datetime) -> bool: ...

    async def withhold(self, row_id: int, worker: str, hold: Hold, now: dt.datetime) -> None: ...

    async def withhold_job(self, job: str, hold: Hold, now: dt.datetime) -> int: ...

    async def delivered(self, job: str) -> Sequence[Delivered]: ...

    async def retract(self, row_ids: Sequence[int], now: dt.datetime) -> None: ...

    async def rewrite(self, row_id: int, message: Outgoing, now: dt.datetime) -> None: ...

    async def retry(
        self,
        row_id: int,
        not_before: dt.datetime,
        error: str,
        now: dt.datetime,
        *,
        count_attempt: bool = True,
        maybe_duplicate: bool = False,
    ) -> None: ...

    async def fail(
        self, row_id: int, error: str, now: dt.datetime, status: OutboxStatus = OutboxStatus.FAILED
    ) -> None: ...

    async def skip_chat(self, chat_id: int, reason: str, now: dt.datetime) -> int: ...

    async def release(self, worker: str, ids: Sequence[int], now: dt.datetime) -> None: ...

    async def skip_job(self, job: str, reason: str, now: dt.datetime) -> int: ...

    async def defer_chat(
        self, chat_id: int, after_id: int, until: dt.datetime, worker: str, now: dt.datetime
    ) -> int: ...

    async def next_due(self) -> dt.datetime | None: ...

    async def state(self, job: str | None = None) -> OutboxState: ...


class SendBudget(Protocol):
    """One rate budget shared by every process sending with the bot's token."""

    async def reserve(
        self, chat_id: int, now: dt.datetime, spacing: float, chat_gap: float
    ) -> dt.datetime: ...


class NoticeRepository(Protocol):
    """Admin notices and their audiences."""

    async def by_key(self, key: str) -> Notice | None: ...

    async def by_id(self, notice_id: int) -> Notice | None: ...

    async def add(
        self, draft: NoticeDraft, author: Member, recipients: int, now: dt.datetime, dispatched: bool
    ) -> Notice | None: ...

    async def take_due(self, now: dt.datetime) -> Sequence[Notice]: ...

    async def set_recipients(self, notice_id: int, recipients: int) -> None: ...

    async def within_audience(self, notice_id: int, member_ids: Iterable[int]) -> set[int]: ...

    async def set_status(self, notice_id: int, status: NoticeStatus, now: dt.datetime) -> None: ...

    async def latest(self, limit: int) -> Sequence[Notice]: ...

    async def audience(self, audience: Audience) -> Sequence[Member]: ...

    async def audience_size(self, audience: Audience) -> int: ...

    async def report(self, notice: Notice) -> NoticeReport: ...


class SubscriptionRepository(Protocol):
    """Digest subscriptions, their runs, and bulk reads for composing many digests at once."""

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
    ) -> Subscription: ...

    async def by_id(self, subscription_id: int) -> Subscription | None: ...

    async def for_member(self, member_id: int) -> Sequence[Subscription]: ...

    async def set_paused(
        self, subscription_id: int, paused: bool, next_due_at: dt.datetime, now: dt.datetime
    ) -> None: ...

    async def delete(self, subscription_ids: Sequence[int]) -> None: ...

    async def active(self, due_before: dt.datetime | None = None) -> Sequence[Subscription]: ...

    async def record_runs(self, runs: Sequence[Run], now: dt.datetime) -> set[int]: ...

    async def advance(self, moves: Sequence[Advance], now: dt.datetime) -> None: ...

    async def runs(self, subscription_id: int) -> Sequence[tuple[dt.datetime, dt.datetime, str]]: ...

    async def updates_between(self, start: dt.datetime, end: dt.datetime) -> Sequence[Update]: ...

    async def status_changes(
        self, start: dt.datetime, end: dt.datetime
    ) -> Sequence[tuple[str, str, dt.datetime]]: ...

    async def created_refs(self, start: dt.datetime, end: dt.datetime) -> set[str]: ...

    async def changed_since(self, start: dt.datetime, end: dt.datetime, since: dt.datetime) -> bool: ...
