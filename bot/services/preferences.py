"""A member's own settings: language and time zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.digests import Subscription
from bot.domain.errors import InvalidInput, NotAllowed
from bot.domain.languages import BOT_LANGUAGES
from bot.domain.model import Member
from bot.domain.timezones import zone_for
from bot.domain.typed import check_typed
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.actors import Actor, require_member
from bot.services.digests import follow_time_zone


async def my_settings(uow_factory: UnitOfWorkFactory, actor: Actor) -> Member:
    """The acting member, to show their settings (in a private chat only: settings are personal)."""
    async with uow_factory(read_only=True) as uow:
        return await _require_private_member(uow, actor)


async def _require_private_member(uow: UnitOfWork, actor: Actor) -> Member:
    if actor.in_group:
        raise NotAllowed("error.private_only")
    return await require_member(uow, actor)


async def set_language(
    uow_factory: UnitOfWorkFactory, actor: Actor, language: str, now: dt.datetime
) -> Member:
    """Answer this member in `language` from now on."""
    if language not in BOT_LANGUAGES:
        raise InvalidInput("settings.bad_language", choices=", ".join(BOT_LANGUAGES))
    async with uow_factory() as uow:
        changed = await _change(uow, actor, now, language=language)
        await uow.commit()
    return changed


@dataclass(frozen=True, slots=True)
class ZoneChanged:
    """The member in the new zone, and the digests that moved with it (to reschedule their jobs)."""

    member: Member
    moved: Sequence[Subscription]


async def set_time_zone(
    uow_factory: UnitOfWorkFactory, actor: Actor, name: str, now: dt.datetime
) -> ZoneChanged:
    """Use the IANA zone `name` for this member's schedules and dates; their digests keep their local hour."""
    zone = zone_for(check_typed(name, lines=False))
    if zone is None:
        raise InvalidInput("settings.bad_zone", value=name[:64])
    async with uow_factory() as uow:
        changed = await _change(uow, actor, now, time_zone=zone)
        moved = await follow_time_zone(uow, changed, now)
        await uow.commit()
    return ZoneChanged(changed, moved)


async def _change(uow: UnitOfWork, actor: Actor, now: dt.datetime, **fields: str) -> Member:
    member = await _require_private_member(uow, actor)
    changed = await uow.members.change(member.id, now, **fields)
    await uow.audit.append(
        at=now,
        actor_id=member.id,
        action="settings.changed",
        subject=f"member {member.id}",
        details=dict(fields),
    )
    assert changed is not None
    return changed
