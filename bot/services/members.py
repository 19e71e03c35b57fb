"""Admins manage members: list, change a role, revoke, reinstate. Every change is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.domain.model import Invite, Member
from bot.domain.vocab import MemberStatus, Role
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.actors import Actor, require_admin
from bot.services.invites import withdraw_invites_of


@dataclass(frozen=True, slots=True)
class MemberChange:
    """The member as changed, and the open invitations of theirs that the change withdrew."""

    member: Member
    withdrawn: tuple[Invite, ...] = ()


async def list_members(uow_factory: UnitOfWorkFactory, actor: Actor) -> Sequence[Member]:
    """Every member, by delegation (admins only)."""
    async with uow_factory(read_only=True) as uow:
        await require_admin(uow, actor)
        return await uow.members.all()


async def member_card(uow_factory: UnitOfWorkFactory, actor: Actor, member_id: int) -> Member:
    """One member (admins only)."""
    async with uow_factory(read_only=True) as uow:
        await require_admin(uow, actor)
        member = await uow.members.by_id(member_id)
    if member is None:
        raise NotFound()
    return member


async def revocable_member(uow_factory: UnitOfWorkFactory, actor: Actor, member_id: int) -> Member:
    """The member an admin is about to revoke or make admin; never the admin themselves."""
    async with uow_factory(read_only=True) as uow:
        _admin, target = await _admin_and_other(uow, actor, member_id)
    return target


async def change_role(
    uow_factory: UnitOfWorkFactory, actor: Actor, member_id: int, role: Role, now: dt.datetime
) -> MemberChange:
    """Give an active member another role; admins cannot change their own. An admin made contact or
    observer loses the open invitations they made: an invitation never outranks its maker."""
    async with uow_factory() as uow:
        admin, target = await _admin_and_other(uow, actor, member_id)
        if not target.active:
            raise Conflict("members.is_revoked")
        if target.role is role:
            return MemberChange(target)
        changed = await uow.members.change(member_id, now, role=role)
        await uow.audit.append(
            at=now,
            actor_id=admin.id,
            action="member.role_changed",
            subject=f"member {member_id}",
            details={"from": target.role.value, "to": role.value},
        )
        withdrawn: tuple[Invite, ...] = ()
        if target.role is Role.ADMIN:
            withdrawn = await withdraw_invites_of(uow, admin, target, "maker demoted", now)
        await uow.commit()
    assert changed is not None
    return MemberChange(changed, withdrawn)


async def set_status(
    uow_factory: UnitOfWorkFactory, actor: Actor, member_id: int, status: MemberStatus, now: dt.datetime
) -> MemberChange:
    """Revoke (access ends at the member's next update, their open invitations are withdrawn) or
    reinstate; never oneself."""
    async with uow_factory() as uow:
        admin, target = await _admin_and_other(uow, actor, member_id)
        if target.status is status:
            raise Conflict("members.already_" + status.value)
        # What is queued for them is checked when its turn comes: nothing reaches a revoked member.
        changed = await uow.members.change(member_id, now, status=status)
        action = "member.revoked" if status is MemberStatus.REVOKED else "member.reinstated"
        await uow.audit.append(at=now, actor_id=admin.id, action=action, subject=f"member {member_id}")
        withdrawn: tuple[Invite, ...] = ()
        if status is MemberStatus.REVOKED:
            withdrawn = await withdraw_invites_of(uow, admin, target, "maker revoked", now)
        await uow.commit()
    assert changed is not None
    return MemberChange(changed, withdrawn)


async def move(
    uow_factory: UnitOfWorkFactory, actor: Actor, member_id: int, delegation_code: str, now: dt.datetime
) -> Member:
    """Move a member to another delegation (a person changing posts); admins cannot move themselves.
    What they may read follows at once, messages already queued for them included."""
    async with uow_factory() as uow:
        admin, target = await _admin_and_other(uow, actor, member_id)
        if await uow.catalog.delegation(delegation_code) is None:
            raise NotFound("invite.unknown_delegation", code=delegation_code)
        if target.delegation.code == delegation_code:
            return target
        changed = await uow.members.change(member_id, now, delegation_code=delegation_code)
        await uow.audit.append(
            at=now,
            actor_id=admin.id,
            action="member.moved",
            subject=f"member {member_id}",
            details={"from": target.delegation.code, "to": delegation_code},
        )
        await uow.commit()
    assert changed is not None
    return changed


async def _admin_and_other(uow: UnitOfWork, actor: Actor, member_id: int) -> tuple[Member, Member]:
    admin = await require_admin(uow, actor)
    if admin.id == member_id:
        raise NotAllowed("members.not_yourself")
    target = await uow.members.by_id(member_id)
    if target is None:
        raise NotFound()
    if target.erased:
        raise Conflict("members.is_erased")
    return admin, target


async def set_reachable(
    uow_factory: UnitOfWorkFactory, telegram_user_id: int, reachable: bool, now: dt.datetime
) -> Member | None:
    """Telegram told us the user blocked (or unblocked) the bot; None if they are not a member."""
    async with uow_factory() as uow:
        member = await uow.members.by_telegram_id(telegram_user_id)
        if member is None or member.reachable is reachable:
            return member
        changed = await uow.members.change(member.id, now, reachable=reachable)
        action = "member.reachable" if reachable else "member.unreachable"
        await uow.audit.append(at=now, actor_id=member.id, action=action, subject=f"member {member.id}")
        await uow.commit()
    return changed


def parse_role(value: str) -> Role:
    """A role name from a button or the command line."""
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput("members.bad_role") from None
