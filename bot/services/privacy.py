"""The rights of the people the bot knows: a copy of their data (/mydata)."""

from __future__ import annotations

import datetime as dt

from bot.domain.errors import NotFound
from bot.domain.personal_data import PersonalData
from bot.ports import UnitOfWorkFactory


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
