"""Fakes of the notice and subscription repositories."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

from bot.domain.digests import Frequency, Scope, Subscription
from bot.domain.model import Member
from bot.domain.notices import (
    Audience,
    AudienceKind,
    Notice,
    NoticeDraft,
    NoticeReport,
    NoticeStatus,
    tally,
    undispatched,
)
from bot.domain.outbox import Op
from bot.domain.posting import FollowKind
from tests.unit.fakes.tables import Tables


class FakeNotices:
    """Admin notices and their audiences (`bot.ports.NoticeRepository`)."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def by_key(self, key: str) -> Notice | None:
        notice_id = self._t.notice_keys.get(key)
        return self._t.notices[notice_id] if notice_id is not None else None

    async def by_id(self, notice_id: int) -> Notice | None:
        return self._t.notices.get(notice_id)

    async def add(
        self, draft: NoticeDraft, author: Member, recipients: int, now: dt.datetime, dispatched: bool
    ) -> Notice | None:
        if draft.key in self._t.notice_keys:
            return None
        notice = Notice(
            id=self._t.new_id(),
            author_id=author.id,
            delegation_code=author.delegation.code,
            text=draft.text,
            audience=draft.audience,
            send_at=draft.send_at,
            status=NoticeStatus.ACTIVE,
            recipients=recipients,
            created_at=now,
            attachment_kind=draft.attachment_kind,
            attachment_file_id=draft.attachment_file_id,
            dispatched=dispatched,
        )
        self._t.notices[notice.id] = notice
        self._t.notice_keys[draft.key] = notice.id
        return notice

    async def take_due(self, now: dt.datetime) -> Sequence[Notice]:
        due = [
            n
            for n in self._t.notices.values()
            if not n.dispatched and n.send_at <= now and n.status is NoticeStatus.ACTIVE
        ]
        for notice in due:
            self._t.notices[notice.id] = replace(notice, dispatched=True)
        return due

    async def set_recipients(self, notice_id: int, recipients: int) -> None:
        self._t.notices[notice_id] = replace(self._t.notices[notice_id], recipients=recipients)

    async def set_status(self, notice_id: int, status: NoticeStatus, now: dt.datetime) -> None:
        self._t.notices[notice_id] = replace(self._t.notices[notice_id], status=status)

    async def within_audience(self, notice_id: int, member_ids: Iterable[int]) -> set[int]:
        notice = self._t.notices.get(notice_id)
        if notice is None or notice.status is NoticeStatus.WITHDRAWN:
            return set()
        named = {m.id for m in await self.audience(notice.audience)}
        return named & set(member_ids)

    async def latest(self, limit: int) -> Sequence[Notice]:
        return sorted(self._t.notices.values(), key=lambda n: -n.id)[:limit]

    async def audience(self, audience: Audience) -> Sequence[Member]:
        values = set(audience.values)
        kind = audience.kind
        follow = {AudienceKind.REGION: FollowKind.REGION, AudienceKind.COUNTRY: FollowKind.COUNTRY}
        follow[AudienceKind.INITIATIVE] = FollowKind.INITIATIVE
        following = {who for who, k, target in self._t.follows if k is follow.get(kind) and target in values}

        def named(member: Member) -> bool:
            if kind is AudienceKind.DELEGATIONS:
                return member.delegation.code in values
            if kind is AudienceKind.ROLE:
                return member.role.value in values
            return kind is AudienceKind.EVERYONE or member.id in following

        live = (m for m in self._t.members.values() if m.active and m.reachable)
        return sorted((m for m in live if named(m)), key=lambda m: m.id)

    async def audience_size(self, audience: Audience) -> int:
        return len(await self.audience(audience))

    async def report(self, notice: Notice) -> NoticeReport:
        if not notice.dispatched:
            size = await self.audience_size(notice.audience) if notice.status is NoticeStatus.ACTIVE else 0
            return undispatched(notice, size)
        rows = [r for r in self._t.outbox.values() if r.message.job == notice.job and r.message.op is Op.SEND]
        counts = Counter((r.status.value, r.reason) for r in rows)
        return tally(notice, [(status, reason, n) for (status, reason), n in counts.items()])


class FakeSubscriptions:
    """Digest subscriptions (`bot.ports.SubscriptionRepository`), and whether a period changed."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

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
        before = self._t.subscriptions.get(subscription_id) if subscription_id is not None else None
        saved = Subscription(
            id=subscription_id if subscription_id is not None else self._t.new_id(),
            member_id=member_id,
            scope=scope,
            frequency=frequency,
            weekday=weekday,
            at=at,
            send_empty=send_empty,
            paused=before.paused if before else False,
            next_due_at=next_due_at,
            last_period_end=before.last_period_end if before else None,
        )
        self._t.subscriptions[saved.id] = saved
        return saved

    async def by_id(self, subscription_id: int) -> Subscription | None:
        return self._t.subscriptions.get(subscription_id)

    async def for_member(self, member_id: int) -> Sequence[Subscription]:
        return [s for s in self._t.subscriptions.values() if s.member_id == member_id]

    async def set_paused(
        self, subscription_id: int, paused: bool, next_due_at: dt.datetime, now: dt.datetime
    ) -> None:
        sub = self._t.subscriptions[subscription_id]
        self._t.subscriptions[subscription_id] = replace(sub, paused=paused, next_due_at=next_due_at)

    async def delete(self, subscription_ids: Sequence[int]) -> None:
        for subscription_id in subscription_ids:
            del self._t.subscriptions[subscription_id]

    async def changed_since(self, start: dt.datetime, end: dt.datetime, since: dt.datetime) -> bool:
        return any(
            self._t.changed_at[u.id] > since and start <= u.created_at < end for u in self._t.updates.values()
        )
