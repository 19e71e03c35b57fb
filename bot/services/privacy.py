"""The rights of the people the bot knows: a copy of their data (/mydata), and erasure by an admin.

Erasure pseudonymises: the member row keeps a random pseudonym instead of the name and Telegram
account, and everything that points at the member id (updates, notices, the audit log) then reads as
the pseudonym, while the working party's records stay whole. The audit log itself never names anyone
(only member ids), so it needs no change: the database keeps refusing any UPDATE or DELETE on it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from bot.domain.errors import Conflict, NotAllowed, NotFound
from bot.domain.model import Member
from bot.domain.personal_data import Erasure, PersonalData, new_pseudonym
from bot.ports import UnitOfWork, UnitOfWorkFactory, long_reads
from bot.services.actors import Actor, require_admin

Via = Literal["chat", "command line", "retention"]


async def my_data(uow_factory: UnitOfWorkFactory, telegram_user_id: int, now: dt.datetime) -> PersonalData:
    """Everything the store holds about this Telegram user: a member (revoked too) or a guest who asked
    for access. NotFound when it holds nothing. A member's export is audited."""
    async with uow_factory() as uow:
        member = await uow.members.by_telegram_id(telegram_user_id)
        tables = await uow.personal_data.collect(telegram_user_id, member.id if member else None)
        if member is not None:
            await uow.audit.append(
                at=now, actor_id=member.id, action="member.data_exported", subject=f"member {member.id}"
            )
            await uow.commit()
    data = PersonalData(telegram_user_id, member, tables)
    if data.empty:
        raise NotFound("mydata.nothing")
    return data


@long_reads
async def personal_data_of(
    uow_factory: UnitOfWorkFactory, *, member_id: int | None = None, telegram_user_id: int | None = None
) -> PersonalData:
    """What the store holds about a member (by id) or a Telegram user, for the command line's
    confirmation of an erasure. NotFound when it holds nothing."""
    async with uow_factory(read_only=True) as uow:
        if member_id is not None:
            member = await uow.members.by_id(member_id)
            if member is None:
                raise NotFound("erase.nobody")
        else:
            assert telegram_user_id is not None
            member = await uow.members.by_telegram_id(telegram_user_id)
        telegram_id = member.telegram_user_id if member else telegram_user_id
        assert telegram_id is not None
        data = PersonalData(
            telegram_id, member, await uow.personal_data.collect(telegram_id, member.id if member else None)
        )
    if data.empty:
        raise NotFound("erase.nobody")
    return data


async def erasable_member(uow_factory: UnitOfWorkFactory, actor: Actor, member_id: int) -> Member:
    """The member an admin is about to erase: never the admin themselves, never twice."""
    async with uow_factory(read_only=True) as uow:
        _admin, target = await _target(uow, actor, member_id)
    return target


async def erase_member(
    uow_factory: UnitOfWorkFactory, actor: Actor | None, member_id: int, now: dt.datetime, via: Via = "chat"
) -> Erasure:
    """Erase a member (an admin's decision; `actor` None is the command line). Cannot be undone."""
    async with uow_factory() as uow:
        if actor is not None:
            admin, target = await _target(uow, actor, member_id)
            actor_id: int | None = admin.id
        else:
            actor_id, target = None, await _existing(uow, member_id)
        erasure = await erase_in(uow, target, now, actor_id, via)
        await uow.commit()
    return erasure


async def erase_telegram_user(
    uow_factory: UnitOfWorkFactory, telegram_user_id: int, now: dt.datetime
) -> Erasure:
    """Erase whoever has this Telegram id (command line): a member, or a guest's access requests."""
    async with uow_factory() as uow:
        member = await uow.members.by_telegram_id(telegram_user_id)
        if member is not None:
            erasure = await erase_in(uow, member, now, None, "command line")
        else:
            if not (await uow.personal_data.collect(telegram_user_id, None)).get("access_requests"):
                raise NotFound("erase.nobody")
            erasure = await uow.personal_data.erase(telegram_user_id, None, new_pseudonym("guest"), now)
            await uow.audit.append(
                at=now,
                actor_id=None,
                action="guest.erased",
                subject="access requests",
                details={"via": "command line", "requests": erasure.requests, "messages": erasure.messages},
            )
        await uow.commit()
    return erasure


async def erase_in(
    uow: UnitOfWork, member: Member, now: dt.datetime, actor_id: int | None, via: Via
) -> Erasure:
    """Erase `member` inside the caller's unit of work, audited by member id only."""
    erasure = await uow.personal_data.erase(member.telegram_user_id, member.id, new_pseudonym(), now)
    await uow.audit.append(
        at=now,
        actor_id=actor_id,
        action="member.erased",
        subject=f"member {member.id}",
        details={
            "via": via,
            "requests": erasure.requests,
            "messages": erasure.messages,
            "follows": erasure.follows,
            "subscriptions": erasure.subscriptions,
        },
    )
    return erasure


async def _target(uow: UnitOfWork, actor: Actor, member_id: int) -> tuple[Member, Member]:
    admin = await require_admin(uow, actor)
    if admin.id == member_id:
        raise NotAllowed("members.not_yourself")
    return admin, await _existing(uow, member_id)


async def _existing(uow: UnitOfWork, member_id: int) -> Member:
    target = await uow.members.by_id(member_id)
    if target is None:
        raise NotFound()
    if target.erased:
        raise Conflict("erase.already")
    return target
