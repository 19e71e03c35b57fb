"""Invitations: admins (or the command line) create them; a guest redeems one with /start."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain import invites as tokens
from bot.domain.errors import Conflict, InvalidInput, NotFound
from bot.domain.model import Invite, Member
from bot.domain.vocab import Role
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.actors import Actor, require_admin


@dataclass(frozen=True, slots=True)
class CreatedInvite:
    """A new invitation and its token: the only time the token exists outside the link."""

    invite: Invite
    token: str


async def create_invite(
    uow_factory: UnitOfWorkFactory,
    actor: Actor | None,
    role: Role,
    delegation_code: str,
    uses: int,
    days: int,
    now: dt.datetime,
) -> CreatedInvite:
    """Store an invitation; `actor` None is the command line, which the host's operator runs."""
    if not 1 <= uses <= tokens.MAX_USES or not 1 <= days <= tokens.MAX_DAYS:
        raise InvalidInput("invite.bad_limits", max_uses=tokens.MAX_USES, max_days=tokens.MAX_DAYS)
    token = tokens.new_token()
    async with uow_factory() as uow:
        admin = await require_admin(uow, actor) if actor is not None else None
        if await uow.catalog.delegation(delegation_code) is None:
            raise NotFound("invite.unknown_delegation", code=delegation_code)
        invite = await uow.invites.add(
            token_hash=tokens.hash_token(token),
            role=role,
            delegation_code=delegation_code,
            uses=uses,
            expires_at=now + dt.timedelta(days=days),
            created_by=admin.id if admin else None,
            now=now,
        )
        await uow.audit.append(
            at=now,
            actor_id=invite.created_by,
            action="invite.created",
            subject=f"invite {invite.id}",
            details={
                "role": role.value,
                "delegation": delegation_code,
                "uses": uses,
                "days": days,
                "via": "chat" if admin else "command line",
            },
        )
        await uow.commit()
    return CreatedInvite(invite, token)


async def redeem_invite(
    uow_factory: UnitOfWorkFactory,
    telegram_user_id: int,
    chat_id: int,
    display_name: str,
    language: str,
    token: str,
    now: dt.datetime,
) -> Member:
    """Register a newcomer with the invitation's role and delegation (checked as `check_invite` does)."""
    async with uow_factory() as uow:
        invite = await _usable(uow, telegram_user_id, token, now)
        if not await uow.invites.take_use(invite.id, now):
            raise Conflict("start.token_used_up")
        member = await _register(uow, invite, telegram_user_id, chat_id, display_name, language, now)
        await uow.commit()
    return member


async def check_invite(
    uow_factory: UnitOfWorkFactory, telegram_user_id: int, token: str, now: dt.datetime
) -> Invite:
    """Whether this user could redeem the token now (before the privacy notice); spends nothing."""
    async with uow_factory(read_only=True) as uow:
        return await _usable(uow, telegram_user_id, token, now)


async def _usable(uow: UnitOfWork, telegram_user_id: int, token: str, now: dt.datetime) -> Invite:
    """The invitation, if it may register this user now.

    A revoked member is never let back in by an invitation, not even one they once used or made: only an
    admin reinstates them (or approves their access request), so they are told to ask the Secretariat.
    An invitation made by someone who is no longer an active admin registers nobody either.
    """
    if not tokens.well_formed(token):
        raise InvalidInput("start.bad_token")
    invite = await uow.invites.by_token_hash(tokens.hash_token(token))
    if invite is None:
        raise InvalidInput("start.bad_token")
    existing = await uow.members.by_telegram_id(telegram_user_id)
    if existing is not None:
        raise Conflict("start.already_member" if existing.active else "start.revoked_invite")
    _check_usable(invite, now)
    if not await _creator_still_admin(uow, invite):
        raise InvalidInput("start.token_revoked")
    return invite


async def _creator_still_admin(uow: UnitOfWork, invite: Invite) -> bool:
    if invite.created_by is None:  # made on the command line by the host's operator
        return True
    creator = await uow.members.by_id(invite.created_by)
    return creator is not None and creator.active and creator.role is Role.ADMIN


def _check_usable(invite: Invite, now: dt.datetime) -> None:
    if invite.revoked_at is not None:
        raise InvalidInput("start.token_revoked")
    if now >= invite.expires_at:
        raise InvalidInput("start.token_expired")
    if invite.uses_left <= 0:
        raise InvalidInput("start.token_used_up")


async def _register(
    uow: UnitOfWork,
    invite: Invite,
    telegram_user_id: int,
    chat_id: int,
    display_name: str,
    language: str,
    now: dt.datetime,
) -> Member:
    name = display_name.strip()[:200] or str(telegram_user_id)
    member = await uow.members.add(
        telegram_user_id=telegram_user_id,
        chat_id=chat_id,
        display_name=name,
        delegation_code=invite.delegation_code,
        role=invite.role,
        language=language,
        time_zone="Europe/Brussels",
        now=now,
    )
    await uow.audit.append(
        at=now,
        actor_id=member.id,
        action="member.registered",
        subject=f"member {member.id}",
        details={"role": invite.role.value, "delegation": invite.delegation_code, "invite": invite.id},
    )
    return member


async def withdraw_invites_of(
    uow: UnitOfWork, admin: Member, creator: Member, reason: str, now: dt.datetime
) -> tuple[Invite, ...]:
    """Withdraw the open invitations `creator` made (they were revoked or demoted), each audited."""
    withdrawn = []
    for invite in await uow.invites.open_invites(now, created_by=creator.id):
        if await uow.invites.revoke(invite.id, admin.id, now):
            await uow.audit.append(
                at=now,
                actor_id=admin.id,
                action="invite.revoked",
                subject=f"invite {invite.id}",
                details={"reason": reason, "creator": creator.id},
            )
            withdrawn.append(invite)
    return tuple(withdrawn)


async def open_invites(uow_factory: UnitOfWorkFactory, actor: Actor, now: dt.datetime) -> Sequence[Invite]:
    """Invitations that can still be used (admins only)."""
    async with uow_factory(read_only=True) as uow:
        await require_admin(uow, actor)
        return await uow.invites.open_invites(now)


async def revocable_invite(uow_factory: UnitOfWorkFactory, actor: Actor, invite_id: int) -> Invite:
    """The invitation an admin is about to withdraw: it exists and is not withdrawn yet (admins only)."""
    async with uow_factory(read_only=True) as uow:
        await require_admin(uow, actor)
        invite = await uow.invites.by_id(invite_id)
    if invite is None:
        raise NotFound()
    if invite.revoked_at is not None:
        raise Conflict("invite.already_revoked")
    return invite


async def revoke_invite(
    uow_factory: UnitOfWorkFactory, actor: Actor, invite_id: int, now: dt.datetime
) -> Invite:
    """Withdraw an invitation so that nobody else can use it (admins only)."""
    async with uow_factory() as uow:
        admin = await require_admin(uow, actor)
        if await uow.invites.by_id(invite_id) is None:
            raise NotFound()
        if not await uow.invites.revoke(invite_id, admin.id, now):
            raise Conflict("invite.already_revoked")
        await uow.audit.append(
            at=now, actor_id=admin.id, action="invite.revoked", subject=f"invite {invite_id}"
        )
        revoked = await uow.invites.by_id(invite_id)
        await uow.commit()
    assert revoked is not None
    return revoked
