"""Who is talking to the bot: looked up once per update."""

from __future__ import annotations

from bot.domain.languages import bot_language
from bot.domain.model import Viewer
from bot.ports import UnitOfWorkFactory


async def identify(
    uow_factory: UnitOfWorkFactory,
    telegram_user_id: int,
    language_code: str | None,
    *,
    in_group: bool = False,
    group_id: int | None = None,
) -> Viewer:
    """The viewer for this Telegram user: their member record if any, and the language to answer in.

    In a group (`group_id`), services that serve it check that an admin registered it.
    """
    async with uow_factory(read_only=True) as uow:
        member = await uow.members.by_telegram_id(telegram_user_id)
    language = member.language if member is not None else bot_language(language_code)
    return Viewer(
        telegram_user_id=telegram_user_id,
        member=member,
        language=language,
        in_group=in_group or group_id is not None,
        group_id=group_id,
    )
