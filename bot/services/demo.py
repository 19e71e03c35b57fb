"""Demo identities for console mode: one member per role, so every role can be tried."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.domain.model import Member
from bot.domain.vocab import Role
from bot.ports import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class DemoPerson:
    """A demo identity: Telegram id, name, and (unless a guest) delegation and role."""

    key: str
    telegram_user_id: int
    name: str
    delegation: str | None = None
    role: Role | None = None


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("admin", 910_001, "Ana (Secretariat)", "GSC", Role.ADMIN),
    DemoPerson("contact", 910_002, "Claire (France)", "FR", Role.CONTACT),
    DemoPerson("observer", 910_003, "Otto (Frontex)", "FRONTEX", Role.OBSERVER),
    DemoPerson("guest", 910_004, "Gus (guest)"),
)
DEMO_GROUP = (-100_910_000, "EMWP working party")  # chat id and title of the console's group


async def ensure_demo_members(uow_factory: UnitOfWorkFactory, now: dt.datetime) -> list[Member]:
    """Register the demo members that are missing; running it again changes nothing."""
    created: list[Member] = []
    async with uow_factory() as uow:
        for person in DEMO_PEOPLE:
            if person.role is None or person.delegation is None:
                continue
            if await uow.members.by_telegram_id(person.telegram_user_id) is not None:
                continue
            member = await uow.members.add(
                telegram_user_id=person.telegram_user_id,
                chat_id=person.telegram_user_id,
                display_name=person.name,
                delegation_code=person.delegation,
                role=person.role,
                language="en",
                time_zone="Europe/Brussels",
                now=now,
            )
            await uow.audit.append(
                at=now,
                actor_id=None,
                action="member.registered",
                subject=f"member {member.id}",
                details={"role": person.role.value, "delegation": person.delegation, "via": "console demo"},
            )
            created.append(member)
        await _ensure_demo_group(uow, now)
        await uow.commit()
    return created


async def _ensure_demo_group(uow: UnitOfWork, now: dt.datetime) -> None:
    """The console's group, registered as if the demo admin had added the bot to it."""
    chat_id, title = DEMO_GROUP
    if await uow.groups.get(chat_id) is not None:
        return
    admin = await uow.members.by_telegram_id(DEMO_PEOPLE[0].telegram_user_id)
    await uow.groups.save(chat_id, title, admin.id if admin else None, now)
    await uow.audit.append(
        at=now,
        actor_id=admin.id if admin else None,
        action="group.registered",
        subject=f"group {chat_id}",
        details={"title": title, "via": "console demo"},
    )
