"""The commands this build serves, and the command menus set per role."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.domain.access import commands_for
from bot.domain.vocab import Role
from handlers.texts import t

# The commands with a handler in `handlers.register`; help and menus list no others.
SERVED_COMMANDS: frozenset[str] = frozenset(
    {
        "start",
        "help",
        "privacy",
        "mydata",
        "cancel",
        "settings",
        "invite",
        "members",
        "groups",
        "audit",
        "initiatives",
        "initiative",
        "country",
        "upcoming",
        "newinitiative",
        "search",
        "notices",
        "broadcast",
        "post",
        "following",
        "subscribe",
        "subscriptions",
        "unsubscribe",
        "digest",
        "rounds",
        "newround",
    }
)
GROUP_COMMANDS: tuple[str, ...] = ("help", "search")
# In a group: /search too, which there finds TLP:CLEAR updates only, and /privacy, the public statement.
PRIVATE_ONLY_COMMANDS: frozenset[str] = SERVED_COMMANDS - {"start", "help", "cancel", "search", "privacy"}


def available_commands(permitted: Iterable[str]) -> list[str]:
    """The permitted commands that this build serves, in menu order."""
    return [c for c in permitted if c in SERVED_COMMANDS]


def bot_commands(commands: Iterable[str], language: str) -> list[BotCommand]:
    """Menu entries with their descriptions in `language`."""
    return [BotCommand(c, t(language, f"command.{c}")) for c in commands]


async def set_default_menus(bot: ExtBot[None]) -> None:
    """The guest menu everywhere by default, in English and French; groups get /help only."""
    guest = available_commands(commands_for(None))
    for language in ("en", "fr"):
        code = None if language == "en" else language
        await bot.set_my_commands(
            bot_commands(guest, language), scope=BotCommandScopeDefault(), language_code=code
        )
        await bot.set_my_commands(
            bot_commands(GROUP_COMMANDS, language), scope=BotCommandScopeAllGroupChats(), language_code=code
        )


async def set_member_menu(bot: ExtBot[None], chat_id: int, role: Role | None, language: str) -> None:
    """The menu of one private chat: the member's commands, or the default guest menu when None."""
    scope = BotCommandScopeChat(chat_id)
    try:
        if role is None:
            await bot.delete_my_commands(scope=scope)
        else:
            await bot.set_my_commands(
                bot_commands(available_commands(commands_for(role)), language), scope=scope
            )
    except TelegramError as exc:  # the menu is a convenience: never fail the user's action over it
        logging.getLogger(__name__).warning("could not set the menu of chat %s: %s", chat_id, exc)
