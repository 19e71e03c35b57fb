"""Admins broadcast notices to an audience, now or later; reports, cancelling and stopping."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.domain.errors import Conflict, InvalidInput, NotFound
from bot.domain.model import Member
from bot.domain.notices import (
    TEXT_LIMIT,
    Audience,
    AudienceKind,
    Notice,
    NoticeDraft,
    NoticeReport,
    NoticeStatus,
    check_reach,
    check_send_time,
)
from bot.domain.outbox import CANCELLED, STOPPED, Correction, Outgoing, correct, retracts
from bot.domain.reveals import Hold
from bot.domain.typed import check_typed
from bot.domain.vocab import Role
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.actors import Actor, require_admin

Render = Callable[[Member, Notice], Outgoing]


@dataclass(frozen=True, slots=True)
class Broadcast:
    """The notice, and whether this call created it (False: the same draft was confirmed before)."""

    notice: Notice
    new: bool


def check_text(text: str) -> str:
    """1 to 3,500 characters (the notice header and any split keep each message under Telegram's limit),
    and no control character such as NUL, which PostgreSQL cannot store (the rule of every typed text)."""
    check_typed(text)
    if not text.strip():
        raise InvalidInput("broadcast.text_empty", limit=TEXT_LIMIT)
    if len(text) > TEXT_LIMIT:
        raise InvalidInput("broadcast.text_long", limit=TEXT_LIMIT, length=len(text))
    return text


async def audience_size(uow_factory: UnitOfWorkFactory, actor: Actor, audience: Audience) -> int:
    """How many members would receive it now (admins only)."""
    async with uow_factory(read_only=True) as uow:
        await require_admin(uow, actor)
        await _check_audience(uow, audience)
        return await uow.notices.audience_size(audience)


async def broadcast(
    uow_factory: UnitOfWorkFactory, actor: Actor, draft: NoticeDraft, now: dt.datetime, render: Render
) -> Broadcast:
    """Store the notice and queue one message per recipient, due at its send time, in one transaction."""
    if draft.attachment_file_id is None:
        check_text(draft.text)
    else:  # a caption
        check_typed(draft.text)
    check_send_time(draft.send_at, now, confirming=True)
    async with uow_factory() as uow:
        admin = await require_admin(uow, actor)
        await _check_audience(uow, draft.audience)
        earlier = await uow.notices.by_key(draft.key)
        if earlier is not None:
            return Broadcast(earlier, new=False)
        # A notice for later is resolved at its send time (`dispatch_due`): its audience is who is in it
        # then, not who was when it was written.
        at_once = draft.send_at <= now
        recipients = await uow.notices.audience(draft.audience) if at_once else []
        count = len(recipients) if at_once else await uow.notices.audience_size(draft.audience)
        check_reach(count)
        notice = await uow.notices.add(draft, admin, count, now, dispatched=at_once)
        if notice is None:
            raise Conflict("broadcast.already_sent")
        await uow.outbox.enqueue([render(member, notice) for member in recipients], now)
        await uow.audit.append(
            at=now,
            actor_id=admin.id,
            action="notice.created",
            subject=notice.job,
            details={
                "audience": draft.audience.kind.value,
                "values": list(draft.audience.values),
                "recipients": count,
                "send_at": draft.send_at.isoformat(),
            },
        )
        await uow.commit()
    return Broadcast(notice, new=True)


async def dispatch_due(uow_factory: UnitOfWorkFactory, now: dt.datetime, render: Render) -> int:
    """Queue the notices whose send time has come to their audience as it is now (each notice once,
    whichever process gets to it first); how many messages were queued."""
    async with uow_factory() as uow:
        queued = 0
        for notice in await uow.notices.take_due(now):
            recipients = await uow.notices.audience(notice.audience)
            queued += await uow.outbox.enqueue([render(member, notice) for member in recipients], now)
            await uow.notices.set_recipients(notice.id, len(recipients))
        await uow.commit()
    return queued


async def _check_audience(uow: UnitOfWork, audience: Audience) -> None:
    kind, values = audience.kind, set(audience.values)
    if kind is AudienceKind.DELEGATIONS:
        known = {d.code for d in await uow.catalog.delegations()}
    elif kind is AudienceKind.ROLE:
        known = {r.value for r in Role}
    elif kind is AudienceKind.REGION:
        known = {r.key for r in await uow.catalog.regions()}
    elif kind is AudienceKind.COUNTRY:
        known = {c for c in values if await uow.catalog.country(c) is not None}
    elif kind is AudienceKind.INITIATIVE:
        known = {v for v in values if v.isascii() and v.isdigit() and await uow.initiatives.by_id(int(v))}
    else:
        known = set()
    if not values <= known:
        raise InvalidInput("broadcast.bad_audience")


async def reports(uow_factory: UnitOfWorkFactory, actor: Actor, limit: int = 5) -> Sequence[NoticeReport]:
    """The latest notices with their delivery figures (admins only)."""
    async with uow_factory(read_only=True) as uow:
        await require_admin(uow, actor)
        return [await uow.notices.report(n) for n in await uow.notices.latest(limit)]


async def report(uow_factory: UnitOfWorkFactory, actor: Actor, notice_id: int) -> NoticeReport:
    """One notice's figures (admins only)."""
    async with uow_factory(read_only=True) as uow:
        await require_admin(uow, actor)
        notice = await uow.notices.by_id(notice_id)
        if notice is None:
            raise NotFound()
        return await uow.notices.report(notice)


async def haltable(uow_factory: UnitOfWorkFactory, actor: Actor, notice_id: int, now: dt.datetime) -> str:
    """What halting the notice now would do: 'scheduled' (cancel it) or 'sending' (stop it) (admins only)."""
    return _halting(await report(uow_factory, actor, notice_id), now)


def _halting(report: NoticeReport, now: dt.datetime) -> str:
    """The notice's phase, if it is one a notice can be cancelled or stopped in."""
    phase = report.phase(now)
    if phase not in ("scheduled", "sending"):
        raise Conflict("broadcast.not_running", phase=phase)
    return phase


async def halt(
    uow_factory: UnitOfWorkFactory, actor: Actor, notice_id: int, now: dt.datetime
) -> NoticeReport:
    """Cancel a notice that has not started, or stop one that is sending; what was sent stays sent."""
    async with uow_factory() as uow:
        admin = await require_admin(uow, actor)
        notice = await uow.notices.by_id(notice_id)
        if notice is None:
            raise NotFound()
        before = await uow.notices.report(notice)
        phase = _halting(before, now)
        status, reason = (
            (NoticeStatus.CANCELLED, CANCELLED) if phase == "scheduled" else (NoticeStatus.STOPPED, STOPPED)
        )
        skipped = await uow.outbox.skip_job(notice.job, reason, now)
        if not notice.dispatched:  # nothing queued yet: those it would have gone to, as of now
            skipped = before.queued
            await uow.notices.set_recipients(notice_id, before.queued)
        await uow.notices.set_status(notice_id, status, now)
        await uow.audit.append(
            at=now,
            actor_id=admin.id,
            action=f"notice.{status.value}",
            subject=notice.job,
            details={"sent_before": before.sent, "not_sent": skipped},
        )
        updated = await uow.notices.by_id(notice_id)
        assert updated is not None
        result = await uow.notices.report(updated)
        await uow.commit()
    return result


async def withdraw(
    uow_factory: UnitOfWorkFactory, actor: Actor, notice_id: int, now: dt.datetime
) -> Correction:
    """Take a notice back: what was not sent is not, and the delivered copies are deleted where Telegram
    still allows it (48 hours). Admins only; audited."""
    async with uow_factory() as uow:
        admin = await require_admin(uow, actor)
        notice = await uow.notices.by_id(notice_id)
        if notice is None:
            raise NotFound()
        if notice.status is NoticeStatus.WITHDRAWN:
            raise Conflict("broadcast.not_running", phase=notice.status.value)
        cancelled = await uow.outbox.withhold_job(notice.job, Hold.WITHDRAWN, now)
        total = Correction(cancelled=cancelled)
        rows, gone = [], []
        for copy in await uow.outbox.delivered(notice.job):
            planned, done = correct(copy, None, key=f"{notice.job}:{copy.row_id}", job=notice.job, now=now)
            rows += planned
            gone += [copy.row_id] if retracts(planned) else []
            total += done
        await uow.outbox.enqueue(rows, now)
        await uow.outbox.retract(gone, now)
        await uow.notices.set_status(notice_id, NoticeStatus.WITHDRAWN, now)
        await uow.audit.append(
            at=now,
            actor_id=admin.id,
            action="notice.withdrawn",
            subject=notice.job,
            details={"removed": total.removed, "too_old": total.too_old, "cancelled": total.cancelled},
        )
        await uow.commit()
    return total
