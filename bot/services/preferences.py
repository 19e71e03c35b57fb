"""A member's own settings: language and time zone."""

from __future__ import annotations

import datetime as dt

from bot.domain.errors import InvalidInput, NotAllowed
from bot.domain.languages import BOT_LANGUAGES
from bot.domain.model import Member
from bot.domain.timezones import canonical_zone
from bot.domain.typed import check_typed
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.actors import Actor, require_member


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
    return await _change(uow_factory, actor, now, language=language)


async def set_time_zone(uow_factory: UnitOfWorkFactory, actor: Actor, name: str, now: dt.datetime) -> Member:
    """Use the IANA zone `name` for this member's schedules and dates."""
    zone = canonical_zone(check_typed(name, lines=False))
    if zone is None:
        raise InvalidInput("settings.bad_zone", value=name[:64])
    return await _change(uow_factory, actor, now, time_zone=zone)


async def _change(uow_factory: UnitOfWorkFactory, actor: Actor, now: dt.datetime, **fields: str) -> Member:
    async with uow_factory() as uow:
        member = await _require_private_member(uow, actor)
        changed = await uow.members.change(member.id, now, **fields)
        await uow.audit.append(
            at=now,
            actor_id=member.id,
            action="settings.changed",
            subject=f"member {member.id}",
            details=dict(fields),
        )
        await uow.commit()
    assert changed is not None
    return changed
