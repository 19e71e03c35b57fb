"""Group chats: the bot serves a group only after an admin added it there; admins list and unregister them.

Every use case a group can reach checks here that the group is registered (and the reader a member),
whatever the handlers did before: a forged button or a command in a stranger's group shows nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.errors import NotAllowed, NotFound
from bot.domain.model import Group, Member, Viewer
from bot.domain.vocab import Role
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.actors import Actor, require_admin

TITLE_LIMIT = 255


@dataclass(frozen=True, slots=True)
class Registered:
    """A registered group and the admin who added the bot there (None if no longer known)."""

    group: Group
    admin: Member | None


async def require_served(uow: UnitOfWork, viewer: Viewer) -> None:
    """In a group: an admin registered it and the reader is an active member; in a private chat, nothing."""
    if not viewer.in_group:
        return
    if viewer.group_id is None or await uow.groups.get(viewer.group_id) is None:
        raise NotAllowed("group.not_registered")
    if viewer.role is None:
        raise NotAllowed("error.members_only")


async def is_served(uow_factory: UnitOfWorkFactory, chat_id: int) -> bool:
    """Whether an admin registered this group."""
    async with uow_factory(read_only=True) as uow:
        return await uow.groups.get(chat_id) is not None


async def bot_added(
    uow_factory: UnitOfWorkFactory, chat_id: int, title: str, added_by: int, now: dt.datetime
) -> Registered | None:
    """Register the group when an active admin added the bot (audited); None when anyone else did:
    the bot is closed, it must leave."""
    async with uow_factory() as uow:
        member = await uow.members.by_telegram_id(added_by)
        if member is None or not member.active or member.role is not Role.ADMIN:
            return None
        group = await uow.groups.save(chat_id, title.strip()[:TITLE_LIMIT] or str(chat_id), member.id, now)
        await uow.audit.append(
            at=now,
            actor_id=member.id,
            action="group.registered",
            subject=f"group {chat_id}",
            details={"title": group.title},
        )
        await uow.commit()
    return Registered(group, member)


async def bot_removed(
    uow_factory: UnitOfWorkFactory, chat_id: int, removed_by: int, now: dt.datetime
) -> bool:
    """The bot left or was removed: a registered group is no longer served (audited). Adding it back
    takes an admin again."""
    async with uow_factory() as uow:
        group = await uow.groups.get(chat_id)
        if group is None or not await uow.groups.remove(chat_id):
            return False
        member = await uow.members.by_telegram_id(removed_by)
        await uow.audit.append(
            at=now,
            actor_id=member.id if member else None,
            action="group.removed",
            subject=f"group {chat_id}",
            details={"title": group.title, "by": removed_by},
        )
        await uow.commit()
    return True


async def group_moved(uow_factory: UnitOfWorkFactory, old_id: int, new_id: int, now: dt.datetime) -> bool:
    """A group became a supergroup under a new chat id: its registration follows (audited)."""
    async with uow_factory() as uow:
        group = await uow.groups.get(old_id)
        if group is None or old_id == new_id:
            return False
        await uow.groups.save(new_id, group.title, group.registered_by, now)
        await uow.groups.remove(old_id)
        await uow.audit.append(
            at=now,
            actor_id=None,
            action="group.moved",
            subject=f"group {new_id}",
            details={"from": old_id, "title": group.title},
        )
        await uow.commit()
    return True


async def registered_groups(uow_factory: UnitOfWorkFactory, actor: Actor) -> Sequence[Registered]:
    """Every registered group with the admin who added the bot (admins only, in a private chat)."""
    async with uow_factory(read_only=True) as uow:
        await require_admin(uow, actor)
        groups = await uow.groups.all()
        ids = {g.registered_by for g in groups if g.registered_by is not None}
        admins = {m.id: m for m in await uow.members.by_ids(ids)}
    return [Registered(g, admins.get(g.registered_by or 0)) for g in groups]


async def registered_group(uow_factory: UnitOfWorkFactory, actor: Actor, chat_id: int) -> Group:
    """One registered group (admins only), to confirm unregistering it."""
    async with uow_factory(read_only=True) as uow:
        await require_admin(uow, actor)
        group = await uow.groups.get(chat_id)
    if group is None:
        raise NotFound("groups.not_registered")
    return group


async def unregister_group(
    uow_factory: UnitOfWorkFactory, actor: Actor, chat_id: int, now: dt.datetime
) -> Group:
    """Stop serving a group (admins only, audited); the caller then leaves it."""
    async with uow_factory() as uow:
        admin = await require_admin(uow, actor)
        group = await uow.groups.get(chat_id)
        if group is None or not await uow.groups.remove(chat_id):
            raise NotFound("groups.not_registered")
        await uow.audit.append(
            at=now,
            actor_id=admin.id,
            action="group.unregistered",
            subject=f"group {chat_id}",
            details={"title": group.title},
        )
        await uow.commit()
    return group
