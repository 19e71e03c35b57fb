"""Who is acting, and the checks every use case makes before it reads or writes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import NotAllowed
from bot.domain.model import Member
from bot.domain.vocab import Role
from bot.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Actor:
    """A Telegram user acting in a private chat or in a group (`group_id`: the group's chat id)."""

    telegram_user_id: int
    in_group: bool = False
    group_id: int | None = None


async def require_member(uow: UnitOfWork, actor: Actor, *roles: Role) -> Member:
    """The actor's live membership, with one of `roles` if given; else NotAllowed."""
    member = await uow.members.by_telegram_id(actor.telegram_user_id)
    if member is None or not member.active:
        raise NotAllowed("error.members_only")
    if roles and member.role not in roles:
        raise NotAllowed()
    return member


async def require_admin(uow: UnitOfWork, actor: Actor) -> Member:
    """An admin acting in a private chat: admin work is never done in a group."""
    if actor.in_group:
        raise NotAllowed("error.private_only")
    return await require_member(uow, actor, Role.ADMIN)
